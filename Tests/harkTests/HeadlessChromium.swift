// Drives headless Chromium through the DevTools protocol over --remote-debugging-pipe:
// fd 3 carries commands to Chromium, fd 4 carries replies and events back, each JSON
// message ends with a NUL byte. Foundation + Glibc only, so it can be dropped into any target.

import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

enum ChromiumError: Error, CustomStringConvertible {
    case missing(String)
    case launch(String)
    case exited(String)
    case pageLost(String)
    case timeout(String)
    case command(method: String, message: String)
    case script(String)
    case condition(String, lastError: String?, bodyText: String)
    case png(String)

    var description: String {
        switch self {
        case .missing(let path):
            return "\(path) not found: install the chromium package (apt-get install -y chromium)"
        case .launch(let why): return "could not launch Chromium: \(why)"
        case .exited(let why): return "Chromium is gone: \(why)"
        case .pageLost(let what): return "the page crashed or was detached while waiting for \(what)"
        case .timeout(let what): return "timed out waiting for \(what)"
        case .command(let method, let message): return "\(method) failed: \(message)"
        case .script(let text): return "script threw: \(text)"
        case .condition(let condition, let lastError, let body):
            let error = lastError.map { "\nlast error: \($0)" } ?? ""
            return "condition never became true: \(condition)\(error)\npage text:\n\(body)"
        case .png(let why): return "bad PNG: \(why)"
        }
    }
}

final class HeadlessChromium: Sendable {
    let pid: pid_t
    private let viewport: (width: Int, height: Int)
    private let profile: String
    /// Our end of Chromium's fd 3; -1 once closed. The lock also keeps concurrent frames from interleaving.
    private let commands: Mutex<Int32>
    private let state = Mutex(State())

    private struct Waiter {
        let continuation: CheckedContinuation<Data, any Error>
        let deadline: ContinuousClock.Instant
        let label: String
        let session: String?
        let event: String?  // nil: waits for the reply to the command with this id
    }

    private struct Event {
        let seq: Int
        let method: String
        let session: String?
        let message: Data
    }

    private struct State {
        var nextID = 1
        var waiters: [Int: Waiter] = [:]
        var events: [Event] = []  // recent ones, so an event that beats its waiter isn't lost
        var eventCount = 0
        var failure: ChromiumError?
        var session: String?
        var closed = false
    }

