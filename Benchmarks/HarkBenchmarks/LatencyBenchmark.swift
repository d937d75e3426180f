import Foundation
import Hark
import HarkTestSupport

/// Live recording from the default input with transcription workers, while speech plays into it:
/// for each utterance, the time from the end of its speech to its `transcriptionComplete`;
/// dropped audio; RSS of the recorder and its workers at the end.
///
/// "End of speech" is measured two ways. From the input: the played script's own end of sound
/// (scripts/make-latency-script.py writes it), placed in the stream by matching the k-th segment
/// to the script's k-th utterance and taking, per play of the script, the median offset of their
/// starts. From the VAD: the segment's `speechEnd`, which Silero puts a chunk or two after the
/// sound ends. Stream time becomes wall time through the earliest `audioLevel` events seen for it,
/// per 10 s of stream: the device's clock and the system's drift apart (a global minimum, taken
/// early, put a 30-minute run's p50 ~0.18 s too high).
enum LatencyBenchmark {
    struct Script: Decodable {
        struct Line: Decodable { var text: String; var start: Double; var end: Double }
        var speech: [Line]
    }

    struct Timing {
        var speechStart: [Int: Double] = [:], speechEnd: [Int: Double] = [:]
        var saved: [Int: Double] = [:], done: [Int: Double] = [:], texts: [Int: String] = [:]
        /// Per 10 s of stream time, the least (wall − stream time) of its `audioLevel` events.
        var offsets: [Int: Double] = [:]
        var dropped = 0
        /// Partial transcripts per segment, with the wall time each arrived.
        var partials: [Int: [(time: Double, event: TranscriptionPartial)]] = [:]

        /// Wall time (since the benchmark started) of stream time `time`, by its window's offset
        /// (about 300 events each), else the previous window's.
        func wall(_ time: Double) -> Double {
            let window = Int(time / 10)
            return time + (offsets[window] ?? offsets[window - 1] ?? 0)
        }
    }

