import Foundation
import HarkCore

extension ArchiveQuery {
    /// A time as people type it for `--since`/`--until`: `today`, `yesterday`, an age (`90m`,
    /// `12h`, `7d`, `2w`: that long before `now`), a day (`2026-12-04`, local time; as an
    /// `until`, the end of that day) or an ISO 8601 time (`2026-12-04T09:30:00Z`).
    public static func time(_ text: String, endOfDay: Bool = false, now: Date = Date(),
                            calendar: Calendar = .current) throws(HarkError) -> Date {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        let startOfToday = calendar.startOfDay(for: now)
        func day(_ start: Date) -> Date {
            endOfDay ? calendar.date(byAdding: .day, value: 1, to: start) ?? start : start
        }
        switch value {
        case "today": return day(startOfToday)
        case "yesterday": return day(calendar.date(byAdding: .day, value: -1, to: startOfToday) ?? startOfToday)
        default: break
        }
        if let unit = value.last, let count = Double(value.dropLast()), count >= 0, count < 1e7 {
            let seconds: Double? = switch unit {
            case "m": 60
            case "h": 3600
            case "d": 86_400
            case "w": 604_800
            default: nil
            }
            if let seconds { return now.addingTimeInterval(-count * seconds) }
        }
        let dayFormat = DateFormatter()
        dayFormat.calendar = calendar
        dayFormat.timeZone = calendar.timeZone
        dayFormat.locale = Locale(identifier: "en_US_POSIX")
        dayFormat.dateFormat = "yyyy-MM-dd"
        if value.count == 10, let date = dayFormat.date(from: value) { return day(date) }
        let full = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            full.formatOptions = options
            if let date = full.date(from: text.trimmingCharacters(in: .whitespaces)) { return date }
        }
        throw HarkError(.invalidInput, """
            '\(text)' is not a time Hark reads: use today, yesterday, an age such as 12h, 7d or 2w, \
            a day such as 2026-12-04, or an ISO 8601 time such as 2026-12-04T09:30:00Z.
            """)
    }
}