    /// `extraArguments` go before the first page, e.g. the fake capture device's flags.
    init(width: Int = 1100, height: Int = 800, executable: String = "/usr/bin/chromium",
         extraArguments: [String] = []) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ChromiumError.missing(executable)
        }
        // Writing to a Chromium that just died must give EPIPE, not kill the whole test process.
        // The child gets SIGPIPE back through POSIX_SPAWN_SETSIGDEF.
        _ = signal(SIGPIPE, SIG_IGN)

        viewport = (width, height)
        profile = try makeTempDirectory()
        let toChromium: (read: Int32, write: Int32)
        let fromChromium: (read: Int32, write: Int32)
        do {
            toChromium = try makePipe()
            do { fromChromium = try makePipe() } catch {
                closeAll(toChromium.read, toChromium.write)
                throw error
            }
        } catch {
            try? FileManager.default.removeItem(atPath: profile)
            throw error
        }
        let arguments = [
            "--headless=new", "--no-sandbox",  // the sandbox refuses to run as root
            "--disable-gpu", "--remote-debugging-pipe",
            "--user-data-dir=\(profile)", "--window-size=\(width),\(height)",
            "--disable-dev-shm-usage",  // containers often have a 64 MB /dev/shm, which crashes renderers
            "--force-color-profile=srgb",  // so CSS red is exactly 255,0,0 in screenshots
            "--hide-scrollbars", "--mute-audio", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-breakpad",
        ] + extraArguments + ["about:blank"]
        do {
            pid = try spawn(
                executable, arguments, tempDirectory: profile, commandFD: toChromium.read, replyFD: fromChromium.write)
        } catch {
            closeAll(toChromium.read, toChromium.write, fromChromium.read, fromChromium.write)
            try? FileManager.default.removeItem(atPath: profile)
            throw error
        }
        // Only Chromium may hold these ends, or we would never see EOF when it dies.
        closeAll(toChromium.read, fromChromium.write)
        commands = Mutex(toChromium.write)

        // Blocking reads belong on a dedicated thread, not on the cooperative pool.
        let replies = fromChromium.read
        let thread = Thread { [self] in readLoop(replies) }
        thread.name = "chromium-cdp-reader"
        thread.start()

        do {
            try await send("Browser.getVersion")  // proves the browser is up and answering
        } catch {
            await close()
            throw error
        }
    }

    /// Opens the page target on first use, then navigates it and waits for the load event.
    func open(_ url: String, timeout: Duration = .seconds(30)) async throws {
        let session = try await pageSession()
        let mark = state.withLock { $0.eventCount }
        let result = try await send("Page.navigate", ["url": url], session: session, timeout: timeout)
        if let error = result["errorText"] as? String, !error.isEmpty {
            throw ChromiumError.command(method: "Page.navigate", message: "\(error) (\(url))")
        }
        // A same-document navigation (only the #fragment changed) has no loader and no load event.
        guard result["loaderId"] != nil else { return }
        try await waitForEvent("Page.loadEventFired", session: session, after: mark, timeout: timeout)
    }

    /// Returns the JSON text of the expression's value ("null" for undefined).
    @discardableResult
    func evaluate(_ expression: String, timeout: Duration = .seconds(30)) async throws -> String {
        let session = try await pageSession()
        let result = try await send(
            "Runtime.evaluate",
            ["expression": expression, "returnByValue": true, "awaitPromise": true],
            session: session, timeout: timeout)
        if let details = result["exceptionDetails"] as? [String: Any] {
            let exception = details["exception"] as? [String: Any]
            let text = exception?["description"] as? String
                ?? exception?["value"].map { "\($0)" }
                ?? details["text"] as? String
            throw ChromiumError.script(text ?? "unknown exception")
        }
        guard let value = (result["result"] as? [String: Any])?["value"] else { return "null" }
        let json = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        return String(decoding: json, as: UTF8.self)
    }

    /// Polls a JS boolean expression every 100 ms. Script and protocol errors count as "not yet"
    /// (the element may not exist yet, a navigation may have destroyed the context) but the
    /// last one is reported on timeout.
    func waitUntil(_ condition: String, timeout: Duration = .seconds(30)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var lastError: String?
        while true {
            do {
                let remaining = max(deadline - clock.now, .seconds(1))
                // Newlines keep a trailing // comment in the condition from eating the parenthesis.
                if try await evaluate("Boolean((\n\(condition)\n))", timeout: remaining) == "true" { return }
                lastError = nil
            } catch ChromiumError.script(let text) {
                lastError = text
            } catch ChromiumError.command(_, let message) {
                lastError = message
            } catch ChromiumError.timeout(let what) {
                lastError = "timed out waiting for \(what)"
            }
            if clock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let body = try? await evaluate(
            "document.body ? document.body.innerText.slice(0, 2000) : '(no body)'", timeout: .seconds(5))
        let text = body.flatMap(decodeJSONString) ?? "(page text unavailable)"
        throw ChromiumError.condition(condition, lastError: lastError, bodyText: text)
    }

    func screenshot(timeout: Duration = .seconds(30)) async throws -> Data {
        let session = try await pageSession()
        let result = try await send("Page.captureScreenshot", ["format": "png"], session: session, timeout: timeout)
        guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw ChromiumError.command(method: "Page.captureScreenshot", message: "reply had no image data")
        }
        return png
    }

    /// Runs `body`, then closes the browser, whether `body` returned or threw.
    func closing<T>(after body: () async throws -> T) async throws -> T {
        do {
            let value = try await body()
            await close()
            return value
        } catch {
            await close()
            throw error
        }
    }

    /// Asks the browser to quit, kills it after 5 s, reaps it and removes its profile. Idempotent.
    func close() async {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }

        _ = try? await send("Browser.close", timeout: .seconds(2))  // the reply may die with the browser
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while !hasExited(), clock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(50)) } catch { break }
        }
        // Chromium leads its own process group. Killing the group before reaping the leader
        // (whose pid can't be reused while it is a zombie) also sweeps up stray renderers.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}

        commands.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
        try? FileManager.default.removeItem(atPath: profile)
    }

    // MARK: - Protocol plumbing

    private func pageSession() async throws -> String {
        if let session = state.withLock({ $0.session }) { return session }
        let target = try await send("Target.createTarget", ["url": "about:blank"])
        guard let targetID = target["targetId"] as? String else {
            throw ChromiumError.command(method: "Target.createTarget", message: "no targetId")
        }
        let attached = try await send("Target.attachToTarget", ["targetId": targetID, "flatten": true])
        guard let session = attached["sessionId"] as? String else {
            throw ChromiumError.command(method: "Target.attachToTarget", message: "no sessionId")
        }
        try await send("Page.enable", session: session)
        // --window-size includes window decorations in new headless; this pins the viewport itself.
        try await send(
            "Emulation.setDeviceMetricsOverride",
            ["width": viewport.width, "height": viewport.height, "deviceScaleFactor": 1, "mobile": false],
            session: session)
        state.withLock { $0.session = session }
        return session
    }

    @discardableResult
    private func send(
        _ method: String, _ params: [String: Any] = [:], session: String? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> [String: Any] {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var encoded = try JSONSerialization.data(withJSONObject: message)
        encoded.append(0)
        let frame = encoded

        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
                // Register before writing so a fast reply always finds its waiter.
                let refusal: (any Error)? = state.withLock { state in
                    if let failure = state.failure { return failure }
                    if Task.isCancelled { return CancellationError() }
                    state.waiters[id] = Waiter(
                        continuation: continuation, deadline: .now + timeout,
                        label: "reply to \(method)", session: session, event: nil)
                    return nil
                }
                if let refusal {
                    continuation.resume(throwing: refusal)
                } else if !post(frame) {
                    resume(id, with: .failure(ChromiumError.exited("could not write \(method) to the pipe")))
                }
            }
        } onCancel: {
            resume(id, with: .failure(CancellationError()))
        }

        let json = try JSONSerialization.jsonObject(with: reply) as? [String: Any] ?? [:]
        if let error = json["error"] as? [String: Any] {
            throw ChromiumError.command(method: method, message: error["message"] as? String ?? "\(error)")
        }
        return json["result"] as? [String: Any] ?? [:]
    }

    /// Waits for an event that arrived after `mark` (a snapshot of eventCount taken before the trigger).
    private func waitForEvent(_ method: String, session: String?, after mark: Int, timeout: Duration) async throws {
        let token = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        _ = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
                let early: Result<Data, any Error>? = state.withLock { state in
                    if let seen = state.events.last(where: {
                        $0.seq > mark && $0.method == method && $0.session == session
                    }) {
                        return .success(seen.message)
                    }
                    if let failure = state.failure { return .failure(failure) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[token] = Waiter(
                        continuation: continuation, deadline: .now + timeout,
                        label: method, session: session, event: method)
                    return nil
                }
                if let early { continuation.resume(with: early) }
            }
        } onCancel: {
            resume(token, with: .failure(CancellationError()))
        }
    }

    private func resume(_ token: Int, with result: Result<Data, any Error>) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
        waiter?.continuation.resume(with: result)
    }

    private func post(_ frame: Data) -> Bool {
        commands.withLock { fd in
            guard fd >= 0 else { return false }
            return frame.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += written
                }
                return true
            }
        }
    }

    /// Runs on its own thread until Chromium closes fd 4 (exit or crash). poll's 100 ms tick
    /// doubles as the timer that expires overdue waiters, so no wait can hang.
    private func readLoop(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var scanFrom = 0
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            expireOverdue()
            let ready = poll(&descriptor, 1, 100)
            if ready < 0, errno != EINTR { break }
            if ready <= 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                break
            }
            buffer.append(contentsOf: chunk[..<count])
            var start = 0
            while let end = buffer[scanFrom...].firstIndex(of: 0) {
                dispatch(Data(buffer[start..<end]))
                start = end + 1
                scanFrom = start
            }
            buffer.removeFirst(start)
            scanFrom = buffer.count
        }
        Glibc.close(fd)
        failAll(.exited("it exited or closed the DevTools pipe"))
    }

    private func dispatch(_ message: Data) {
        guard let json = (try? JSONSerialization.jsonObject(with: message)) as? [String: Any] else { return }
        let session = json["sessionId"] as? String
        if let id = json["id"] as? Int {
            resume(id, with: .success(message))
            return
        }
        guard let method = json["method"] as? String else { return }
        // A crashed or detached page never answers, so fail its pending commands now.
        var lostSession: String?
        if method == "Inspector.targetCrashed" { lostSession = session }
        if method == "Target.detachedFromTarget" {
            lostSession = (json["params"] as? [String: Any])?["sessionId"] as? String
        }
        let woken: [(Waiter, Result<Data, any Error>)] = state.withLock { state in
            state.eventCount += 1
            state.events.append(Event(seq: state.eventCount, method: method, session: session, message: message))
            if state.events.count > 200 { state.events.removeFirst(state.events.count - 200) }
            if let lost = lostSession, state.session == lost { state.session = nil }

            var woken: [(Waiter, Result<Data, any Error>)] = []
            for (token, waiter) in state.waiters {
                if waiter.event == method, waiter.session == session {
                    woken.append((waiter, .success(message)))
                } else if let lost = lostSession, waiter.session == lost {
                    woken.append((waiter, .failure(ChromiumError.pageLost(waiter.label))))
                } else {
                    continue
                }
                state.waiters[token] = nil
            }
            return woken
        }
        for (waiter, result) in woken { waiter.continuation.resume(with: result) }
    }

    private func expireOverdue() {
        let now = ContinuousClock.now
        let late: [Waiter] = state.withLock { state in
            let tokens = state.waiters.filter { $0.value.deadline <= now }.map(\.key)
            return tokens.compactMap { state.waiters.removeValue(forKey: $0) }
        }
        for waiter in late { waiter.continuation.resume(throwing: ChromiumError.timeout(waiter.label)) }
    }

    private func failAll(_ error: ChromiumError) {
        let waiters: [Waiter] = state.withLock { state in
            state.failure = error
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
    }

    /// True once the browser has exited; WNOWAIT leaves it a zombie so close() can still kill its group safely.
    private func hasExited() -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._kill.si_pid == pid
    }
}