    static func run(seconds: Double, worker: String, beam: Int, script path: String?, speculate: Bool,
                    endSilence: Double? = nil, padding: Double? = nil, instantWorker: Bool = false,
                    partials: Bool = false, details: Bool = false) async throws {
        let script = try path.map { try JSONDecoder().decode(Script.self, from: Data(contentsOf: URL(fileURLWithPath: $0))) }
        var configuration = RecorderConfiguration()
        configuration.sessionsDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-latency-\(UUID().uuidString)")
        // An instant worker answers every job at once: what is left is the pipeline's own floor
        // (capture, VAD, hangover, files, IPC), the latency no transcription speed-up can remove.
        var workers = instantWorker ? WorkerPoolConfiguration(executable: try TestSupport.fakeWorker(":"), arguments: [])
                                    : WorkerPoolConfiguration(executable: worker, arguments: ["worker"])
        workers.options = TranscriptionOptions(beamSize: beam)
        configuration.transcription = workers
        configuration.speculativeTranscription = speculate
        if partials { configuration.partialTranscripts = PartialTranscriptConfiguration() }
        if let endSilence { configuration.segmenter.endSilence = endSilence }
        if let padding { configuration.segmenter.padding = padding }
        let recorder = AsyncRecorderBackend(configuration: configuration)
        let events = recorder.events
        let clock = ContinuousClock()
        let origin = clock.now
        func now() -> Double { (clock.now - origin).inSeconds }
        let collecting = Task { () -> Timing in
            var t = Timing()
            for try await event in events {
                switch event {
                case .audioLevel(let e):
                    let window = Int(e.time / 10)
                    t.offsets[window] = min(t.offsets[window] ?? .infinity, now() - e.time)
                case .segmentSaved(let e):
                    t.speechStart[e.segment.id] = e.segment.speechStart
                    t.speechEnd[e.segment.id] = e.segment.speechEnd
                    t.saved[e.segment.id] = now()
                case .transcriptionComplete(let e): t.done[e.segmentID] = now(); t.texts[e.segmentID] = e.text
                case .transcriptionPartial(let e): t.partials[e.segmentID, default: []].append((now(), e))
                case .audioDropped(let e): t.dropped += e.frames
                case .recordingStopped: return t
                default: break
                }
            }
            return t
        }
        try await recorder.start()
        let cpuAtStart = processCPUTime()
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        let rss = residentMegabytes(of: ProcessInfo.processInfo.processIdentifier)
        let workerRSS = childProcesses().map(residentMegabytes(of:)).reduce(0, +)
        let recorderCPU = (processCPUTime() - cpuAtStart) / seconds
        let workerCPU = childProcesses().map(cpuSeconds(of:)).reduce(0, +) / seconds
        let summary = try await recorder.stop()
        let t = try await collecting.value
        let fromVAD = t.done.compactMap { id, done in t.speechEnd[id].map { done - t.wall($0) } }.sorted()
        let fromSaved = t.done.compactMap { id, done in t.saved[id].map { done - $0 } }.sorted()
        func p(_ v: [Double], _ q: Double) -> String { v.isEmpty ? "-" : format(percentile(v, q) * 1000, 0) }
        print("latency: \(format(seconds, 0)) s live, beam \(beam), speculation \(speculate ? "on" : "off"), partials \(partials ? "on" : "off"),\(instantWorker ? " instant worker (no transcription)," : "") end silence \(configuration.segmenter.endSilence) s, padding \(configuration.segmenter.padding) s, \(summary.segmentCount) segments, \(t.done.count) transcribed, \(summary.droppedFrames) frames dropped (events: \(t.dropped))")
        if let script {
            let (fromInput, matched, errors) = inputLatencies(t, script: script)
            print("  end of sound in the input → final text: p50 \(p(fromInput, 0.5)) ms, p95 \(p(fromInput, 0.95)) ms, max \(p(fromInput, 1)) ms (\(fromInput.count) of \(matched) matched utterances; word error rate of finals \(format(errors * 100, 1)) %)")
            if partials {
                let live = partialFigures(t, script: script)
                print("  speech start in the input → first partial: p50 \(p(live.firstPartial, 0.5)) ms, p95 \(p(live.firstPartial, 0.95)) ms (\(live.firstPartial.count) utterances)")
                print("  end of sound → text visible (a partial or the final with ≥ 80 % of the final's words): p50 \(p(live.visible, 0.5)) ms, p95 \(p(live.visible, 0.95)) ms, max \(p(live.visible, 1)) ms")
                print("  partials per utterance: \(format(live.perUtterance, 1)) (\(live.tentative) tentative finals); stable words later revised: \(live.revised)")
                if details { printDetails(t, script: script) }
            }
        }
        print("  VAD end of speech → text: p50 \(p(fromVAD, 0.5)) ms, p95 \(p(fromVAD, 0.95)) ms, max \(p(fromVAD, 1)) ms")
        print("  segment saved → text: p50 \(p(fromSaved, 0.5)) ms, p95 \(p(fromSaved, 0.95)) ms")
        print("  RSS at the end: recorder \(format(rss, 0)) MB, workers \(format(workerRSS, 0)) MB; CPU: recorder \(format(recorderCPU * 100, 1)) %, workers \(format(workerCPU * 100, 1)) % of one core")
    }

    /// Per matched utterance: speech start → first partial; end of sound → the first partial or
    /// final holding ≥ 80 % of the final's words (negative: before the sound ended); partials per
    /// utterance; tentative finals; stable words that a later partial of the segment lost.
    static func partialFigures(_ t: Timing, script: Script) -> (firstPartial: [Double], visible: [Double], perUtterance: Double,
                                                               tentative: Int, revised: Int) {
        let pairs = matchedPairs(t, script: script)
        var first: [Double] = [], visible: [Double] = [], counts: [Int] = [], tentative = 0, revised = 0
        for pair in pairs {
            let list = t.partials[pair.id] ?? []
            counts.append(list.count)
            tentative += list.filter { $0.event.tentativeFinal }.count
            for (earlier, later) in zip(list, list.dropFirst()) where !later.event.stable.hasPrefix(earlier.event.stable) {
                revised += earlier.event.stable.split(separator: " ").count
            }
            if let firstPartial = list.first { first.append(firstPartial.time - t.wall(pair.line.start + pair.offset)) }
            guard let done = t.done[pair.id] else { continue }
            let final = words(t.texts[pair.id] ?? "")
            let shown = list.first { commonWords(words($0.event.text), final) * 5 >= final.count * 4 }?.time ?? done
            visible.append(min(shown, done) - t.wall(pair.line.end + pair.offset))
        }
        return (first.sorted(), visible.sorted(), counts.isEmpty ? 0 : Double(counts.reduce(0, +)) / Double(counts.count), tentative, revised)
    }

