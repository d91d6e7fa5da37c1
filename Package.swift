// swift-tools-version:6.0
import PackageDescription

// Berth: containers as systemd units across many hosts.
// No third-party packages: Foundation, Glibc and our own C shim only.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "berthd", targets: ["berthd"]),
        .executable(name: "berth", targets: ["berth"]),
    ],
    targets: [
        // Only the Glibc calls Swift cannot see. The .c file is built with _GNU_SOURCE;
        // defining it in the header would break Glibc's module map.
        .target(name: "CBerthShims", cSettings: [.define("_GNU_SOURCE")]),
        .target(name: "BerthSystem", dependencies: ["CBerthShims"], swiftSettings: strict),
        .target(name: "BerthCore", dependencies: ["BerthSystem", "BerthProtocol"], swiftSettings: strict),
        .target(name: "BerthProtocol", swiftSettings: strict),
        .target(name: "BerthDBus", dependencies: ["BerthSystem"], swiftSettings: strict),
        // systemd's API (names, calls, signal decoding) above the generic bus.
        .target(name: "BerthSystemd", dependencies: ["BerthDBus", "BerthSystem"], swiftSettings: strict),
        .target(name: "BerthNode", dependencies: ["BerthCore", "BerthDBus", "BerthSystemd", "BerthProtocol", "BerthSystem"], swiftSettings: strict),
        .target(name: "BerthClient", dependencies: ["BerthCore", "BerthProtocol", "BerthSystem"], swiftSettings: strict),
        // `berth agent`: a server of the user's own, kept out of the client library; `berth` links it.
        .target(name: "BerthAgent", dependencies: ["BerthClient", "BerthProtocol", "BerthSystem"], swiftSettings: strict),
        .executableTarget(name: "berthd", dependencies: ["BerthNode", "BerthCore", "BerthSystem", "BerthProtocol"], swiftSettings: strict),
        .executableTarget(name: "berth", dependencies: ["BerthClient", "BerthAgent"], swiftSettings: strict),
        // Test helper: allocates ports from a separate process (PortAllocatorTests races and kills it).
        .executableTarget(name: "berth-porttool", dependencies: ["BerthCore"], path: "Tests/Tools/berth-porttool",
                          swiftSettings: strict),
        // Test helper: drives ContainerEngine in a process of its own (crash tests kill it with SIGKILL).
        .executableTarget(name: "berth-enginetool", dependencies: ["BerthNode"], path: "Tests/Tools/berth-enginetool",
                          swiftSettings: strict),
        // Bench helper: times the Crypto primitives in a release build (Scripts/bench/crypto runs it).
        .executableTarget(name: "berth-cryptobench", dependencies: ["BerthProtocol"], path: "Tests/Tools/berth-cryptobench",
                          // BerthProtocol calls libm (trunc) but imports no Glibc; the other products get it through BerthSystem.
                          swiftSettings: strict, linkerSettings: [.linkedLibrary("m")]),
        // Test helper: applies and reads back links in a namespace (Tests/e2e/test_links.py drives it).
        .executableTarget(name: "berth-linktool", dependencies: ["BerthNode"], path: "Tests/Tools/berth-linktool",
                          swiftSettings: strict),
        // The properties the fuzz targets check (Scripts/fuzz), and the model of systemd's unit reader the
        // render tests share; BerthFuzzTests replays the seed corpus and every saved crash through them.
        .target(name: "BerthFuzzChecks", dependencies: ["BerthCore", "BerthDBus", "BerthProtocol"], path: "Tests/Fuzz/Checks",
                swiftSettings: strict),
        .testTarget(name: "BerthFuzzTests", dependencies: ["BerthFuzzChecks"], swiftSettings: strict),
        .testTarget(name: "BerthSystemTests", dependencies: ["BerthSystem"], swiftSettings: strict),
        .testTarget(name: "BerthCoreTests", dependencies: ["BerthCore", "BerthSystem", "BerthFuzzChecks", "berth-porttool"],
                    resources: [.copy("Golden")], swiftSettings: strict),
        .testTarget(name: "BerthProtocolTests", dependencies: ["BerthProtocol", "BerthFuzzChecks"],
                    exclude: ["Crypto/Vectors"], swiftSettings: strict),
        .testTarget(name: "BerthNodeTests", dependencies: ["BerthNode", "BerthClient", "berth-enginetool"], swiftSettings: strict),
        .testTarget(name: "BerthClientTests", dependencies: ["BerthClient", "BerthAgent"], swiftSettings: strict),
        .testTarget(name: "BerthDBusTests", dependencies: ["BerthDBus", "BerthSystemd", "BerthSystem", "BerthFuzzChecks"],
                    exclude: ["Fixtures"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer driver exists only for Scripts/fuzz: it calls libFuzzer, which only -sanitize=fuzzer
// links, so a plain `swift build` could not link it.
if Context.environment["BERTH_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CFuzzDriver", path: "Tests/Fuzz/CDriver"),
        .executableTarget(name: "berth-fuzz", dependencies: ["BerthFuzzChecks", "CFuzzDriver"], path: "Tests/Fuzz/Driver",
                          swiftSettings: strict),
    ]
}
