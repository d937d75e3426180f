import Foundation

// Two ways in. Built with `make fuzz` (-D HARK_LIBFUZZER, -sanitize=fuzzer,address), libFuzzer
// owns `main`, guides mutations by coverage and calls `LLVMFuzzerTestOneInput`; the target comes
// from $HARK_FUZZ_TARGET. Built plainly, `hark-fuzz TARGET SECONDS [SEED]` runs a seeded mutation
// loop of its own over the same corpus — the short smoke run CI can afford without a sanitizer
// build of every dependency.

#if HARK_LIBFUZZER
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selected == nil {
        let name = ProcessInfo.processInfo.environment["HARK_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set HARK_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        selected = target
    }
    selected?.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
#else
@main
struct Driver {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        // `hark-fuzz TARGET --replay FILE`: one input again, e.g. a crash-TARGET.bin.
        if arguments.count == 3, arguments.dropFirst().first == "--replay", let target = FuzzTarget(rawValue: arguments.first!),
           let bytes = FileManager.default.contents(atPath: arguments.last!) {
            target.run(Array(bytes))
            print("\(target.rawValue): \(arguments.last!) ran without a crash")
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name),
              let seconds = arguments.dropFirst().first.flatMap(Double.init) else {
            FileHandle.standardError.write(Data("usage: hark-fuzz TARGET SECONDS [SEED] | hark-fuzz TARGET --replay FILE   targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
            exit(2)
        }
        let seed = arguments.dropFirst(2).first.flatMap(UInt64.init) ?? 1
        let corpus = Corpus.load(target)
        var mutator = Mutator(seed: seed, corpus: corpus)
        let artifacts = ProcessInfo.processInfo.environment["HARK_FUZZ_ARTIFACTS"] ?? ".build/fuzz"
        try? FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        CrashRecorder.install(path: "\(artifacts)/crash-\(target.rawValue).bin")
        let deadline = ContinuousClock.now + .seconds(seconds)
        var runs = 0
        for seedInput in corpus { CrashRecorder.run(seedInput) { target.run($0) }; runs += 1 }
        while ContinuousClock.now < deadline {
            for _ in 0..<64 {
                CrashRecorder.run(mutator.next()) { target.run($0) }
                runs += 1
            }
        }
        print("\(target.rawValue): \(runs) inputs in \(Int(seconds)) s (seed \(seed), \(corpus.count) seeds), no crash")
    }
}
#endif
