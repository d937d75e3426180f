import Foundation
import Testing

/// `hark serve` as a user runs it: the real process on a real port, the virtual microphone, and
/// the web page in headless Chromium.
@Suite("hark serve", .serialized, .timeLimit(.minutes(4)))
struct ServeCommandTests {
    /// Starts `hark serve --port 0 …` and returns it with the port it printed.
    static func serve(_ arguments: [String], environment: [String: String] = [:]) async throws -> (HarkProcess, Int) {
        let process = try HarkProcess(["serve", "--port", "0"] + arguments, environment: environment)
        try await process.waitForOutput("listening on http://", timeout: .seconds(60))
        let line = process.stdout.split(separator: "\n").first { $0.contains("listening on") } ?? ""
        let port = Int(line.split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0
        try #require(port > 0, "no port in: \(line)")
        return (process, port)
    }

    @Test(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is needed (make deps)"))
    func theWebPageRecordsShowsTranscriptsAndPlaysSessions() async throws {
        try await TUITests.startMicrophone()
        let out = try temporaryFolder("serve-page")
        let (server, port) = try await Self.serve(["--out", out.path], environment: ["PULSE_RUNTIME_PATH": TUITests.pulse])
        defer { server.interrupt() }
        let browser = try await HeadlessChromium(width: 1100, height: 800)
        try await browser.closing {
            try await browser.open("http://127.0.0.1:\(port)/")
            try await browser.waitUntil(#"document.getElementById("status").textContent.startsWith("idle")"#)
            _ = try await browser.evaluate(#"document.getElementById("record").click()"#)
            try await browser.waitUntil(#"document.getElementById("record").classList.contains("recording")"#)
            // Every partial text the page shows, as it shows it (partials are on by default here).
            _ = try await browser.evaluate("""
                window.partialsSeen = [];
                new MutationObserver(() => {
                  for (const cell of document.querySelectorAll("li.segment .text.partial")) {
                    const text = cell.textContent;
                    if (text && window.partialsSeen[window.partialsSeen.length - 1] !== text) window.partialsSeen.push(text);
                  }
                }).observe(document.getElementById("segments"), {subtree: true, childList: true, characterData: true});
                0
                """)
            _ = try await Tmux.runProcess(HarkProcess.repository.appendingPathComponent("scripts/virtual-mic.sh").path,
                                      ["play", HarkProcess.speech], environment: ["PULSE_RUNTIME_PATH": TUITests.pulse])
            // Transcripts reach the page over the event stream as each utterance is done.
            try await browser.waitUntil("""
                [...document.querySelectorAll("li.segment .state")].filter(e => e.textContent === "done").length === 4
                """, timeout: .seconds(90))
            let texts = try await browser.evaluate(#"[...document.querySelectorAll("li.segment .text")].map(e => e.textContent).join(" | ")"#)
            #expect(texts.lowercased().contains("lazy dog"), "\(texts)")
            #expect(texts.lowercased().contains("then we are done"), "\(texts)")
            // The utterances grew on the page while they were spoken, and finals replaced them.
            let partials = try await browser.evaluate(#"window.partialsSeen.join(" | ")"#)
            // At least one per recording: a CPU without AVX-512 (2 cores) has time for about one
            // partial of these 3 s utterances while the finals run.
            #expect(!partials.trimmingCharacters(in: CharacterSet(charactersIn: "\"")).isEmpty, "partials shown: \(partials)")
            let stillPartial = try await browser.evaluate(#"document.querySelectorAll("li.segment .text.partial").length"#)
            #expect(stillPartial == "0", "every row shows its final")

            // The screenshot shows what a person would see: the red stop button, four rows.
            let png = try await browser.screenshot()
            let shots = HarkProcess.repository.appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
            try png.write(to: shots.appendingPathComponent("serve-page-recording.png"))
            let image = try PNGImage(data: png)
            #expect(image.width == 1100 && image.height == 800)
            let red = image.fraction { r, g, b in r > 200 && g < 100 && b < 110 }
            let dark = image.fraction { r, g, b in r < 40 && g < 45 && b < 50 }
            #expect(red > 0.001, "the red stop button is drawn (\(red))")
            #expect(dark > 0.5, "the dark page is drawn (\(dark))")

            _ = try await browser.evaluate(#"document.getElementById("record").click()"#)
            try await browser.waitUntil(#"!document.getElementById("record").classList.contains("recording")"#)
            try await browser.waitUntil(#"document.querySelectorAll("li.session").length === 1"#)
            _ = try await browser.evaluate(#"document.querySelector("li.session").click()"#)
            try await browser.waitUntil(#"document.querySelectorAll("li.session audio").length === 4"#)
            let audio = try await browser.evaluate("""
                fetch(document.querySelector("li.session audio").src).then(r => r.status + " " + r.headers.get("content-type"))
                """)
            #expect(audio.contains("200 audio"), "\(audio)")
            try await browser.screenshot().write(to: shots.appendingPathComponent("serve-page-sessions.png"))

            // Search: the box finds the recording's words (indexed as they were transcribed),
            // marks them, plays the hit's segment and opens its session.
            _ = try await browser.evaluate(#"document.getElementById("q").value = '"lazy dog"'; document.getElementById("searchForm").requestSubmit(); 0"#)
            try await browser.waitUntil(#"document.querySelectorAll("li.hit").length === 1"#)
            let marked = try await browser.evaluate(#"[...document.querySelectorAll("li.hit mark")].map(m => m.textContent.toLowerCase()).join(" ")"#)
            #expect(marked.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == "lazy dog", "\(marked)")
            let hitAudio = try await browser.evaluate("""
                fetch(document.querySelector("li.hit audio").src).then(r => r.status + " " + r.headers.get("content-type"))
                """)
            #expect(hitAudio.contains("200 audio"), "\(hitAudio)")
            _ = try await browser.evaluate(#"document.querySelector("li.hit .where a").click(); 0"#)
            try await browser.waitUntil(#"document.querySelector("li.session.open audio") !== null"#)
            let searchShot = try await browser.screenshot()
            try searchShot.write(to: shots.appendingPathComponent("serve-page-search.png"))
            let highlight = try PNGImage(data: searchShot).fraction { r, g, b in r > 90 && r < 125 && g > 75 && g < 105 && b < 40 }
            #expect(highlight > 0.0001, "the marked words are drawn (\(highlight))")
            _ = try await browser.evaluate(#"document.getElementById("q").value = '"lazy'; document.getElementById("searchForm").requestSubmit(); 0"#)
            try await browser.waitUntil(#"document.getElementById("searchNote").textContent.includes("phrase")"#)
        }
        server.interrupt()
        #expect(try await server.exitStatus() == 0, "\(server.stderr)")
    }

    /// The long sentence `speechWithALongSentence` ends with (no commas: espeak-ng pauses at them).
    static let longSentence = "When a sentence runs on for a long time the words that were heard first are transcribed "
        + "again and again so they settle long before the speaker stops talking at the very end."

    /// The speech fixture, then a 10 s sentence (espeak-ng) and 2 s of silence (to end it): long
    /// enough for partial text to become stable on a slow CPU.
    static func speechWithALongSentence(in folder: URL) async throws -> URL {
        let spoken = folder.appendingPathComponent("long-sentence.wav"), resampled = folder.appendingPathComponent("long-16k.wav")
        let joined = folder.appendingPathComponent("microphone.wav")
        for (tool, arguments) in [("espeak-ng", ["-s", "150", "-w", spoken.path, longSentence]),
                                  ("sox", [spoken.path, "-r", "16000", resampled.path]),
                                  ("sox", [HarkProcess.speech, resampled.path, joined.path, "pad", "0", "2"])] {
            let result = try await HarkProcess.run(executable: "/usr/bin/\(tool)", arguments)
            #expect(result.status == 0, "\(tool): \(result.stderr)")
        }
        return joined
    }

    /// "Record from this browser": Chromium's fake capture device plays the speech fixture (in a
    /// loop) into getUserMedia, the page streams it over /v1/realtime, and shows the text.
    @Test(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium"), "chromium is needed (make deps)"))
    func theWebPageRecordsFromTheBrowsersMicrophone() async throws {
        let out = try temporaryFolder("serve-browser-mic")
        let token = "page-token-\(UInt32.random(in: 0 ... .max))"
        let (server, port) = try await Self.serve(["--out", out.path], environment: ["HARK_TOKEN": token])
        defer { server.interrupt() }
        let microphone = try await Self.speechWithALongSentence(in: out)
        let browser = try await HeadlessChromium(width: 1100, height: 800, extraArguments: [
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            "--use-file-for-fake-audio-capture=\(microphone.path)",
            "--autoplay-policy=no-user-gesture-required",
        ])
        try await browser.closing {
            try await browser.open("http://127.0.0.1:\(port)/#token=\(token)")
            try await browser.waitUntil(#"document.getElementById("status").textContent.startsWith("idle")"#)
            _ = try await browser.evaluate("""
                window.deltasSeen = 0;
                new MutationObserver(() => {
                  if (document.querySelector("#dictation .text.partial:not(:empty)")) window.deltasSeen++;
                }).observe(document.getElementById("dictation"), {subtree: true, childList: true, characterData: true});
                document.getElementById("dictate").click(); 0
                """)
            try await browser.waitUntil(#"document.getElementById("dictate").classList.contains("recording")"#)
            // The fixture's first sentence, cut by the server's VAD and transcribed.
            try await browser.waitUntil("""
                [...document.querySelectorAll("#dictation li")].some(li =>
                  li.querySelector(".state").textContent === "done" && /lazy dog/i.test(li.querySelector(".text").textContent))
                """, timeout: .seconds(60))
            try await browser.waitUntil("""
                [...document.querySelectorAll("#dictation li .state")].filter(e => e.textContent === "done").length >= 2
                """, timeout: .seconds(60))
            let texts = try await browser.evaluate(##"[...document.querySelectorAll("#dictation .text")].map(e => e.textContent).join(" | ")"##)
            #expect(texts.lowercased().contains("i say today"), "the second sentence too: \(texts)")
            // Deltas carry only stable text (words two partials agree on). The fixture's sentences
            // are short enough to end before a CPU without AVX-512 makes two partials; the long
            // one after them is not.
            try? await browser.waitUntil("window.deltasSeen > 0", timeout: .seconds(60))
            let deltas = try await browser.evaluate("window.deltasSeen")
            #expect((Int(deltas) ?? 0) > 0, "partial text grew on the page before its final (\(deltas) changes)")

            let png = try await browser.screenshot()
            let shots = HarkProcess.repository.appendingPathComponent(".build/test-artifacts")
            try FileManager.default.createDirectory(at: shots, withIntermediateDirectories: true)
            try png.write(to: shots.appendingPathComponent("serve-page-browser-recording.png"))
            let image = try PNGImage(data: png)
            #expect(image.fraction { r, g, b in r > 200 && g < 100 && b < 110 } > 0.001, "the red stop button is drawn")

            // Stopping commits what is being said; the utterances are a session like any other.
            _ = try await browser.evaluate(#"document.getElementById("dictate").click()"#)
            try await browser.waitUntil(#"!document.getElementById("dictate").classList.contains("recording")"#, timeout: .seconds(30))
            try await browser.waitUntil(#"document.querySelectorAll("li.session").length === 1"#)
            let sessions = try sessionFolders(in: out)
            #expect(sessions.count == 1, "\(sessions)")
            let folder = out.appendingPathComponent(try #require(sessions.first))
            let segments = folder.appendingPathComponent("segments")
            let wavs = try FileManager.default.contentsOfDirectory(atPath: segments.path).filter { $0.hasSuffix(".wav") }
            #expect(wavs.count >= 2, "\(wavs)")
        }
        server.interrupt()
        #expect(try await server.exitStatus() == 0, "\(server.stderr)")
    }

    @Test(.enabled(if: TranscribeCommandTests.modelInstalled, "run `make models`"))
    func eventsStreamAndCtrlCSavesTheUtteranceInProgress() async throws {
        let out = try temporaryFolder("serve-sse")
        let (server, port) = try await Self.serve(["--out", out.path, "--vad", "energy"])
        // Without a token only this machine may ask: not a page that reached it by DNS rebinding,
        // nor another web site posting to it.
        let rebound = try await Curl.request("GET", "http://127.0.0.1:\(port)/api/sessions", arguments: ["-H", "Host: evil.example"])
        #expect(rebound.0 == 403, "\(rebound)")
        let crossSite = try await Curl.request("POST", "http://127.0.0.1:\(port)/api/recorder/start", arguments: ["-H", "Origin: https://evil.example"])
        #expect(crossSite.0 == 403 && crossSite.1.contains("other web sites"), "\(crossSite)")
        // The recorder reads the default device; without one, starting is a clear 4xx/5xx.
        let curl = try CurlStream(url: "http://127.0.0.1:\(port)/api/events?meters=false")
        defer { curl.stop() }
        try await curl.waitFor(": hark events")
        let (status, body) = try await Curl.request("POST", "http://127.0.0.1:\(port)/api/recorder/start")
        if status == 200 {
            try await curl.waitFor("event: recordingStarted")
            #expect(body.contains("\"recording\":true"))
        } else {
            #expect(body.contains("\"error\""), "\(body)")
        }
        server.interrupt()
        #expect(try await server.exitStatus() == 0, "\(server.stderr)")
        if status == 200 {
            try await curl.waitFor("event: recordingStopped")
            let manifest = try String(contentsOf: out.appendingPathComponent(try #require(
                sessionFolders(in: out).first)).appendingPathComponent("session.json"), encoding: .utf8)
            #expect(manifest.contains("\"state\" : \"stopped\"") || manifest.contains("\"state\":\"stopped\""), "\(manifest.prefix(400))")
        }
    }

    @Test func aPublicAddressWithoutATokenIsRefused() async throws {
        let result = try await HarkProcess.run(["serve", "--host", "0.0.0.0", "--port", "0"], environment: ["HARK_TOKEN": ""])
        #expect(result.status != 0)
        #expect(result.stderr.contains("access token"), "\(result.stderr)")
    }
}

typealias Tmux = TUITests.Tmux

/// `curl -N` reading an event stream in the background.
final class CurlStream: Sendable {
    let process: HarkProcess
    init(url: String) throws {
        process = try HarkProcess(executable: "/usr/bin/curl", ["-sN", url])
    }
    func waitFor(_ text: String) async throws { try await process.waitForOutput(text, timeout: .seconds(60)) }
    func stop() { process.interrupt() }
}

enum Curl {
    /// One request; the status and the body.
    static func request(_ method: String, _ url: String, arguments: [String] = []) async throws -> (Int, String) {
        let result = try await HarkProcess.run(executable: "/usr/bin/curl",
                                               ["-s", "-X", method, "-w", "\n%{http_code}", url] + arguments)
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.popLast() ?? "") ?? 0
        return (status, lines.joined(separator: "\n"))
    }
}