// MARK: - Process helpers

private func spawn(
    _ path: String, _ arguments: [String], tempDirectory: String, commandFD: Int32, replyFD: Int32
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    posix_spawn_file_actions_adddup2(&actions, commandFD, 3)
    posix_spawn_file_actions_adddup2(&actions, replyFD, 4)
    // Other fds the test process leaked without CLOEXEC (say, a Foundation Pipe) would keep
    // someone else's pipe open for Chromium's lifetime. Looked up at run time because Swift's
    // Glibc module doesn't declare GNU extensions; present since glibc 2.34.
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 5)
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setpgroup(&attributes, 0)  // own group, so close() can kill renderers too
    posix_spawnattr_setflags(
        &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    // Chromium puts shared-memory files (with --disable-dev-shm-usage) and scratch dirs under
    // TMPDIR; pointing it into the profile lets close() remove them even after a crash.
    var environment = ProcessInfo.processInfo.environment
    environment["TMPDIR"] = tempDirectory
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid = pid_t()
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
    guard result == 0 else {
        throw ChromiumError.launch("posix_spawn \(path): \(String(cString: strerror(result)))")
    }
    return pid
}

/// Both ends CLOEXEC and at fd >= 10: the child's dup2 onto 3 and 4 then can't clobber one of
/// them, and unrelated children spawned meanwhile don't inherit them.
private func makePipe() throws -> (read: Int32, write: Int32) {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    var fds: [Int32] = [-1, -1]
    let created: Int32
    if let symbol = dlsym(nil, "pipe2") {  // GNU extension, not in Swift's Glibc module
        created = unsafeBitCast(symbol, to: Pipe2.self)(&fds, O_CLOEXEC)
    } else {
        created = pipe(&fds)
    }
    guard created == 0 else { throw ChromiumError.launch("pipe: \(String(cString: strerror(errno)))") }
    defer { closeAll(fds[0], fds[1]) }
    let read = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)
    let write = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
    guard read >= 0, write >= 0 else {
        closeAll(read, write)
        throw ChromiumError.launch("fcntl: \(String(cString: strerror(errno)))")
    }
    return (read, write)
}

