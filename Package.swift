// swift-tools-version:6.1
//
// SSCard: a terminal emulator and APDU engine for China's financial social
// security card. Layers (bottom never imports upward): bytes (CardAPDU,
// CardTLV) → inspection (CardInspect) → CLI (sscard). See ../shared/DESIGN.md.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "SSCard",
    products: [
        .library(name: "CardAPDU", targets: ["CardAPDU"]),
        .library(name: "CardTLV", targets: ["CardTLV"]),
        .library(name: "CardStandards", targets: ["CardStandards"]),
        .library(name: "CardInspect", targets: ["CardInspect"]),
        .library(name: "CardCrypto", targets: ["CardCrypto"]),
        .library(name: "CardFileSystem", targets: ["CardFileSystem"]),
        .library(name: "CardRuntime", targets: ["CardRuntime"]),
        .library(name: "CardImage", targets: ["CardImage"]),
        .library(name: "CardPersonalization", targets: ["CardPersonalization"]),
        .library(name: "CardTransport", targets: ["CardTransport"]),
        .library(name: "CardSimulator", targets: ["CardSimulator"]),
        .library(name: "CardFaults", targets: ["CardFaults"]),
        .library(name: "CardFuzzing", targets: ["CardFuzzing"]),
        .library(name: "CardCommands", targets: ["CardCommands"]),
        .library(name: "CardScript", targets: ["CardScript"]),
        .library(name: "SocialSecurityApplet", targets: ["SocialSecurityApplet"]),
        .library(name: "PSAMApplet", targets: ["PSAMApplet"]),
        .library(name: "PBOCApplet", targets: ["PBOCApplet"]),
        .library(name: "Terminal", targets: ["Terminal"]),
        .library(name: "BackOffice", targets: ["BackOffice"]),
        .library(name: "BackOfficeStore", targets: ["BackOfficeStore"]),
        .library(name: "BackOfficeServer", targets: ["BackOfficeServer"]),
        .library(name: "HTTPWire", targets: ["HTTPWire"]),
        .library(name: "POS", targets: ["POS"]),
        .library(name: "ReaderDriver", targets: ["ReaderDriver"]),
        .library(name: "Kiosk", targets: ["Kiosk"]),
        // libSSCardDriver.so: the reader driver with plain C names (driver/SSCardDriver.h).
        .library(name: "SSCardDriver", type: .dynamic, targets: ["SSCardDriver"]),
        .library(name: "CardTransportPCSC", targets: ["CardTransportPCSC"]),
        .library(name: "VPCDBridge", targets: ["VPCDBridge"]),
        .executable(name: "sscard", targets: ["sscard"]),
        .executable(name: "sscard-backoffice", targets: ["sscard-backoffice"]),
        .executable(name: "sscard-kiosk", targets: ["sscard-kiosk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        // The back office's database: SQLite through GRDB.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        // The back office's HTTP server.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        // Already in Hummingbird's graph; named for the server's logger and its bound port.
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.60.0"),
    ],
    targets: [
        // Bytes layer: no dependencies, no Foundation.
        .target(name: "CardAPDU", swiftSettings: swiftSettings),
        .target(name: "CardTLV", swiftSettings: swiftSettings),
        // The vocabulary both sides share: names and AIDs, BCD, the format-2
        // PIN block, constant-time comparison, GBK, check characters. No Foundation.
        .target(name: "CardStandards", swiftSettings: swiftSettings),
        // Crypto layer: OpenSSL libcrypto through a system-library module;
        // CardCrypto is the module's only importer.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CardCrypto", dependencies: ["COpenSSL", "CardStandards"], swiftSettings: swiftSettings),
        // Card OS layer.
        .target(name: "CardFileSystem", dependencies: ["CardAPDU"], swiftSettings: swiftSettings),
        .target(
            name: "CardRuntime", dependencies: ["CardStandards", "CardAPDU", "CardTLV", "CardCrypto", "CardFileSystem"],
            swiftSettings: swiftSettings),
        // Profiles, personalization and crash-safe image files (Foundation for JSON and files).
        .target(
            name: "CardImage", dependencies: ["CardStandards", "CardAPDU", "CardTLV", "CardCrypto", "CardFileSystem", "CardRuntime"],
            swiftSettings: swiftSettings),
        // Applets.
        .target(
            name: "SocialSecurityApplet",
            dependencies: ["CardStandards", "CardAPDU", "CardTLV", "CardCrypto", "CardFileSystem", "CardRuntime"],
            swiftSettings: swiftSettings),
        .target(
            name: "PBOCApplet", dependencies: ["CardStandards", "CardAPDU", "CardTLV", "CardCrypto", "CardFileSystem", "CardRuntime"],
            swiftSettings: swiftSettings),
        .target(
            name: "PSAMApplet", dependencies: ["CardStandards", "CardAPDU", "CardCrypto", "CardFileSystem", "CardRuntime"],
            swiftSettings: swiftSettings),
        // Profiles, cardholders, the virtual PSAM, and cards with their applets.
        .target(
            name: "CardPersonalization",
            dependencies: ["CardStandards", 
                "CardAPDU", "CardTLV", "CardCrypto", "CardFileSystem", "CardRuntime", "CardImage",
                "SocialSecurityApplet", "PSAMApplet", "PBOCApplet",
            ],
            swiftSettings: swiftSettings),
        // Transport layer: the protocol, the in-memory card, the terminal session.
        .target(name: "CardTransport", dependencies: ["CardAPDU"], swiftSettings: swiftSettings),
        // Fault injection: a plan of misbehaviour applied to the virtual card's
        // answers (status words, data, TLV, chaining, delays, tears, removal).
        .target(
            name: "CardFaults", dependencies: ["CardAPDU", "CardTLV", "CardStandards", "CardFileSystem", "CardRuntime"],
            swiftSettings: swiftSettings),
        // The virtual card as a transport, beside the card OS (jCardSim's CardSimulator).
        .target(name: "CardSimulator", dependencies: ["CardAPDU", "CardRuntime", "CardTransport", "CardFaults"], swiftSettings: swiftSettings),
        // The host side's commands as values: ISO 7816-4, social security, PSAM, PBOC.
        .target(name: "CardCommands", dependencies: ["CardAPDU", "CardStandards"], swiftSettings: swiftSettings),
        // Terminal layer: scripts with expected answers, verdicts, JUnit.
        .target(name: "CardScript", dependencies: ["CardAPDU", "CardTransport"], swiftSettings: swiftSettings),
        // The issuer host simulator.
        .target(name: "BackOffice", dependencies: ["CardStandards", "CardAPDU", "CardCommands", "CardCrypto"], swiftSettings: swiftSettings),
        // The back office's store: one SQLite file through GRDB, the records of
        // the centre and the bank, seeded from the built-in profiles' cards.
        .target(
            name: "BackOfficeStore",
            dependencies: [
                "BackOffice", "CardAPDU", "CardCrypto", "CardPersonalization", "CardSimulator", "CardStandards", "CardTransport", "Terminal",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings),
        // The back office over HTTP (Hummingbird): the platform's one POST
        // endpoint and the bank's authorization endpoint.
        .target(
            name: "BackOfficeServer",
            dependencies: [
                "BackOffice", "BackOfficeStore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        // A small blocking HTTP/1.1 client over one keep-alive connection
        // (libc sockets, one file): for the POS, the tests and the benchmark.
        .target(name: "HTTPWire", swiftSettings: swiftSettings),
        // Terminal flows: the social-security reader, PIN services, the EMV kernel-lite.
        .target(
            name: "Terminal", dependencies: ["CardStandards", "CardAPDU", "CardCommands", "CardTLV", "CardCrypto", "CardTransport", "BackOffice"],
            swiftSettings: swiftSettings),
        // The counter: a sale from the card read to the receipt, against the
        // back office in process or over HTTP.
        .target(
            name: "POS", dependencies: ["BackOffice", "CardAPDU", "CardStandards", "CardTransport", "Terminal", "HTTPWire"],
            swiftSettings: swiftSettings),
        // The Ministry-standard reader driver's functions over the terminal
        // side (libSSCardDriver.so's engine; reader-api.md).
        .target(
            name: "ReaderDriver",
            dependencies: [
                "BackOffice", "CardAPDU", "CardCommands", "CardCrypto", "CardImage", "CardPersonalization", "CardRuntime", "CardSimulator",
                "CardStandards", "CardTransport", "CardTransportPCSC", "Terminal",
            ],
            swiftSettings: swiftSettings),
        .target(name: "SSCardDriver", dependencies: ["ReaderDriver"], swiftSettings: swiftSettings),
        // The self-service kiosk's flows: one engine, a terminal face (sscard kiosk) and a web face.
        .target(name: "Kiosk", dependencies: ["BackOffice", "CardAPDU", "CardStandards", "CardTransport", "Terminal"], swiftSettings: swiftSettings),
        // The web face: the embedded page, server-sent events, over Hummingbird (in sscard-kiosk only).
        .target(
            name: "KioskWeb",
            dependencies: [
                "BackOffice", "Kiosk", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "sscard-kiosk",
            dependencies: [
                "BackOffice", "BackOfficeStore", "CardImage", "CardPersonalization", "CardSimulator", "CardTransport", "CardTransportPCSC",
                "Kiosk", "KioskWeb", "POS", "Terminal",
            ],
            swiftSettings: swiftSettings),
        // PC/SC: pcsc-lite's headers through a C module whose include folder
        // links to them (not a pkg-config system library, whose -pthread
        // SwiftPM refuses with a warning on every build; see shim.h);
        // CardTransportPCSC is its only importer.
        .target(name: "CPCSCLite", linkerSettings: [.linkedLibrary("pcsclite")]),
        .target(
            name: "CardTransportPCSC", dependencies: ["CPCSCLite", "CardAPDU", "CardTransport"],
            swiftSettings: swiftSettings),
        .target(name: "VPCDBridge", dependencies: ["CardAPDU", "CardRuntime", "CardFaults"], swiftSettings: swiftSettings),
        // Explains APDUs and TLV for people and for JSON consumers. No Foundation.
        .target(name: "CardInspect", dependencies: ["CardAPDU", "CardTLV"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "sscard",
            dependencies: ["CardStandards", 
                "CardAPDU", "CardTLV", "CardInspect", "CardFileSystem", "CardRuntime", "CardImage", "CardTransport",
                "CardScript", "CardPersonalization", "SocialSecurityApplet", "Terminal", "CardCrypto",
                "CardTransportPCSC", "VPCDBridge", "BackOffice", "BackOfficeStore", "PBOCApplet", "CardSimulator", "CardCommands", "POS",
                "ReaderDriver", "Kiosk",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz targets (libFuzzer through Fuzz/, the corpora in make test).
        .target(
            name: "CardFuzzing",
            dependencies: [
                "BackOffice", "BackOfficeStore", "CardAPDU", "CardFaults", "CardFileSystem", "CardImage", "CardPersonalization",
                "CardRuntime", "CardScript", "CardStandards", "CardTLV", "PBOCApplet", "ReaderDriver", "VPCDBridge",
            ],
            swiftSettings: swiftSettings),
        // The back office's HTTP server, which `sscard backoffice serve` execs:
        // SwiftNIO and Hummingbird stay out of sscard's start-up.
        .executableTarget(
            name: "sscard-backoffice",
            dependencies: ["BackOffice", "BackOfficeStore", "BackOfficeServer", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings),

        .testTarget(
            name: "CardAPDUTests",
            dependencies: ["CardAPDU", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CardTLVTests",
            dependencies: ["CardTLV", "CardAPDU", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "CardStandardsTests", dependencies: ["CardStandards"], swiftSettings: swiftSettings),
        .testTarget(name: "CardInspectTests", dependencies: ["CardInspect"], swiftSettings: swiftSettings),
        .testTarget(name: "CardCryptoTests", dependencies: ["CardCrypto", "CardAPDU", "CardStandards"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SocialSecurityTests",
            dependencies: [
                "CardPersonalization", "CardRuntime", "CardTransport", "CardSimulator", "CardStandards", "CardCommands", "CardFileSystem",
                "SocialSecurityApplet", "Terminal", "CardCrypto",
            ],
            swiftSettings: swiftSettings),
        // Starts its own pcscd and `sscard serve` (by PID) when pcscd and vpcd are installed.
        .testTarget(
            name: "PCSCTests",
            dependencies: [
                "CardTransportPCSC", "CardTransport", "CardAPDU", "CardFileSystem", "CardImage", "CardRuntime", "PBOCApplet", "sscard", "TestSupport",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PBOCTests",
            dependencies: [
                "BackOffice", "CardAPDU", "CardCrypto", "CardFileSystem", "CardImage", "CardPersonalization", "CardRuntime",
                "CardTLV", "CardTransport", "CardSimulator", "CardStandards", "CardCommands", "PBOCApplet", "Terminal",
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "BackOfficeTests", dependencies: ["BackOffice", "BackOfficeStore", "HTTPWire", "TestSupport", "sscard", "sscard-backoffice", "CardPersonalization", "CardSimulator", "CardTransport", "Terminal", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings),
        .testTarget(name: "CardFileSystemTests", dependencies: ["CardFileSystem"], swiftSettings: swiftSettings),
        // PINs and keys never in the suite's outputs, owner-only files, constant-time compares, loopback services.
        .testTarget(
            name: "SecurityTests", dependencies: ["CardAPDU", "CardPersonalization", "CardRuntime", "CardStandards", "TestSupport", "sscard"],
            swiftSettings: swiftSettings),
        // Replays the committed fuzz corpora (Fuzz/corpus/NAME/) through the targets.
        .testTarget(name: "CardFuzzingTests", dependencies: ["CardFuzzing", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CardFaultsTests", dependencies: ["CardFaults", "CardAPDU", "CardTLV", "CardStandards", "CardRuntime", "CardPersonalization"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CardRuntimeTests",
            dependencies: ["CardPersonalization", "CardRuntime", "CardImage", "CardFileSystem", "CardStandards"],
            swiftSettings: swiftSettings),
        .testTarget(name: "CardImageTests", dependencies: ["CardPersonalization", "CardImage", "CardRuntime"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CardTransportTests",
            dependencies: ["CardPersonalization", "CardTransport", "CardSimulator", "CardCommands", "CardAPDU", "CardImage"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CardScriptTests", dependencies: ["CardPersonalization", "CardScript", "CardSimulator", "CardImage"], swiftSettings: swiftSettings),
        // Test helpers shared by the CLI and PC/SC tests.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        // Runs the built `sscard` binary the way users do.
        .testTarget(name: "SSCardCLITests", dependencies: ["sscard", "sscard-kiosk", "TestSupport"], swiftSettings: swiftSettings),
    ]
)
