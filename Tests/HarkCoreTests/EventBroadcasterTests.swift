import Foundation
import Testing
@testable import HarkCore

@Suite struct EventBroadcasterTests {
    static func saved(_ id: Int) -> RecorderEvent {
        .segmentSaved(SegmentSaved(segment: SegmentRecord(
            id: id, file: SessionManifest.segmentFile(id), speechStart: 0, speechEnd: 1,
            audioStart: 0, audioEnd: 1, endReason: .silence, state: .saved)))
    }
    static func level(_ t: Double) -> RecorderEvent { .audioLevel(AudioLevel(time: t, rms: 0.1, peak: 0.2)) }
    static func probability(_ t: Double) -> RecorderEvent {
        .speechDetected(SpeechDetected(time: t, probability: 0.9, isSpeech: true))
    }

    static func drain(_ stream: EventStream) async throws -> [RecorderEvent] {
        var events: [RecorderEvent] = []
        for try await event in stream { events.append(event) }
        return events
    }

    @Test func deliversEveryLosslessEventInOrder() async throws {
        let broadcaster = EventBroadcaster(bufferLimit: 100)
        let stream = broadcaster.subscribe()
        for id in 1...50 { broadcaster.publish(Self.saved(id)) }
        broadcaster.finish()
        let events = try await Self.drain(stream)
        #expect(events == (1...50).map(Self.saved))
    }

    @Test func meterEventsCoalesceToTheLatestInPlace() async throws {
        let broadcaster = EventBroadcaster(bufferLimit: 100)
        let stream = broadcaster.subscribe()
        broadcaster.publish(Self.saved(1))
        for t in 0..<10 { broadcaster.publish(Self.level(Double(t))) }
        broadcaster.publish(Self.saved(2))
        broadcaster.publish(Self.probability(1))
        broadcaster.publish(Self.level(99))
        broadcaster.finish()
        let events = try await Self.drain(stream)
        #expect(events == [Self.saved(1), Self.saved(2), Self.probability(1), Self.level(99)])
    }

    @Test func aSubscriberTooFarBehindIsEndedWithAnErrorNotSkipped() async throws {
        let broadcaster = EventBroadcaster(bufferLimit: 8)
        let stream = broadcaster.subscribe()
        for id in 1...20 { broadcaster.publish(Self.saved(id)) }
        var received: [RecorderEvent] = []
        do {
            for try await event in stream { received.append(event) }
            Issue.record("expected eventConsumerTooSlow")
        } catch let error as HarkError {
            #expect(error.code == .eventConsumerTooSlow)
        }
        #expect(received == (1...8).map(Self.saved), "everything buffered is delivered before the error")
    }

    @Test func eachSubscriberHasItsOwnBuffer() async throws {
        let broadcaster = EventBroadcaster(bufferLimit: 4)
        let fast = broadcaster.subscribe()
        let reader = Task { try await Self.drain(fast) }
        let slow = broadcaster.subscribe()
        for id in 1...3 { broadcaster.publish(Self.saved(id)) }
        broadcaster.finish()
        #expect(try await reader.value.count == 3)
        #expect(try await Self.drain(slow).count == 3)
    }

    @Test func subscribingAfterFinishEndsAtOnce() async throws {
        let broadcaster = EventBroadcaster()
        broadcaster.finish()
        #expect(try await Self.drain(broadcaster.subscribe()).isEmpty)
    }

    @Test func aWaitingReaderIsWokenByPublish() async throws {
        let broadcaster = EventBroadcaster()
        let stream = broadcaster.subscribe()
        let reader = Task { try await Self.drain(stream) }
        try await Task.sleep(for: .milliseconds(20))
        broadcaster.publish(Self.saved(1))
        broadcaster.finish()
        #expect(try await reader.value == [Self.saved(1)])
    }

    @Test func cancellingAReaderEndsItsStream() async throws {
        let broadcaster = EventBroadcaster()
        let stream = broadcaster.subscribe()
        let reader = Task { try await Self.drain(stream) }
        try await Task.sleep(for: .milliseconds(20))
        reader.cancel()
        _ = try await reader.value
        broadcaster.publish(Self.saved(1))   // must not crash or resume twice
    }

    @Test func jsonIsOneFlatObjectNamedByEvent() throws {
        let event = Self.saved(3)
        let data = try JSONEncoder().encode(event)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"event\":\"segmentSaved\""))
        #expect(try JSONDecoder().decode(RecorderEvent.self, from: data) == event)
    }
}

@Suite struct VADModeTests {
    @Test func parsesArguments() {
        #expect(VADMode(argument: "energy") == .energy)
        #expect(VADMode(argument: "silero:HIGH") == VADMode(detector: .silero, sensitivity: .high))
        #expect(VADMode(argument: "manual") == .manual)
        #expect(VADMode(argument: "loud") == nil)
        #expect(VADMode(argument: "energy:extreme") == nil)
    }

    @Test func higherSensitivityHasLowerThresholdsWithHysteresis() {
        let t = VADMode.Sensitivity.allCases.map { VADMode(detector: .energy, sensitivity: $0).thresholds }
        #expect(t[0].start > t[1].start && t[1].start > t[2].start)
        #expect(t.allSatisfy { $0.end < $0.start })
    }

    @Test func nextCyclesThroughAvailableModes() {
        var mode = VADMode.energy
        var seen: [VADMode] = []
        for _ in 0..<4 {
            mode = mode.next(available: [.energy, .manual])
            seen.append(mode)
        }
        #expect(seen.map(\.description) == ["energy:high", "manual", "energy:low", "energy"])
    }
}
