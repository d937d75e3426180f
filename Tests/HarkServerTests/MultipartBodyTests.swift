import Testing
@testable import HarkServer

@Suite struct MultipartBodyTests {
    static func parts(_ text: String, boundary: String = "b") throws -> [MultipartBody.Part] {
        try MultipartBody(Array(text.utf8), boundary: boundary).parts
    }

    @Test func partsHeadersAndContentAsCurlSendsThem() throws {
        let parts = try Self.parts("preamble\r\n--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
            + "--b  \r\ncontent-disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRI\r\nFF\r\n--b--\r\nepilogue")
        #expect(parts.count == 2)
        #expect(parts[0].headers["content-disposition"] == "form-data; name=\"model\"")
        #expect(String(decoding: parts[0].content, as: UTF8.self) == "whisper-1")
        #expect(parts[1].headers["content-type"] == "audio/wav")
        #expect(String(decoding: parts[1].content, as: UTF8.self) == "RI\r\nFF", "a line end inside the content is content")
    }

    @Test func aDelimiterMustStartALine() throws {
        let parts = try Self.parts("--b\r\nA: 1\r\n\r\nx--b y\r\n--b--\r\n")
        #expect(parts.count == 1 && String(decoding: parts[0].content, as: UTF8.self) == "x--b y")
    }

    @Test func malformedBodiesAreErrors() {
        for body in ["", "no boundary here", "--b\r\nA: 1\r\n\r\nnever closed", "--b\r\nno colon\r\n\r\nx\r\n--b--",
                     "--bX", "--b\r\nA: 1", "--b"] {
            #expect(throws: MultipartBody.Malformed.self, "\(body)") { try Self.parts(body) }
        }
        #expect(throws: MultipartBody.Malformed.self) { try MultipartBody(Array("--\r\n".utf8), boundary: "") }
        let many = String(repeating: "--b\r\nA: 1\r\n\r\nx\r\n", count: 65) + "--b--"
        #expect(throws: MultipartBody.Malformed.self) { try Self.parts(many) }
        #expect(throws: MultipartBody.Malformed.self) { try MultipartBody([0x2D, 0x2D, 0x62, 0x0D, 0x0A, 0xE3, 0xE2, 0x3A, 0x0D], boundary: "b") }
    }
}
