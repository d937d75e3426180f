import Foundation

/// What several test targets (and the benchmarks) share: where the repository and the built
/// `hark` are, temporary folders, a fake transcription worker, and word error rates.
public enum TestSupport {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    public static let speech = repository.appendingPathComponent("Tests/Fixtures/speech.wav").path

    /// The built `hark` (`swift build --build-tests` puts it beside the test bundle).
    public static let harkExecutable: String = {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !folder.path.isEmpty && folder.path != "/" {
            let candidate = folder.appendingPathComponent("hark")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            folder.deleteLastPathComponent()
        }
        return repository.appendingPathComponent(".build/debug/hark").path
    }()

    public static func temporaryFolder(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hark-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A fake worker (a shell script speaking the worker protocol): runs `startup`, says ready
    /// (with `version` when given), then runs `everyLine` for each line it is sent and answers
    /// each job with "fake <id>", running the shell command `fault` first. Cancels it ignores
    /// (allowed: the job's answer then comes in full).
    public static func fakeWorker(_ fault: String, version: Int? = nil, startup: String = "",
                                  everyLine: String = "") throws -> String {
        let script = try temporaryFolder("fakeworker").appendingPathComponent("worker.sh")
        let ready = version.map { #"{"type":"ready","version":\#($0)}"# } ?? #"{"type":"ready"}"#
        try """
            #!/bin/sh
            \(startup)
            echo '\(ready)'
            while read -r line; do
              \(everyLine)
              case "$line" in *'"type":"cancel"'*) continue ;; esac
              id=$(echo "$line" | sed 's/.*"id":\\(-\\{0,1\\}[0-9]*\\).*/\\1/')
              \(fault)
              echo "{\\"type\\":\\"result\\",\\"id\\":$id,\\"text\\":\\"fake $id\\"}"
            done
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script.path
    }

    /// The word-level edit distance from what was said to what was heard, ignoring case and
    /// punctuation, and how many words were said.
    public static func wordErrors(heard: String, said: String) -> (errors: Int, words: Int) {
        func words(_ s: String) -> [Substring] { s.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" } }
        let h = words(heard), r = words(said)
        guard !r.isEmpty, !h.isEmpty else { return (max(r.count, h.count), r.count) }
        var row = Array(0...h.count)
        for i in 1...r.count {
            var diagonal = row[0]
            row[0] = i
            for j in 1...h.count {
                let above = row[j]
                row[j] = min(above + 1, row[j - 1] + 1, diagonal + (r[i - 1] == h[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return (row[h.count], r.count)
    }

    /// Word error rate: `wordErrors` over the number of words said.
    public static func wordErrorRate(heard: String, said: String) -> Double {
        let (errors, words) = wordErrors(heard: heard, said: said)
        return Double(errors) / Double(max(1, words))
    }
}
