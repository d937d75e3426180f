import Testing
@testable import HarkCore

@Suite struct LineFramerTests {
    @Test func splitsAtNewlineOnlyAcrossFeeds() {
        var framer = LineFramer()
        let text = "a\u{2028}b\u{85}c\r\nsecond"
        let bytes = Array(text.utf8)
        var items: [LineFramer.Item] = []
        for byte in bytes { items += framer.feed([byte]) }
        #expect(items == [.line("a\u{2028}b\u{85}c")])
        #expect(framer.finish() == .line("second"))
        #expect(framer.finish() == nil)
    }

    @Test func anOversizedLineIsReportedOnceAndTheNextIsWhole() {
        var framer = LineFramer(maxLineBytes: 8)
        let items = framer.feed(Array("0123456789abc\nok\n".utf8))
        #expect(items == [.oversized(bytes: 13), .line("ok")])
        #expect(framer.feed(Array("12345678".utf8)).isEmpty)
        #expect(framer.feed(Array("\n".utf8)) == [.line("12345678")])
    }
}
