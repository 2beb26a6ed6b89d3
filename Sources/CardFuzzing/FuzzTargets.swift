// SSCard — CardFuzzing
//
// The fuzz targets: each takes arbitrary bytes, hands them to one of the
// project's parsers or engines, and checks what must hold whatever the
// bytes (a parse that succeeds round-trips; a card's counters stay within
// their limits). A crash or a failed check is a finding. libFuzzer drives
// them from the Fuzz package (`make fuzz`); `make test` replays the
// committed corpora (Fuzz/corpus/NAME/) through the same functions.

import BackOffice
import BackOfficeStore
import CardAPDU
import CardFaults
import CardFileSystem
import CardImage
import CardPersonalization
import CardRuntime
import CardScript
import CardStandards
import CardTLV
import FoundationEssentials
import PBOCApplet
import ReaderDriver
import VPCDBridge

/// The fuzz targets by name.
public enum FuzzTargets {
    /// Every target, by the name of its corpus folder.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("apdu", apdu), ("tlv", tlv), ("script", script), ("card-image", cardImage), ("profile", profile),
        ("vpcd", vpcdFraming), ("fault-plan", faultPlan), ("backoffice-json", backOfficeRequest),
        ("driver-strings", driverStrings), ("card-runtime", cardRuntime),
    ]

    /// The target called `name`.
    public static func named(_ name: String) -> (@Sendable ([UInt8]) -> Void)? { all.first { $0.name == name }?.run }

    /// A check that must hold: a finding when it does not.
    static func require(_ condition: Bool, _ what: @autoclosure () -> String, input: [UInt8]) {
        if !condition { fatalError("fuzz invariant broken: \(what()) (input \(Hex.encode(input.prefix(64)))…)") }
    }

    // MARK: Bytes

    /// Command and response APDUs: a parse that succeeds says the same when
    /// the command is encoded again.
    static func apdu(_ input: [UInt8]) {
        if let view = try? CommandAPDUView(input) {
            let command = CommandAPDU(view)
            require(command.data.elementsEqual(view.data), "CommandAPDU keeps the view's data", input: input)
            let again = try? CommandAPDUView(command.encoded)
            require(again != nil, "an encoded command parses", input: input)
            if let again {
                require(
                    again.cla == view.cla && again.ins == view.ins && again.p1 == view.p1 && again.p2 == view.p2
                        && again.ne == view.ne && again.data.elementsEqual(view.data), "the encoded command says the same", input: input)
            }
            _ = APDUMask.describe(input)
        } else {
            require((try? CommandAPDU(bytes: input)) == nil, "CommandAPDU and CommandAPDUView agree", input: input)
        }
        if let r = try? ResponseAPDU(bytes: input) {
            require(r.encoded == input, "a response APDU round-trips", input: input)
            _ = r.status.meaning
        }
    }

    /// BER-TLV: nodes lie inside their parents and the buffer; a strict
    /// parse encodes back to the same bytes.
    static func tlv(_ input: [UInt8]) {
        if let nodes = try? BERTLV.parse(input) {
            for node in nodes {
                require(node.value.startIndex >= node.encoded.startIndex && node.value.endIndex == node.encoded.endIndex, "value within encoding", input: input)
                require(node.encoded.startIndex >= 0 && node.encoded.endIndex <= input.count, "node within the buffer", input: input)
                for child in nodes.children(of: node) {
                    require(child.encoded.startIndex >= node.value.startIndex && child.encoded.endIndex <= node.value.endIndex, "child within parent", input: input)
                }
            }
        }
        if let nodes = try? BERTLV.parse(input, options: .strict) {
            var out: [UInt8] = []
            for root in nodes.roots { encode(root, nodes, into: &out) }
            require(out == input, "a strict parse encodes back to the input", input: input)
        }
    }

    static func encode(_ node: TLVNode, _ nodes: TLVNodes, into out: inout [UInt8]) {
        out += node.tag.bytes
        guard node.isConstructed else {
            out += BERTLV.encodeLength(node.length)
            out += node.value
            return
        }
        var inner: [UInt8] = []
        for child in nodes.children(of: node) { encode(child, nodes, into: &inner) }
        out += BERTLV.encodeLength(inner.count)
        out += inner
    }

    // MARK: Files

    /// Scripts in every format the runner reads, and the placeholders.
    static func script(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        _ = ScriptPlaceholders.names(in: text)
        _ = try? ScriptPlaceholders.substitute(text, ["PIN": "123456"], name: "fuzz.apdu")
        if let parsed = try? ScriptParser.parse(text, name: "fuzz.apdu") {
            for step in parsed.steps {
                if case .command(_, let bytes, _, _) = step { require(bytes.count >= 4, "a script command has a header", input: input) }
            }
        }
    }

    /// Card images: one that loads encodes to an image that loads as the same card.
    static func cardImage(_ input: [UInt8]) {
        guard let state = try? CardImageCodec.decode(Data(input), file: "fuzz.json") else { return }
        let again = try? CardImageCodec.decode(CardImageCodec.encode(state), file: "again.json")
        require(again == state, "a loaded image saves and loads as the same card", input: input)
        for pin in state.pins { require(pin.counter.remaining <= pin.counter.limit, "tries within the limit", input: input) }
        // The card it makes answers (never traps) whatever it holds.
        var card = CardFactory.virtualCard(state)
        _ = card.transmit([0x00, 0xA4, 0x04, 0x00, 0x0F] + SocialSecurity.ssseName)
        _ = card.transmit([0x00, 0xB2, 0x01, 0x0C, 0x00])
    }

    /// Profile files: one that loads personalizes under any seed.
    static func profile(_ input: [UInt8]) {
        guard let p = try? CardProfiles.profile(decoding: input, path: "fuzz.json") else { return }
        let state = p.personalize(seed: UInt64(input.count))
        require((try? CardImageCodec.decode(CardImageCodec.encode(state))) == state, "a profile's card saves and loads", input: input)
    }

    /// Fault plans: a plan that parses applies to a card without trapping.
    static func faultPlan(_ input: [UInt8]) {
        guard let plan = try? FaultPlan.parse(String(decoding: input, as: UTF8.self), name: "fuzz.faults") else { return }
        var injector = FaultInjector(plan: plan)
        var card = runtimeCard
        for command in [[0x00, 0xA4, 0x04, 0x00, 0x0F] + SocialSecurity.ssseName + [0x00], [0x00, 0x84, 0x00, 0x00, 0x08], [0x00, 0xC0, 0x00, 0x00, 0x08]] {
            // Delays are not slept here: a plan may ask for minutes.
            if plan.rules.contains(where: { if case .delay = $0.fault { true } else { false } }) { return }
            _ = injector.transmit(command, card: &card)
        }
    }

    // MARK: Protocols

    /// vpcd's framing, the bytes cut into pieces the first byte chooses:
    /// the frames that come out are the bytes that went in.
    static func vpcdFraming(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let piece = Int(first % 7) + 1
        let stream = Array(input.dropFirst())
        var decoder = VPCDFrameDecoder()
        var consumed: [UInt8] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + piece, stream.count)
            require(decoder.append(Array(stream[offset..<end])) == end - offset, "the decoder takes every byte", input: input)
            offset = end
            while let request = decoder.next() {
                let payload: [UInt8]
                switch request {
                case .powerOff: payload = [0]
                case .powerOn: payload = [1]
                case .reset: payload = [2]
                case .atr: payload = [4]
                case .control(let b): payload = [b]
                case .tooShort(let p), .apdu(let p): payload = p
                }
                VPCDFrameDecoder.frame(payload, into: &consumed)
            }
        }
        require(stream.starts(with: consumed), "the frames are the stream's bytes", input: input)
        require(stream.count - consumed.count < 2 + 65_536, "at most one frame waits", input: input)
    }

    /// The insurance platform's one POST endpoint, on a seeded database:
    /// every body gets a JSON answer with a code.
    static func backOfficeRequest(_ input: [UInt8]) {
        let answer = centre.respond(to: input)
        let json = try? JSON.parse(answer)
        require(json != nil, "the centre answers JSON", input: input)
        if case .object(let fields)? = json { require(fields.contains { $0.0 == "infcode" }, "the answer has infcode", input: input) }
    }

    /// A centre on a database in a temporary folder, seeded once per process.
    static let centre: InsuranceCentre = {
        let dir = FileManager.default.temporaryDirectory.path + "/sscard-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/backoffice.sqlite"
        _ = try! Seeder.initialize(path: path, seed: nil, today: LocalDay(index: 20_000))
        return InsuranceCentre(pool: try! BackOfficeDatabase.open(path: path, create: false), area: "510100")
    }()

    /// The reader driver's string parameters: NUL-separated pCardInfo,
    /// pFileAddr, pWriteData and pPayInfo, through the engine on a virtual card.
    static func driverStrings(_ input: [UInt8]) {
        let fields = input.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }
                _ = try? ReaderDriver.cardInfo(field(0))
        if let groups = try? FileGroup.parse(field(1)) { _ = try? FileWrite.parse(field(2), matching: groups) }
        let driver = ReaderDriver(configuration: driverConfiguration)
        let checked: [Result<String, DriverFailure>] = [
            driver.readCard(iType: 3, authType: 2, cardInfo: field(0), fileAddress: field(1)),
            driver.writeCard(iType: 3, cardInfo: field(0), fileAddress: field(1), writeData: field(2)),
            driver.doDebit(iType: 3, cardInfo: field(0), payInfo: field(3)),
        ]
        for case .failure(let f) in checked { require(f.code < 0, "a failure has a negative code (\(f.code))", input: input) }
    }

    static let driverConfiguration: DriverConfiguration = {
        var c = DriverConfiguration()
        c.card = .profile("default")
        return c
    }()

    // MARK: The card

    /// A card of the default profile, personalized once; each input starts from it.
    nonisolated(unsafe) static let runtimeCard = CardFactory.virtualCard(CardProfiles.builtIn.first { $0.name == "default" }!.personalize(seed: 1))

    /// A stream of APDUs (each a length byte and that many bytes) to a
    /// card; after each: tries within limits, a protected file never read
    /// without its condition, the bank's ATC never back.
    static func cardRuntime(_ input: [UInt8]) {
        var card = runtimeCard
        var i = 0
        var atc = bankATC(card)
        while i < input.count {
            let n = Int(input[i])
            i += 1
            let command = Array(input[i..<min(i + n, input.count)])
            i += n
            if command.first == 0xFF && command.count == 1 {
                _ = card.powerOn()
                continue
            }
            let read = readTarget(command, card)
            let response = card.transmit(command)
            require(response.count >= 2, "every answer has a status word", input: input)
            for pin in card.state.pins { require(pin.counter.remaining <= pin.counter.limit, "\(pin.label): tries within the limit", input: input) }
            for key in card.state.keys { require(key.counter.remaining <= key.counter.limit, "\(key.label): tries within the limit", input: input) }
            if let ef = read, response.count > 2, response.suffix(2) == [0x90, 0x00] {
                let rule = card.state.files[ef].ef!.access.read
                require(rule.isSatisfied(by: card.session.security), "\(card.state.files[ef].label) read without \(rule)", input: input)
            }
            let now = bankATC(card)
            if let before = atc, let now { require(now >= before, "the ATC went back from \(before) to \(now)", input: input) }
            atc = now
        }
    }

    /// The EF a READ BINARY or READ RECORD names (by SFI or the current EF).
    static func readTarget(_ c: [UInt8], _ card: VirtualCard) -> NodeIndex? {
        guard c.count >= 4, c[0] & 0x80 == 0 else { return nil }
        let files = card.state.files
        switch c[1] {
        case 0xB0:
            if c[2] & 0x80 != 0 { return files.ef(under: card.session.currentDF, sfi: c[2] & 0x1F) }
            return card.session.currentEF
        case 0xB2:
            let sfi = c[3] >> 3
            if sfi != 0 { return files.ef(under: card.session.currentDF, sfi: sfi) }
            return card.session.currentEF
        default:
            return nil
        }
    }

    static func bankATC(_ card: VirtualCard) -> UInt16? {
        guard let i = card.state.files.index(ofLabel: PBOCDebit.countersLabel),
            case .transparent(let f)? = card.state.files[i].ef?.content
        else { return nil }
        return PBOCCounters(bytes: f.data)?.atc
    }
}
