extension SessionManifest {
    /// A manifest read from disk, made safe to act on: every file it names stays inside the
    /// session folder (a crafted `session.json` must not make the server send `/etc/passwd` or
    /// resume write elsewhere), and every time is a finite number in range (see `TranscriptLimits`).
    public func validated() throws -> SessionManifest {
        var manifest = self
        for (index, segment) in segments.enumerated() {
            guard Self.isInsideFolder(segment.file) else {
                throw HarkError(.corruptSession, "Session \(id) lists segment file '\(segment.file.prefix(200))', which is not inside its folder.")
            }
            var clean = segment
            clean.speechStart = TranscriptLimits.seconds(segment.speechStart)
            clean.speechEnd = TranscriptLimits.seconds(segment.speechEnd)
            clean.audioStart = TranscriptLimits.seconds(segment.audioStart)
            clean.audioEnd = max(clean.audioStart, TranscriptLimits.seconds(segment.audioEnd))
            clean.transcription?.segments = segment.transcription?.segments?.map { $0.validated() }
            manifest.segments[index] = clean
        }
        if let file = recordingFile, !Self.isInsideFolder(file) {
            throw HarkError(.corruptSession, "Session \(id) names its recording '\(file.prefix(200))', which is not inside its folder.")
        }
        manifest.duration = TranscriptLimits.seconds(duration)
        manifest.droppedFrames = max(0, droppedFrames)
        manifest.vadModes = vadModes.map { ModeChange(time: TranscriptLimits.seconds($0.time), mode: $0.mode) }
        return manifest
    }

    /// A relative path of plain names: no leading "/", no ".." or "." component, no empty one.
    static func isInsideFolder(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." }
    }
}
