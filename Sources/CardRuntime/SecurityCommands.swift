// SSCard — CardRuntime
//
// VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER, GET CHALLENGE
// (ISO/IEC 7816-4 §11.5; SSC part 5 §6.14, part 7 §5.6–5.8).
//
// Every try is counted before it is judged: the counter is decremented and
// saved, then the PIN is compared in constant time, then a correct PIN gets
// its try back. A crash between the two can only lose a try, never give one.

package import CardAPDU
import CardFileSystem
import CardStandards

extension VirtualCard {
    /// The PIN object a reference names in the current DF or above it, deepest first.
    package func pinIndex(reference: UInt8) throws(CardStatusError) -> Int {
        guard let best = state.files.deepest(state.pins, from: session.currentDF, where: { $0.reference == reference }, df: \.df)
        else { throw .referencedDataNotFound }
        return best
    }

    /// Counts a try against a counter, then compares.
    /// - Returns: normally when `candidate` is right.
    /// - Throws: `6984` when no PIN is set (nothing is counted: there is no
    ///   PIN to guess), `6983` when blocked, `63Cx` when wrong, `6581` when
    ///   the try could not be saved (then nothing is compared).
    package mutating func judge(
        pin index: Int, puk: Bool, candidate: ArraySlice<UInt8>
    ) throws(CardStatusError) {
        let object = state.pins[index]
        guard let counter = puk ? object.puk?.counter : object.counter else { throw .referencedDataNotFound }
        if !puk && object.digits.isEmpty { throw .referenceDataNotUsable }
        if counter.isBlocked { throw .authenticationMethodBlocked }
        let before = counter.remaining
        try commit { (s: inout CardState) throws(CardStatusError) in
            if puk { s.pins[index].puk!.counter.remaining -= 1 } else { s.pins[index].counter.remaining -= 1 }
        }
        let expected = puk ? object.format.encode(object.puk!.digits) : object.encoded
        if constantTimeEquals(expected, candidate) {
            let restored = object.policy == .consecutive || puk ? counter.limit : before
            try commit { (s: inout CardState) throws(CardStatusError) in
                if puk { s.pins[index].puk!.counter.remaining = restored } else { s.pins[index].counter.remaining = restored }
            }
            return
        }
        throw CardStatusError(.verificationFailed(retriesRemaining: Int(before) - 1))
    }

    /// The encoded length of a PIN in `format`, checked against what may be
    /// sent: the object's own digit range (a BCD PIN of 4…16 digits travels
    /// in 2…8 bytes), so that a data field no PIN of it can have answers
    /// `6700` before any try is counted.
    package static func checkPINLength(_ count: Int, _ format: PINFormat, digits: ClosedRange<Int> = 1...16) throws(CardStatusError) {
        switch format {
        case .bcd: guard ((digits.lowerBound + 1) / 2...(digits.upperBound + 1) / 2).contains(count) else { throw .wrongLength }
        case .ascii: guard digits.contains(count) else { throw .wrongLength }
        case .isoFormat2: guard count == 8 else { throw .wrongLength }
        }
    }

    // MARK: VERIFY

    package mutating func verify(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0 else { throw .incorrectP1P2 }
        let index = try pinIndex(reference: c.p2)
        let pin = state.pins[index]
        if c.nc == 0 {
            // A query: the counter is not touched.
            if pin.counter.isBlocked { throw .authenticationMethodBlocked }
            if pin.digits.isEmpty || session.security.isPINVerified(pin.reference) { return .ok }
            throw CardStatusError(.verificationFailed(retriesRemaining: Int(pin.counter.remaining)))
        }
        try Self.checkPINLength(c.nc, pin.format, digits: pin.minLength...pin.maxLength)
        session.security.setPINVerified(pin.reference, false)
        try judge(pin: index, puk: false, candidate: c.data)
        if pin.mustChange && pin.cardEnforcesChange { throw .conditionsNotSatisfied }
        session.security.setPINVerified(pin.reference)
        return .ok
    }

