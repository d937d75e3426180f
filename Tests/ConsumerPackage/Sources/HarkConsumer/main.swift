// An app embedding Hark: records a file as if it were a microphone and prints each transcript
// as it arrives. `HarkConsumer MODE FILE [SESSIONS]`, MODE one of
//   defaults    RecorderConfiguration() as it comes (workers of this app, thanks to the entry below)
//   workers     worker processes of this app, chosen explicitly
//   in-process  Whisper on threads of this process
import Foundation
import Hark

// For the test: every process of this app notes how it was started (workers carry --hark-worker).
if let log = ProcessInfo.processInfo.environment["HARK_CONSUMER_LAUNCHES"], let file = FileHandle(forWritingAtPath: log) {
    file.seekToEndOfFile()
    file.write(Data((CommandLine.arguments.dropFirst().joined(separator: " ") + "\n").utf8))
}

await HarkWorker.runIfRequested()   // first thing: in a worker process this serves jobs and exits

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: HarkConsumer defaults|workers|in-process FILE [SESSIONS]\n".utf8))
    exit(2)
}
var configuration = RecorderConfiguration()
configuration.input = .file(path: arguments[2], pacing: .asFastAsPossible)
if arguments.count > 3 { configuration.sessionsDirectory = URL(fileURLWithPath: arguments[3], isDirectory: true) }
let model = configuration.modelsDirectory.appendingPathComponent("whisper-tiny.en")
switch arguments[1] {
case "defaults": break
case "workers": configuration.transcription = .ownExecutable(model: model)
case "in-process": configuration.transcription = .inProcess(model: model)
default:
    FileHandle.standardError.write(Data("unknown mode \(arguments[1])\n".utf8))
    exit(2)
}

let recorder = AsyncRecorderBackend(configuration: configuration)
let events = recorder.events   // subscribed before start: nothing is missed
try await recorder.start()
for try await event in events {
    switch event {
    case .transcriptionComplete(let done): print("segment \(done.segmentID): \(done.text)")
    case .transcriptionFailed(let failed): print("segment \(failed.segmentID) failed: \(failed.reason)")
    case .recorderError(let error): print("error: \(error.message)")
    case .recordingStopped(let stopped): print("\(stopped.summary.segmentCount) segments in \(stopped.summary.sessionPath)")
    default: continue
    }
    if case .recordingStopped = event { break }
}
