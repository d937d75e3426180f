import Foundation

/// The one JSON set-up for everything Hark writes — manifests, transcripts, events, worker lines,
/// HTTP bodies: keys sorted (stable files and diffs), slashes unescaped, dates in ISO 8601.
public enum JSON {
    /// A new encoder each time: `JSONEncoder` is a class, and callers run on many threads.
    public static var encoder: JSONEncoder { encoder(pretty: false) }

    /// A new encoder with Hark's settings; `pretty` also indents, for files people read
    /// (`session.json`).
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A new decoder for what `encoder` writes (ISO 8601 dates), new each time like the encoder.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// `value` as one line of JSON text (no newline); "{}" if it cannot be encoded.
    public static func string(_ value: some Encodable) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
