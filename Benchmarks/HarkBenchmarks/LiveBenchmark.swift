import Foundation
import Hark
import HarkCore

/// A live recording from the default input while speech plays into it (the virtual microphone of
/// `scripts/virtual-mic.sh` on machines without one): the whole process's CPU share — callback
/// thread, the audio library's own threads, consumer and event printing — and dropped audio.
enum LiveBenchmark {
    static func run(seconds: Double) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hark-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = RecorderConfiguration()
        configuration.transcription = nil   // capture alone is measured
        configuration.sessionsDirectory = root
        configuration.vadMode = .energy
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let events = recorder.events
        let counting = Task {
            var counts: [String: Int] = [:]
            for try await event in events {
                counts[event.name, default: 0] += 1
                if event.name == "recordingStopped" { break }
            }
            return counts
        }
        try await recorder.start()
        try await Task.sleep(for: .seconds(1))
        let before = processCPUTime(), wallStart = monotonicNanoseconds(), threadsBefore = threadCPUTimes()
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let cpu = processCPUTime() - before
        let threadsAfter = threadCPUTimes()
        let wall = Double(monotonicNanoseconds() - wallStart) / 1e9
        let summary = try await recorder.stop()
        let counts = try await counting.value
        print("live: \(format(wall)) s from the default input, \(summary.segmentCount) segments")
        print("  process CPU: \(format(cpu * 1000)) ms = \(format(cpu / wall * 100, 2)) % of one core")
        // Per thread (threads that came and went in between are in the total only). Names do not
        // tell the PortAudio thread apart: it inherits the name of the Swift pool thread that
        // started the stream. The capture loop hops between pool threads; PortAudio's thread is
        // one steady thread id; 'threaded-ml' is the PulseAudio client's mainloop.
        for (tid, after) in threadsAfter.sorted(by: { $0.key < $1.key }) {
            let used = after.seconds - (threadsBefore[tid]?.seconds ?? 0)
            if used > 0 { print("    thread \(tid) '\(after.name)': \(format(used * 1000)) ms = \(format(used / wall * 100, 2)) %") }
        }
        print("  dropped input frames: \(summary.droppedFrames); events: \(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }
}
