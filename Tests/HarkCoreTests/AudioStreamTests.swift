import HarkCore
import Testing

/// The pushed-audio source: bounded, read in order with its marks, cleared whole.
@Suite struct AudioStreamTests {
    func read(_ stream: AudioStream, _ count: Int = 4) throws -> AudioRead {
        var buffer = [Float](repeating: 0, count: count)
        return try buffer.withUnsafeMutableBufferPointer { try stream.read(into: $0) }
    }

    @Test func samplesPastTheCapacityAreRefusedNotQueued() {
        let stream = AudioStream(name: "test", sampleRate: 10, capacitySeconds: 1)
        #expect(stream.append([1, 2, 3, 4, 5, 6]))
        #expect(!stream.append([7, 8, 9, 10, 11]))
        #expect(stream.bufferedSamples == 6)
        #expect(stream.append([7, 8, 9, 10]))
    }

    @Test func marksComeBetweenTheSamplesTheyFollow() throws {
        let stream = AudioStream(name: "test", sampleRate: 16_000)
        stream.append([1, 2, 3, 4, 5, 6])
        stream.commit()
        stream.commit()   // nothing between: one mark
        stream.append([7])
        #expect(try read(stream) == .samples(4))
        #expect(try read(stream) == .samples(2))
        #expect(try read(stream) == .mark(.commit))
        #expect(try read(stream) == .samples(1))
        #expect(try read(stream) == .wait)
        stream.finish()
        #expect(try read(stream) == .end)
        #expect(!stream.append([1]))
    }

    @Test func aClearDropsWhatIsUnreadAndMarksTheDiscard() throws {
        let stream = AudioStream(name: "test", sampleRate: 16_000)
        stream.append([1, 2, 3])
        stream.commit()
        stream.clear()
        #expect(stream.bufferedSamples == 0)
        #expect(try read(stream) == .mark(.discard))
        #expect(try read(stream) == .wait)
    }
}
