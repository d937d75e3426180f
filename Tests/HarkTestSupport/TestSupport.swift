import Foundation

/// What several test targets share: where the repository and the built `hark` are, temporary
/// folders, and a fake transcription worker.
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

    /// A fake worker (a shell script speaking the worker protocol): says ready, then answers each
    /// job with "fake <id>", running the shell command `fault` first.
    public static func fakeWorker(_ fault: String) throws -> String {
        let script = try temporaryFolder("fakeworker").appendingPathComponent("worker.sh")
        try """
            #!/bin/sh
            echo '{"type":"ready"}'
            while read -r line; do
              id=$(echo "$line" | sed 's/.*"id":\\(-\\{0,1\\}[0-9]*\\).*/\\1/')
              \(fault)
              echo "{\\"type\\":\\"result\\",\\"id\\":$id,\\"text\\":\\"fake $id\\"}"
            done
            """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        return script.path
    }
}
