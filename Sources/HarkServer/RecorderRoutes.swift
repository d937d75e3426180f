import Foundation
import Hark
import Hummingbird

extension HarkServer {
    /// `GET /api/recorder`, `POST /api/recorder/start|stop`, `PUT /api/recorder/vad-mode`
    /// (`{"mode":"silero:high"}`), `GET /api/devices`.
    func addRecorderRoutes(to router: Router<HarkRequestContext>) {
        let recorder = recorder
        router.get("/api/recorder") { _, _ in JSONBody(await recorder.status()) }
        router.post("/api/recorder/start") { _, _ in JSONBody(try await recorder.start()) }
        router.post("/api/recorder/stop") { _, _ in JSONBody(try await recorder.stop()) }
        router.put("/api/recorder/vad-mode") { request, context in
            let change: VADModeChange
            do {
                change = try await request.decode(as: VADModeChange.self, context: context)
            } catch {
                throw APIError(.badRequest, #"Send JSON like {"mode": "silero:high"}."#)
            }
            return JSONBody(try await recorder.setVADMode(change.mode))
        }
        router.get("/api/devices") { _, _ in
            JSONBody(try await Task.detached { try listInputDevices() }.value)
        }
    }
}

/// The body of `PUT /api/recorder/vad-mode`.
struct VADModeChange: Decodable { var mode: String }
