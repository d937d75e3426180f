import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HarkCore

/// One file fetched over HTTP into `destination`, hashed as it arrives, with progress.
///
/// A data task with a delegate rather than a download task: the bytes pass through once, into
/// the file and the digest, and progress comes with each piece on every platform.
final class WheelDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked Sendable is safe: the delegate's callbacks run on `queue`, one at a time, and
    // `start` sets the continuation before the task resumes.
    typealias Progress = @Sendable (_ received: Int, _ expected: Int?) -> Void

    private let destination: URL
    private let progress: Progress
    private let queue: OperationQueue
    private var output: FileHandle?
    private let digest: SHA256Digest
    private var received = 0
    private var expected: Int?
    private var failure: HarkError?
    private var continuation: CheckedContinuation<(bytes: Int, sha256: String), any Error>?

    private init(destination: URL, progress: @escaping Progress) throws {
        digest = try SHA256Digest()
        self.destination = destination
        self.progress = progress
        queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
    }

    /// Fetches `url` to `destination` (replaced); returns its length and sha256.
    static func fetch(_ url: URL, to destination: URL, progress: @escaping Progress) async throws -> (bytes: Int, sha256: String) {
        let download = try WheelDownload(destination: destination, progress: progress)
        let session = URLSession(configuration: .default, delegate: download, delegateQueue: download.queue)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: url)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                download.queue.addOperation {
                    download.continuation = continuation
                    task.resume()
                }
            }
        } onCancel: {
            task.cancel()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            failure = HarkError(.downloadFailed, "Downloading \(response.url?.absoluteString ?? "the wheel") failed: HTTP \(status).")
            return completionHandler(.cancel)
        }
        expected = response.expectedContentLength > 0 ? Int(response.expectedContentLength) : nil
        _ = FileManager.default.createFile(atPath: destination.path, contents: nil)
        output = FileHandle(forWritingAtPath: destination.path)
        guard output != nil else {
            failure = HarkError(.outputNotWritable, "Cannot write '\(destination.path)'.")
            return completionHandler(.cancel)
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil, let output else { return }
        do {
            try output.write(contentsOf: data)
        } catch {
            failure = HarkError(.writeFailed, "Writing '\(destination.path)' failed (\(error.localizedDescription)); is the disk full?")
            dataTask.cancel()
            return
        }
        digest.update(data)
        received += data.count
        progress(received, expected)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        try? output?.close()
        output = nil
        guard let continuation else { return }
        self.continuation = nil
        if let failure {
            continuation.resume(throwing: failure)
        } else if let error {
            continuation.resume(throwing: HarkError(.downloadFailed, "Downloading \(task.originalRequest?.url?.absoluteString ?? "the wheel") failed: \(error.localizedDescription)."))
        } else if let expected, received != expected {
            continuation.resume(throwing: HarkError(.downloadFailed, "The download of \(destination.lastPathComponent) ended after \(received) of \(expected) bytes."))
        } else {
            continuation.resume(returning: (received, digest.finish()))
        }
    }
}
