/// Splits a byte stream into lines at "\n" only, with a bound on a line's length.
///
/// Written by hand because the line readers at hand split where the protocol does not: Swift's
/// string lines (and swift-subprocess's `strings()`) also break at U+2028, U+2029 and U+0085,
/// which JSON leaves unescaped inside strings, so a transcript holding one would be cut in two;
/// and swift-subprocess ends a line at 128 KiB, less than an hour of speech's reply.
///
/// A line longer than `maxLineBytes` is not kept: its bytes are skipped up to its end and it is
/// reported once as `.oversized`, so memory stays bounded whatever a peer sends.
public struct LineFramer: Sendable {
    /// One result of framing: a line, or a line too long to keep.
    public enum Item: Sendable, Hashable {
        /// A line's text without its "\n" (or "\r\n"), decoded as UTF-8; invalid bytes become U+FFFD.
        case line(String)
        /// A line of more than `maxLineBytes`, dropped; `bytes` is how long it was.
        case oversized(bytes: Int)
    }

    /// The longest line kept, in bytes, its "\n" not counted; at least 1.
    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var skipping = false
    private var skippedBytes = 0

    /// `maxLineBytes` defaults to 16 MiB; values below 1 count as 1.
    public init(maxLineBytes: Int = 16 << 20) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Feeds bytes; returns the lines they complete, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Item] {
        var items: [Item] = []
        for byte in bytes {
            if byte == 0x0A {
                if skipping {
                    items.append(.oversized(bytes: skippedBytes))
                    skipping = false
                    skippedBytes = 0
                } else {
                    items.append(.line(Self.text(pending)))
                }
                pending.removeAll(keepingCapacity: pending.count <= 1 << 16)
            } else if skipping {
                skippedBytes += 1
            } else if pending.count == maxLineBytes {
                skipping = true
                skippedBytes = pending.count + 1
                pending.removeAll()
            } else {
                pending.append(byte)
            }
        }
        return items
    }

    /// The stream ended: a last line without "\n", if any.
    public mutating func finish() -> Item? {
        defer {
            pending.removeAll()
            skipping = false
            skippedBytes = 0
        }
        if skipping { return .oversized(bytes: skippedBytes) }
        return pending.isEmpty ? nil : .line(Self.text(pending))
    }

    private static func text(_ bytes: [UInt8]) -> String {
        var line = bytes[...]
        if line.last == 0x0D { line = line.dropLast() }
        return String(decoding: line, as: UTF8.self)
    }
}
