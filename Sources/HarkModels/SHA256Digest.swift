import CCrypto
import Foundation
import HarkCore

/// SHA-256 of bytes streamed in pieces, by OpenSSL's libcrypto (a Debian package already on
/// machines that build Swift; swift-crypto would compile a second BoringSSL for one hash).
final class SHA256Digest {
    private let context: OpaquePointer

    init() throws(HarkError) {
        guard let context = EVP_MD_CTX_new() else { throw HarkError(.internalFailure, "libcrypto cannot start a SHA-256 digest (out of memory?).") }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw HarkError(.internalFailure, "libcrypto cannot start a SHA-256 digest.")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    func update(_ data: Data) { data.withUnsafeBytes { update($0) } }

    /// The digest as lowercase hex; the object is spent afterwards.
    func finish() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    /// The digest of a file, read in 1 MiB pieces.
    static func file(_ url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw HarkError(.modelMissing, "Cannot open '\(url.path)' to check it.")
        }
        defer { try? handle.close() }
        let digest = try SHA256Digest()
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty { digest.update(piece) }
        return digest.finish()
    }
}
