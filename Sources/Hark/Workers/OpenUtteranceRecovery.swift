import Foundation
import HarkAudio
import HarkCore

/// A recorder killed mid-utterance never saved it; with `--keep-audio` its audio is in
/// `recording.wav` (synced every second). This runs the session's detector and segmenter over the
/// recording after the last saved segment and saves what it finds as the session's next segments.
enum OpenUtteranceRecovery {
    static func recover(_ store: SessionStore, modelsDirectory: URL = RecorderConfiguration.defaultModelsDirectory()) async throws -> Int {
        let manifest = await store.manifest
        guard manifest.state == .recording, let file = manifest.recordingFile else { return 0 }
        let path = store.folder.appendingPathComponent(file).path
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        let (samples, format) = try AudioFile.read(path: path)
        guard format == .speech else { return 0 }
        let start = Int(((manifest.segments.last?.audioEnd ?? 0) * 16_000).rounded())
        guard samples.count - start >= vadChunkSize else { return 0 }

        let mode = manifest.vadModes.last?.mode ?? .silero
        let detector = try DetectorFactory.standard.make(mode.detector, modelsDirectory)
        var chunkStep = ChunkStep(segmenter: try Segmenter(configuration: manifest.segmenter, sampleRate: 16_000),
                                  detectors: detector.map { [mode.detector: $0] } ?? [:], mode: mode)
        var utterances: [Utterance] = []
        var chunk = [Float](repeating: 0, count: vadChunkSize)
        var position = start
        while position + vadChunkSize <= samples.count {
            for i in 0..<vadChunkSize { chunk[i] = samples[position + i] }
            if let finished = try chunkStep.process(&chunk).step.finished { utterances.append(finished) }
            position += vadChunkSize
        }
        if let open = chunkStep.flush() { utterances.append(open) }
        for var utterance in utterances {
            // Segmenter positions count from `start`; the session's from the recording's start.
            utterance.audioStart += start
            utterance.speechStart += start
            utterance.speechEnd += start
            _ = try await store.save(utterance, sampleRate: 16_000)
        }
        return utterances.count
    }
}
