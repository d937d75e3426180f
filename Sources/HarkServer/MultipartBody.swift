/// A `multipart/form-data` body (RFC 7578 on RFC 2046) split into its parts.
///
/// Written by hand instead of with MultipartKit, whose parser traps on inputs a client can send:
/// an empty boundary (a precondition), and a part header name with a byte of 128 or more (an
/// index past its 128-entry character table) — either ended `hark serve` with one request. This
/// reader only slices the bytes it is given, bounds the parts and header lines it accepts, and
/// answers anything malformed with an error.
struct MultipartBody {
    struct Part {
        /// Header fields, names lowercased.
        var headers: [String: String]
        var content: ArraySlice<UInt8>
    }

    struct Malformed: Error { var reason: String }

    static let maxParts = 64
    static let maxHeaderBytes = 8192

    let parts: [Part]

    init(_ body: [UInt8], boundary: String) throws(Malformed) {
        let delimiter = Array("--\(boundary)".utf8)
        guard !boundary.isEmpty, var position = Self.find(delimiter, in: body, from: 0, atLineStart: true) else {
            throw Malformed(reason: "no boundary line")
        }
        var parts: [Part] = []
        while true {
            var cursor = position + delimiter.count
            // "--" after the delimiter closes the body; else optional padding and a line end.
            if body[cursor...].starts(with: [0x2D, 0x2D]) { break }
            while cursor < body.count, body[cursor] == 0x20 || body[cursor] == 0x09 { cursor += 1 }
            guard let start = Self.skipLineEnd(body, cursor) else { throw Malformed(reason: "a boundary line does not end") }
            guard let next = Self.find(delimiter, in: body, from: start, atLineStart: true) else {
                throw Malformed(reason: "the last part is not closed")
            }
            // The line end before the next delimiter belongs to it, not to the content.
            var end = next
            if end > start, body[end - 1] == 0x0A { end -= 1 }
            if end > start, body[end - 1] == 0x0D { end -= 1 }
            parts.append(try Self.part(body[start..<end]))
            guard parts.count <= Self.maxParts else { throw Malformed(reason: "more than \(Self.maxParts) parts") }
            position = next
        }
        self.parts = parts
    }

    /// Headers up to the first empty line, then the content.
    private static func part(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> Part {
        var headers: [String: String] = [:]
        var cursor = bytes.startIndex
        while true {
            guard let lineEnd = bytes[cursor...].firstIndex(of: 0x0A) else { throw Malformed(reason: "a part's headers do not end") }
            var line = bytes[cursor..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            cursor = lineEnd + 1
            if line.isEmpty { break }
            guard cursor - bytes.startIndex <= maxHeaderBytes else { throw Malformed(reason: "a part's headers are too long") }
            guard let colon = line.firstIndex(of: 0x3A) else { throw Malformed(reason: "a header line has no ':'") }
            let name = String(decoding: line[..<colon], as: UTF8.self).trimmingWhitespace.lowercased()
            headers[name] = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingWhitespace
        }
        return Part(headers: headers, content: bytes[cursor...])
    }

    /// The first `needle` at or after `from` that starts a line (the body's start, or after "\n").
    private static func find(_ needle: [UInt8], in body: [UInt8], from: Int, atLineStart: Bool) -> Int? {
        guard let first = needle.first, needle.count <= body.count else { return nil }
        var index = from
        while index + needle.count <= body.count {
            guard let candidate = body[index...(body.count - needle.count)].firstIndex(of: first) else { return nil }
            if (!atLineStart || candidate == 0 || body[candidate - 1] == 0x0A),
               body[candidate..<(candidate + needle.count)].elementsEqual(needle) {
                return candidate
            }
            index = candidate + 1
        }
        return nil
    }

    private static func skipLineEnd(_ body: [UInt8], _ at: Int) -> Int? {
        if body[at...].starts(with: [0x0D, 0x0A]) { return at + 2 }
        if body[at...].starts(with: [0x0A]) { return at + 1 }
        return nil
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
