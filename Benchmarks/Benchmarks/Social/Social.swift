// Social-security benchmarks: a full 3.00 `social read` in process (SELECT,
// EF05, INTERNAL AUTHENTICATE and EXTERNAL AUTHENTICATE through the PSAM,
// EF06), and the cost of one EXTERNAL AUTHENTICATE on the card, SM4 and 3DES.

import Benchmark
import CardAPDU
import CardCrypto
import CardPersonalization
import CardRuntime
import CardStandards
import CardSimulator
import CardTransport
import SocialSecurityApplet
import Terminal

func socialTerminal(_ profile: String) -> SocialTerminal {
    let card = VirtualCardTransport(card: CardFactory.virtualCard(try! CardProfiles.resolve(profile).personalize()))
    let psam = VirtualCardTransport(card: CardFactory.virtualCard(VirtualPSAM.state()))
    return SocialTerminal(card: TerminalSession(transport: card), psam: TerminalSession(transport: psam))
}

/// What a benchmark keeps across its samples: its closure runs once per
/// sample, so personalization is done before, not measured.
final class Kept<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// A card with the SSSE selected.
func selectedCard(_ profile: String) -> Kept<VirtualCard> {
    var card = CardFactory.virtualCard(try! CardProfiles.resolve(profile).personalize())
    _ = card.powerOn()
    _ = card.transmit([0x00, 0xA4, 0x04, 0x00, 0x0F] + SocialSecurity.ssseName)
    return Kept(card)
}

/// EXTERNAL AUTHENTICATE on the card alone: the terminal's answer is computed once.
func externalAuthenticateLoop(_ kept: Kept<VirtualCard>, _ algorithm: SocialSecurityAlgorithm, _ benchmark: Benchmark) {
    let key = kept.value.state.keys.first { $0.label == "RKSSSE" }!.value
    let original: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    for _ in benchmark.scaledIterations {
        let challenge = kept.value.transmit([0x00, 0x84, 0x00, 0x00, 0x08]).dropLast(2)
        let sk = try! SocialSecurityCrypto.sessionKey(algorithm, key: key, random: Array(challenge))
        let auth = try! SocialSecurityCrypto.authenticationData(algorithm, sessionKey: sk, data: original)
        let apdu: [UInt8] =
            algorithm == .des ? [0x00, 0x82, 0x00, 0x0A, 0x10] + auth + original : [0x00, 0x82, 0x00, 0x0A, 0x11] + auth + original + [0x01]
        let r = kept.value.transmit(apdu)
        precondition(r == [0x90, 0x00], "EXTERNAL AUTHENTICATE failed: \(r)")
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    let v300 = Kept(socialTerminal("default")), v200 = Kept(socialTerminal("default-des"))
    let sm4Card = selectedCard("default"), desCard = selectedCard("default-des")

    Benchmark("social read, 3.00 card with IA and EA (in process, reset each time)") { benchmark in
        let t = v300.value
        for _ in benchmark.scaledIterations {
            _ = try! t.card.reset()
            blackHole(try! t.readBasics())
        }
    }

    Benchmark("social read, 2.00 card without authentication (in process, reset each time)") { benchmark in
        let t = v200.value
        for _ in benchmark.scaledIterations {
            _ = try! t.card.reset()
            blackHole(try! t.readBasics())
        }
    }

    Benchmark("EXTERNAL AUTHENTICATE on the card + GET CHALLENGE, SM4") { benchmark in
        externalAuthenticateLoop(sm4Card, .sm4, benchmark)
    }

    Benchmark("EXTERNAL AUTHENTICATE on the card + GET CHALLENGE, 3DES") { benchmark in
        externalAuthenticateLoop(desCard, .des, benchmark)
    }
}
