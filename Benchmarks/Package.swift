// swift-tools-version:6.1
//
// Speed and allocation benchmarks for SSCard (ordo-one/benchmark). A separate
// package so that the main build and `make test` do not pay for it.
// Run with `make bench` (or `swift package benchmark` in this directory).

import PackageDescription

import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its folder's name, which differs between
// checkouts (CI clones into another folder): derive it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let sscard = root.standardizedFileURL.resolvingSymlinksInPath().lastPathComponent

let package = Package(
    name: "SSCardBenchmarks",
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Parsing",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CardAPDU", package: sscard),
                .product(name: "CardTLV", package: sscard),
            ],
            path: "Benchmarks/Parsing",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CardOS",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CardAPDU", package: sscard),
                .product(name: "CardRuntime", package: sscard),
                .product(name: "CardPersonalization", package: sscard),
            ],
            path: "Benchmarks/CardOS",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Social",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CardAPDU", package: sscard),
                .product(name: "CardCrypto", package: sscard),
                .product(name: "CardRuntime", package: sscard),
                .product(name: "CardPersonalization", package: sscard),
                .product(name: "CardTransport", package: sscard),
                .product(name: "CardSimulator", package: sscard),
                .product(name: "CardStandards", package: sscard),
                .product(name: "Terminal", package: sscard),
                .product(name: "SocialSecurityApplet", package: sscard),
            ],
            path: "Benchmarks/Social",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Bank",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BackOffice", package: sscard),
                .product(name: "CardPersonalization", package: sscard),
                .product(name: "CardTransport", package: sscard),
                .product(name: "CardSimulator", package: sscard),
                .product(name: "Terminal", package: sscard),
                .product(name: "CardCrypto", package: sscard),
            ],
            path: "Benchmarks/Bank",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "BackOfficeHTTP",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "HTTPWire", package: sscard)],
            path: "Benchmarks/BackOfficeHTTP",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Counter",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "BackOffice", package: sscard),
                .product(name: "BackOfficeStore", package: sscard),
                .product(name: "CardPersonalization", package: sscard),
                .product(name: "CardRuntime", package: sscard),
                .product(name: "CardSimulator", package: sscard),
                .product(name: "CardTransport", package: sscard),
                .product(name: "POS", package: sscard),
                .product(name: "Terminal", package: sscard),
            ],
            path: "Benchmarks/Counter",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Driver",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), .product(name: "SSCardDriver", package: sscard)],
            path: "Benchmarks/Driver",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Startup",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/Startup",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Not an ordo-one benchmark: it needs pcscd and vpcd (pcsc/run.sh sets
        // them up). It lives outside Benchmarks/Benchmarks/, because the
        // benchmark plugin runs every executable target whose folder sits
        // there, and this one would fail without its arguments.
        .executableTarget(
            name: "PCSCThroughput",
            dependencies: [.product(name: "CardTransportPCSC", package: sscard)],
            path: "pcsc/PCSCThroughput"
        ),
    ]
)