    /// Decodes and checks a new PIN against the object's length rules.
    /// A data field that no PIN of any length has answers `6700`; a PIN
    /// outside the object's own range `6A80` (the card's rule, not its form).
    package static func newPIN(_ bytes: ArraySlice<UInt8>, for pin: PINObject) throws(CardStatusError) -> [UInt8] {
        try checkPINLength(bytes.count, pin.format)
        guard let digits = pin.format.decode(bytes), (pin.minLength...pin.maxLength).contains(digits.count) else {
            throw .incorrectData
        }
        return digits
    }

    // MARK: CHANGE REFERENCE DATA

    /// P1 `00`: data = current PIN ‖ new PIN (the current one as long as
    /// the stored PIN's encoding); P1 `01`: data = new PIN, after VERIFY.
    mutating func changeReferenceData(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.p1 <= 1 else { throw .incorrectP1P2 }
        guard c.nc > 0 else { throw .wrongLength }
        let index = try pinIndex(reference: c.p2)
        let pin = state.pins[index]
        guard pin.changeAllowed else { throw .conditionsNotSatisfied }
        if pin.counter.isBlocked { throw .authenticationMethodBlocked }
        let data = c.data
        var newPart = data
        if c.p1 == 0 {
            let oldCount = pin.encoded.count
            guard data.count > oldCount else { throw .wrongLength }
            let digits = try Self.newPIN(data.dropFirst(oldCount), for: pin)
            try judge(pin: index, puk: false, candidate: data.prefix(oldCount))
            newPart = data.dropFirst(oldCount)
            _ = digits
        } else {
            guard session.security.isPINVerified(pin.reference) else { throw .securityStatusNotSatisfied }
        }
        let digits = try Self.newPIN(newPart, for: pin)
        try commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[index].digits = digits
            s.pins[index].counter.remaining = s.pins[index].counter.limit
            s.pins[index].mustChange = false
        }
        session.security.setPINVerified(pin.reference)
        return .ok
    }

    // MARK: RESET RETRY COUNTER

    /// P1 `00`: data = PUK ‖ new PIN; P1 `01`: data = PUK (counter reset only).
    mutating func resetRetryCounter(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.p1 <= 1 else { throw .incorrectP1P2 }
        guard c.nc > 0 else { throw .wrongLength }
        let index = try pinIndex(reference: c.p2)
        let pin = state.pins[index]
        guard let puk = pin.puk else { throw .referencedDataNotFound }
        let pukCount = pin.format == .isoFormat2 ? 8 : pin.format.encode(puk.digits).count
        let data = c.data
        var digits: [UInt8]? = nil
        if c.p1 == 0 {
            guard data.count > pukCount else { throw .wrongLength }
            digits = try Self.newPIN(data.dropFirst(pukCount), for: pin)
        } else {
            guard data.count == pukCount else { throw .wrongLength }
        }
        try judge(pin: index, puk: true, candidate: data.prefix(pukCount))
        try commit { (s: inout CardState) throws(CardStatusError) in
            s.pins[index].counter.remaining = s.pins[index].counter.limit
            if let digits {
                s.pins[index].digits = digits
                s.pins[index].mustChange = false
            }
        }
        return .ok
    }

    // MARK: GET CHALLENGE

    /// 4, 8 or 16 random bytes, usable once by the next authentication.
    mutating func getChallenge(_ c: CommandAPDUView) throws(CardStatusError) -> CardAnswer {
        guard c.p1 == 0, c.p2 == 0 else { throw .incorrectP1P2 }
        guard c.nc == 0, let ne = c.ne, ne == 4 || ne == 8 || ne == 16 else { throw .wrongLength }
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ne)
        while bytes.count < ne {
            // One 64-bit draw gives eight bytes.
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0.prefix(ne - bytes.count)) }
        }
        session.challenge = bytes
        return CardAnswer(bytes)
    }
}
