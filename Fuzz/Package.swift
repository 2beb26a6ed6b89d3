// swift-tools-version:6.1
//
// libFuzzer drivers for SSCard's fuzz targets (Sources/CardFuzzing in the
// main package). A separate package so that the main build and `make test`
// do not pay for the sanitizer build; `make fuzz` builds it with
// `-sanitize=fuzzer,address` and runs each target over Fuzz/corpus/NAME.

import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, which differs between
// checkouts (CI clones into another folder): derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let sscard = root.standardizedFileURL.resolvingSymlinksInPath().lastPathComponent

let package = Package(
    name: "SSCardFuzz",
    dependencies: [.package(path: "../")],
    targets: [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .executableTarget(
            name: "sscard-fuzz",
            dependencies: ["CLibFuzzer", .product(name: "CardFuzzing", package: sscard)],
            path: "Sources/sscard-fuzz"
        ),
    ]
)
