import Foundation
import Hark
import Testing

/// Partial transcripts as a user gets them: speech played into the virtual microphone, the built
/// `hark record --json` listening, its events read back.
@Suite(.serialized, .enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct PartialTranscriptLiveTests {
    @Test func partialsGrowWhileSpeakingAndTheFinalsReplaceThem() async throws {
        try await TUITests.startMicrophone()
        let out = try temporaryFolder("partials")
        let recorder = try HarkProcess(["record", "--json", "--out", out.path], environment: ["PULSE_RUNTIME_PATH": TUITests.pulse])
        try await recorder.waitForOutput("recordingStarted")
        let played = try await Tmux.runProcess(HarkProcess.repository.appendingPathComponent("scripts/virtual-mic.sh").path,
                                                   ["play", HarkProcess.speech], environment: ["PULSE_RUNTIME_PATH": TUITests.pulse])
        #expect(played == 0)
        try await Task.sleep(for: .seconds(1))
        recorder.interrupt()
        #expect(try await recorder.exitStatus() == 0)

        let events = recorder.stdout.split(separator: "\n").compactMap { try? JSON.decoder.decode(RecorderEvent.self, from: Data($0.utf8)) }
        var partials: [Int: [TranscriptionPartial]] = [:], endedAt: [Int: Int] = [:], finals: [Int: String] = [:]
        var pendingEnd: Int?
        for (index, event) in events.enumerated() {
            switch event {
            case .transcriptionPartial(let p):
                #expect(finals[p.segmentID] == nil, "no partial after its segment's final")
                partials[p.segmentID, default: []].append(p)
            case .speechEnded: pendingEnd = index
            case .segmentSaved(let e): endedAt[e.segment.id] = pendingEnd ?? index
            case .transcriptionComplete(let e): finals[e.segmentID] = e.text
            case .audioDropped(let e): Issue.record("audio dropped: \(e.frames) frames")
            default: break
            }
        }
        #expect(finals.count == 4, "four sentences, four finals")
        for (id, list) in partials.sorted(by: { $0.key < $1.key }) {
            print("segment \(id): \(list.map { "[\($0.stable)|\($0.unstable)]" }.joined(separator: " ")) → \(finals[id] ?? "-")")
            // Stable text only grows.
            for (earlier, later) in zip(list, list.dropFirst()) {
                #expect(later.stable.hasPrefix(earlier.stable), "'\(earlier.stable)' then '\(later.stable)'")
                #expect(later.audioEnd >= earlier.audioEnd)
            }
        }
        // Text arrives while the speaker is still speaking: before the VAD says the utterance ended.
        let duringSpeech = events.indices.filter { index in
            guard case .transcriptionPartial(let p) = events[index], !p.tentativeFinal, let end = endedAt[p.segmentID] else { return false }
            return index < end
        }
        // At least half: on a two-core CPU without AVX-512 an utterance that starts while the one
        // before is still being finalised may end before a worker is free for its partial.
        #expect(Set(duringSpeech.compactMap { if case .transcriptionPartial(let p) = events[$0] { p.segmentID } else { nil } }).count >= 2,
                "partials during speech in half the utterances or more")
    }
}

/// Partials never change a final: the same file, cut the same way, gives the same text for every
/// segment with partials on (played at real time, so they run) and off.
@Suite(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
struct PartialFinalsTests {
    @Test func finalsAreTheSameWithAndWithoutPartials() async throws {
        func finals(_ flags: [String]) async throws -> (finals: [Int: String], partials: Int) {
            let out = try temporaryFolder("partial-finals")
            let result = try await HarkProcess.run(["record", "--input", HarkProcess.speech, "--json", "--out", out.path] + flags)
            #expect(result.status == 0, "\(result.stderr)")
            let events = result.stdout.split(separator: "\n").compactMap { try? JSON.decoder.decode(RecorderEvent.self, from: Data($0.utf8)) }
            var finals: [Int: String] = [:], partials = 0
            for event in events {
                if case .transcriptionComplete(let e) = event { finals[e.segmentID] = e.text }
                if case .transcriptionPartial = event { partials += 1 }
            }
            return (finals, partials)
        }
        let with = try await finals(["--realtime", "--partials"]), without = try await finals(["--no-partials"])
        // Some partials, not one per utterance: on a CPU without AVX-512 a partial takes about a
        // second and finals go first, so a short utterance may end before its turn.
        #expect(with.partials > 0, "partials ran")
        #expect(without.partials == 0)
        #expect(with.finals.count == 4)
        #expect(with.finals == without.finals)
    }
}