    /// Per utterance, times from its end of sound: each partial (t = tentative final) with its
    /// share of the final's words, then the final.
    static func printDetails(_ t: Timing, script: Script) {
        for pair in matchedPairs(t, script: script) {
            let end = t.wall(pair.line.end + pair.offset), final = words(t.texts[pair.id] ?? "")
            let partials = (t.partials[pair.id] ?? []).map { partial in
                let share = final.isEmpty ? 0 : commonWords(words(partial.event.text), final) * 100 / final.count
                return "\(partial.event.tentativeFinal ? "t" : "")\(Int(((partial.time - end) * 1000).rounded()))ms:\(share)%"
            }
            let done = t.done[pair.id].map { "\(Int((($0 - end) * 1000).rounded())) ms" } ?? "-"
            print("    #\(pair.id) \(final.count) words: \(partials.joined(separator: " ")) → final \(done)")
            if let last = t.partials[pair.id]?.last?.event {
                print("      last partial [\(last.stable)|\(last.unstable)], final [\(t.texts[pair.id] ?? "")]")
            }
        }
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init)
    }

    /// Longest common subsequence of two word lists.
    static func commonWords(_ a: [String], _ b: [String]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var row = [Int](repeating: 0, count: b.count + 1)
        for word in a {
            var diagonal = 0
            for j in 1...b.count {
                let above = row[j]
                row[j] = word == b[j - 1] ? diagonal + 1 : max(row[j], row[j - 1])
                diagonal = above
            }
        }
        return row[b.count]
    }

    static func cpuSeconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Latencies from the script's ends of sound, and the word error rate over matched utterances.
    /// Segments pair with script lines in order, the script repeating once per play: each segment
    /// takes the first of the next three lines whose length is within 0.4 s of its speech, so a
    /// split, merged or missed utterance costs its own pair and not every pair after it.
    static func inputLatencies(_ t: Timing, script: Script) -> ([Double], Int, Double) {
        let pairs = matchedPairs(t, script: script)
        var latencies: [Double] = [], words = 0, wrong = 0
        for pair in pairs {
            guard let done = t.done[pair.id] else { continue }
            latencies.append(done - t.wall(pair.line.end + pair.offset))
            let (errors, said) = TestSupport.wordErrors(heard: t.texts[pair.id] ?? "", said: pair.line.text)
            words += said
            wrong += errors
        }
        return (latencies.sorted(), pairs.count, words == 0 ? 0 : Double(wrong) / Double(words))
    }

    /// Segments paired with script lines, and the offset (stream − script time) of the pair's play.
    static func matchedPairs(_ t: Timing, script: Script) -> [(id: Int, line: Script.Line, offset: Double)] {
        let lines = script.speech
        var pairs: [(id: Int, line: Script.Line, play: Int)] = []
        var next = 0   // lines heard so far, over all plays
        for id in t.speechStart.keys.sorted() {
            guard let start = t.speechStart[id], let end = t.speechEnd[id] else { continue }
            for candidate in next..<(next + 3) {
                let line = lines[candidate % lines.count]
                if abs((end - start) - (line.end - line.start)) < 0.4 {
                    pairs.append((id, line, candidate / lines.count))
                    next = candidate + 1
                    break
                }
            }
        }
        var offsets: [Int: Double] = [:]
        for play in Set(pairs.map(\.play)) {
            offsets[play] = percentile(pairs.filter { $0.play == play }.map { t.speechStart[$0.id]! - $0.line.start }.sorted(), 0.5)
        }
        return pairs.map { ($0.id, $0.line, offsets[$0.play]!) }
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