private func makeTempDirectory() throws -> String {
    var template = Array((NSTemporaryDirectory() + "/chromium-profile-XXXXXX").utf8CString)
    guard let made = mkdtemp(&template) else {
        throw ChromiumError.launch("mkdtemp: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
}

private func closeAll(_ fds: Int32...) {
    for fd in fds where fd >= 0 { Glibc.close(fd) }
}

private func decodeJSONString(_ json: String) -> String? {
    (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)) as? String
}

// MARK: - PNG

/// Just enough PNG decoding to check a Chromium screenshot: 8-bit RGB or RGBA, not interlaced.
struct PNGImage: Sendable {
    let width: Int
    let height: Int
    private let channels: Int
    private let pixels: [UInt8]

    init(data: Data) throws {
        let bytes = [UInt8](data)
        guard bytes.count > 8, bytes[0..<8].elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else {
            throw ChromiumError.png("missing signature")
        }
        func uint32(at offset: Int) -> Int {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        var width = 0, height = 0, channels = 0
        var compressed: [UInt8] = []
        var offset = 8
        chunks: while offset + 8 <= bytes.count {
            let length = uint32(at: offset)
            let body = offset + 8
            guard body + length + 4 <= bytes.count else { throw ChromiumError.png("truncated chunk") }
            switch String(decoding: bytes[offset + 4..<body], as: UTF8.self) {
            case "IHDR":
                guard length >= 13 else { throw ChromiumError.png("short IHDR") }
                width = uint32(at: body)
                height = uint32(at: body + 4)
                let (depth, color, interlace) = (bytes[body + 8], bytes[body + 9], bytes[body + 12])
                guard depth == 8, color == 2 || color == 6, interlace == 0 else {
                    throw ChromiumError.png("unsupported depth \(depth), color type \(color), interlace \(interlace)")
                }
                channels = color == 6 ? 4 : 3
            case "IDAT":
                compressed += bytes[body..<body + length]
            case "IEND":
                break chunks
            default:
                break
            }
            offset = body + length + 4  // skip the CRC
        }
        guard channels > 0, width > 0, height > 0 else { throw ChromiumError.png("no IHDR") }

        let stride = width * channels
        let filtered = try inflate(compressed, size: height * (stride + 1))
        var pixels = [UInt8](repeating: 0, count: height * stride)
        try filtered.withUnsafeBufferPointer { source in
            try pixels.withUnsafeMutableBufferPointer { out in
                for y in 0..<height {
                    let row = y * (stride + 1) + 1
                    let line = y * stride
                    let filter = source[row - 1]
                    guard filter <= 4 else { throw ChromiumError.png("filter type \(filter)") }
                    for i in 0..<stride {
                        let left = i >= channels ? Int(out[line + i - channels]) : 0
                        let up = y > 0 ? Int(out[line - stride + i]) : 0
                        let upLeft = i >= channels && y > 0 ? Int(out[line - stride + i - channels]) : 0
                        let predicted: Int
                        switch filter {
                        case 0: predicted = 0
                        case 1: predicted = left
                        case 2: predicted = up
                        case 3: predicted = (left + up) / 2
                        default:
                            let estimate = left + up - upLeft
                            let (dl, du, dul) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                            predicted = dl <= du && dl <= dul ? left : (du <= dul ? up : upLeft)
                        }
                        out[line + i] = source[row + i] &+ UInt8(truncatingIfNeeded: predicted)
                    }
                }
            }
        }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = (y * width + x) * channels
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Share of pixels (0...1) for which `match(r, g, b)` holds.
    func fraction(where match: (_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Bool) -> Double {
        var hits = 0
        for i in stride(from: 0, to: pixels.count, by: channels) where match(pixels[i], pixels[i + 1], pixels[i + 2]) {
            hits += 1
        }
        return Double(hits) / Double(width * height)
    }
}

/// Inflates via the system zlib, loaded with dlopen: libz.so.1 is always there (Chromium depends on it),
/// the target needs no linker setting, and a hand-written inflate would be far more code to trust.
private func inflate(_ input: [UInt8], size: Int) throws -> [UInt8] {
    typealias Uncompress = @convention(c) (
        UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt>?, UnsafePointer<UInt8>?, UInt
    ) -> Int32
    guard let zlib = dlopen("libz.so.1", RTLD_NOW), let symbol = dlsym(zlib, "uncompress") else {
        throw ChromiumError.png("cannot load libz.so.1 (package zlib1g)")
    }
    let uncompress = unsafeBitCast(symbol, to: Uncompress.self)
    var output = [UInt8](repeating: 0, count: size)
    var produced = UInt(size)
    let status = output.withUnsafeMutableBufferPointer { out in
        input.withUnsafeBufferPointer { uncompress(out.baseAddress, &produced, $0.baseAddress, UInt($0.count)) }
    }
    guard status == 0, produced == UInt(size) else {
        throw ChromiumError.png("zlib status \(status), \(produced) of \(size) bytes")
    }
    return output
}
