import Foundation
@testable import Hark
import HarkAudio
import HarkCore
@testable import HarkServer
import HarkVAD
@testable import HarkWhisper
import NIOCore

/// Every parser that takes bytes from outside, as a function of those bytes. A target may throw
/// (bad input is expected) but must not trap, hang or grow without bound: that is the finding.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// `POST /v1/audio/transcriptions`: Content-Type (first line) and the multipart body (the rest).
    case multipart
    /// Audio files through the reader `hark transcribe`, `hark vad` and the workers use.
    case audio
    /// Silero's ONNX file.
    case onnx
    /// A CTranslate2 `model.bin`, then every tensor read as Whisper would.
    case ct2
    /// The worker protocol: bytes framed into lines, each decoded as a reply and as a request.
    case worker
    /// A `session.json`, made safe and rendered as every transcript format.
    case manifest

    func run(_ bytes: [UInt8]) {
        switch self {
        case .multipart:
            let newline = bytes.firstIndex(of: 0x0A) ?? bytes.endIndex
            let type = String(decoding: bytes[..<newline], as: UTF8.self)
            guard let boundary = try? HarkServer.boundary(contentType: type) else { return }
            let body = newline < bytes.endIndex ? Array(bytes[(newline + 1)...]) : []
            _ = try? Upload(body: ByteBuffer(bytes: body), boundary: boundary)
        case .audio:
            withScratchFile(bytes) { path in _ = try? AudioFile.readSpeech(path: path, maxSeconds: 60) }
        case .onnx:
            _ = try? ONNXTensors(bytes: bytes)
        case .ct2:
            withScratchFile(bytes) { path in
                guard let file = try? CT2ModelFile(path: path) else { return }
                for name in file.variables.keys.sorted() {
                    _ = try? file.floats(name)
                    _ = try? file.weights(name)
                    _ = try? file.integer(name)
                }
            }
        case .worker:
            var framer = LineFramer(maxLineBytes: 4096)
            for item in framer.feed(bytes) + [framer.finish()].compactMap({ $0 }) {
                guard case .line(let line) = item else { continue }
                if case .result(_, let transcript)? = WorkerReply.decode(line) {
                    for format in TranscriptFormat.allCases { _ = format.render(transcript.segments) }
                }
                _ = WorkerRequest.decode(line)
            }
        case .manifest:
            guard let manifest = try? JSON.decoder.decode(SessionManifest.self, from: Data(bytes)),
                  let safe = try? manifest.validated() else { return }
            for format in TranscriptFormat.allCases { _ = format.render(safe.transcriptSegments.map(\.piece), source: safe.id) }
        }
    }
}

/// Readers that take a path get the bytes as a file of their own.
private func withScratchFile(_ bytes: [UInt8], _ body: (String) -> Void) {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("hark-fuzz-\(getpid()).bin").path
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
    body(path)
}
