import Foundation
import Hark

/// Live recording from the default input with transcription workers, while speech plays into it:
/// for each utterance, the time from the end of its speech (and from its segment being saved) to
/// its `transcriptionComplete`; dropped audio; RSS of the recorder and its workers at the end.
enum LatencyBenchmark {
    static func run(seconds: Double, worker: String, beam: Int) async throws {
        var configuration = RecorderConfiguration()
        configuration.sessionsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-latency-\(UUID().uuidString)")
        var workers = WorkerPoolConfiguration(executable: worker, arguments: ["worker"])
        workers.options = TranscriptionOptions(beamSize: beam)
        configuration.transcription = workers
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let events = recorder.events
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> Double { (clock.now - origin).inSeconds }
        let collecting = Task { () -> (speechEnd: [Int: Double], saved: [Int: Double], done: [Int: Double], offset: Double, dropped: Int) in
            var speechEnd: [Int: Double] = [:], saved: [Int: Double] = [:], done: [Int: Double] = [:]
            var offset = Double.infinity, dropped = 0
            for try await event in events {
                switch event {
                case .audioLevel(let e): offset = min(offset, now() - e.time)   // wall time of audio time 0
                case .segmentSaved(let e): speechEnd[e.segment.id] = e.segment.speechEnd; saved[e.segment.id] = now()
                case .transcriptionComplete(let e): done[e.segmentID] = now()
                case .audioDropped(let e): dropped += e.frames
                case .recordingStopped: return (speechEnd, saved, done, offset, dropped)
                default: break
                }
            }
            return (speechEnd, saved, done, offset, dropped)
        }
        try await recorder.start()
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let rss = residentMegabytes(of: ProcessInfo.processInfo.processIdentifier)
        let workerRSS = childProcesses().map(residentMegabytes(of:)).reduce(0, +)
        let summary = try await recorder.stop()
        let r = try await collecting.value
        let fromSpeech = r.done.compactMap { id, t in r.speechEnd[id].map { t - (r.offset + $0) } }.sorted()
        let fromSaved = r.done.compactMap { id, t in r.saved[id].map { t - $0 } }.sorted()
        func p(_ v: [Double], _ q: Double) -> String { v.isEmpty ? "-" : format(percentile(v, q) * 1000, 0) }
        print("latency: \(format(seconds, 0)) s live, beam \(beam), \(summary.segmentCount) segments, \(r.done.count) transcribed, \(summary.droppedFrames) frames dropped (events: \(r.dropped))")
        print("  end of speech → text: p50 \(p(fromSpeech, 0.5)) ms, p95 \(p(fromSpeech, 0.95)) ms, max \(p(fromSpeech, 1)) ms")
        print("  segment saved → text: p50 \(p(fromSaved, 0.5)) ms, p95 \(p(fromSaved, 0.95)) ms (end of speech → saved is the 0.5 s hangover, plus the 0.2 s padding)")
        print("  RSS at the end: recorder \(format(rss, 0)) MB, workers \(format(workerRSS, 0)) MB")
    }

    static func residentMegabytes(of pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    static func childProcesses() -> [Int32] {
        let me = ProcessInfo.processInfo.processIdentifier
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == me ? pid : nil
        }
    }
}
