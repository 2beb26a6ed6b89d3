// SSCard — CardRuntime

import CardCrypto
public import CardStandards

/// What a card key is for.
public enum KeyUsage: String, Hashable, Sendable, CaseIterable {
    /// EXTERNAL AUTHENTICATE: the terminal proves it knows the key (UK, RK, PUK).
    case externalAuthentication
    /// INTERNAL AUTHENTICATE: the card proves it is genuine (IRK).
    case internalAuthentication
    /// MACs of application maintenance commands (STK): PIN reload, blocks.
    case maintenance
    /// An issuer master key, from which card keys are diversified (a PSAM holds these).
    case master
    /// The medical purse's purchase key (DPK): MAC1 and MAC2.
    case purchase
    /// The medical purse's TAC key (DTK).
    case transactionAuthentication
    /// PBOC: the card's unique key for application cryptograms (UDK-AC).
    case applicationCryptogram
    /// PBOC: the card's unique key for issuer-script MACs (UDK-MAC).
    case scriptMAC
    /// PBOC: the card's unique key for enciphered script data (UDK-ENC).
    case dataEncryption
}

/// A symmetric key on the card, with its own try counter.
public struct CardKey: Hashable, Sendable {
    /// A name for people and images: `UKSSSE`, `RKSSSE`, `IRK`, `STK`.
    public var label: String
    /// The DF the key belongs to (node index); it counts for that DF and below.
    public var df: NodeIndex
    /// The key number (EXTERNAL AUTHENTICATE's P2) or identifier.
    public var number: UInt8
    public var usage: KeyUsage
    public var algorithm: SocialSecurityAlgorithm
    /// 16 bytes.
    public var value: [UInt8]
    public var version: UInt8
    public var counter: PINCounter

    public init(
        label: String, df: NodeIndex, number: UInt8, usage: KeyUsage, algorithm: SocialSecurityAlgorithm, value: [UInt8],
        version: UInt8 = 1, counter: PINCounter = PINCounter(limit: 3)
    ) {
        self.label = label
        self.df = df
        self.number = number
        self.usage = usage
        self.algorithm = algorithm
        self.value = value
        self.version = version
        self.counter = counter
    }
}

package import CardAPDU
public import CardFileSystem

extension VirtualCard {
    /// The key with this number and usage in the current DF or above it, deepest first.
    package func keyIndex(number: UInt8, usage: KeyUsage) throws(CardStatusError) -> Int {
        guard let best = state.files.deepest(
            state.keys, from: session.currentDF, where: { $0.number == number && $0.usage == usage }, df: \.df)
        else { throw .referencedDataNotFound }
        return best
    }

    /// Counts a try against a key's counter, saves it, then asks whether the
    /// proof is right; a right proof gets the counter back to its limit.
    /// - Throws: `6983` when blocked, `63Cx` when wrong.
    package mutating func judgeKey(
        _ index: Int, _ isCorrect: () throws(CardStatusError) -> Bool
    ) throws(CardStatusError) {
        let counter = state.keys[index].counter
        if counter.isBlocked { throw .authenticationMethodBlocked }
        try commit { (s: inout CardState) throws(CardStatusError) in s.keys[index].counter.remaining -= 1 }
        if try isCorrect() {
            try commit { (s: inout CardState) throws(CardStatusError) in s.keys[index].counter.remaining = counter.limit }
            return
        }
        throw CardStatusError(.verificationFailed(retriesRemaining: Int(counter.remaining) - 1))
    }

    /// Takes the last GET CHALLENGE, which can be used once.
    /// - Throws: `6984` when there is none.
    package mutating func takeChallenge() throws(CardStatusError) -> [UInt8] {
        guard let c = session.challenge else { throw .referenceDataNotUsable }
        session.challenge = nil
        return c
    }
}
