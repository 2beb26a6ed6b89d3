// SSCard — POS
//
// A sale at a designated pharmacy or hospital counter, end to end (DESIGN.md,
// settlement.md §2): the card read with the PSAM, the person checked with
// the centre (1101) by the card's credential, the social PIN (changed first
// while it is the initial one, where the profile says so), the pre-settlement
// and the settlement, then the person's cash part paid with the card's bank
// application online. Whatever stops the sale leaves nothing half-done: a
// settlement the bank did not pay is cancelled (or the rest taken in cash),
// and a failure says where the settlement stands.

public import BackOffice
import CardAPDU
import CardStandards
public import CardTransport
public import Terminal

/// What the cardholder is asked for at the keypad.
public enum PINRequest: Hashable, Sendable {
    /// The social PIN.
    case social
    /// A new social PIN (the keypad asks twice and compares).
    case newSocial
    /// The bank PIN, when the card's CVM list asks for an offline PIN.
    case bank
}

/// The keypad.
public protocol PINPad: AnyObject {
    func pin(_ request: PINRequest) throws(POSError) -> String
}

/// Which social PINs are initial, and whether the terminal forces a change
/// while the PIN is one of them (a profile's rule: DESIGN.md).
public struct PINRules: Hashable, Sendable {
    public var initial: Set<String>
    public var mustChange: Bool
    public init(initial: Set<String>, mustChange: Bool) {
        self.initial = initial
        self.mustChange = mustChange
    }
}

/// How a sale is paid.
public struct SaleOptions {
    /// Let the personal account pay (`acct_used_flag`).
    public var useAccount = true
    /// Take the person's cash part with the bank card (else in cash).
    public var payByCard = true
    /// When the bank declines, take the rest in cash instead of cancelling.
    public var cashFallback = false
    /// The cashier's go-ahead before the card payment (throw to stop the sale).
    public var confirmCardPayment: ((Money) throws(POSError) -> Void)?
    /// The outpatient visit's diagnosis (ICD-10) and department.
    public var diagnosis = "J06.900"
    public var diagnosisName = "急性上呼吸道感染"
    public var department = "内科"
    public init() {}
}

/// What the POS is doing, for the cashier's screen.
public enum POSEvent {
    case cardRead(SocialCardInfo)
    case person(name: String, psnNo: String, balance: Money)
    case pinVerified
    case pinChangeRequired
    case pinChanged
    case registered(mdtrtID: String)
    case preSettled(SettlementFigures)
    /// Settled at the centre; the receipt so far (the journal keeps it before the card payment).
    case settled(Receipt)
    case cardPayment(Money)
    case bankStep(String)
}

/// A POS: a card with its PSAM, and the back office.
public final class POSTerminal {
    public let social: SocialTerminal
    public let kernel: EMVKernel
    public let desk: SettlementDesk
    public var rules: PINRules
    let pad: any PINPad
    public var onEvent: (POSEvent) -> Void = { _ in }

    public init(
        card: TerminalSession, psam: TerminalSession, backOffice: any BackOfficeLink, institution: Institution, rules: PINRules,
        pad: any PINPad, clock: @escaping () -> FSITime = POSClock.now
    ) {
        social = SocialTerminal(card: card, psam: psam)
        kernel = EMVKernel(card: card)
        desk = SettlementDesk(backOffice: backOffice, institution: institution, clock: clock)
        self.rules = rules
        self.pad = pad
    }

    /// A whole sale.
    public func sale(_ kind: Receipt.Kind, _ items: [SaleItem], options: SaleOptions = SaleOptions()) throws(POSError) -> Receipt {
        let info: SocialCardInfo
        do {
            info = try social.readBasics()
        } catch {
            throw POSError(error)
        }
        onEvent(.cardRead(info))
        try desk.centre.signIn()
        let credential: [(String, JSON)] = [
            ("mdtrt_cert_type", .string("03")), ("mdtrt_cert_no", .string(info.cardNumber)), ("card_sn", .string(Hex.encode(info.cardID))),
            ("certno", .string(info.citizenID)), ("psn_cert_type", .string("01")), ("psn_name", .string(info.name)),
        ]
        let person = try desk.person(credential)
        onEvent(.person(name: person.name, psnNo: person.psnNo, balance: person.balance))
        try verifySocialPIN()
        var receipt: Receipt
        switch kind {
        case .pharmacy: receipt = try desk.pharmacy(items, person: person, credential: credential, options: options, events: onEvent)
        case .hospital: receipt = try desk.hospital(items, person: person, credential: credential, options: options, events: onEvent)
        }
        receipt.cardNumber = info.cardNumber
        onEvent(.settled(receipt))
        return try pay(receipt, options: options)
    }

    // MARK: PIN

    /// VERIFY, then the forced change while the PIN is an initial one.
    func verifySocialPIN() throws(POSError) {
        let pin = try pad.pin(.social)
        var mustChange = rules.mustChange && rules.initial.contains(pin)
        do {
            let result = try social.verifyPIN(pin)
            if let failure = Self.failure(result) { throw failure }
            onEvent(.pinVerified)
        } catch let e as TerminalError where e.code == .cardStatus && e.status == .conditionsNotSatisfied {
            // The card itself refuses VERIFY until the initial PIN is changed.
            mustChange = true
        } catch let e as TerminalError {
            throw POSError(e)
        } catch let e as POSError {
            throw e
        } catch {
            throw POSError(.card, "VERIFY: \(error)")
        }
        guard mustChange else { return }
        onEvent(.pinChangeRequired)
        let new = try pad.pin(.newSocial)
        guard !rules.initial.contains(new) else {
            throw POSError(.pinChange, "the new PIN is an initial PIN, which the card may not keep", advice: "choose another PIN")
        }
        let result: PINResult
        do {
            result = try social.changePIN(old: pin, new: new)
        } catch {
            if error.code == .cardStatus && error.status == .conditionsNotSatisfied {
                throw POSError(.pinChange, "the card does not allow the PIN to be changed here", advice: "change it at a service hall", terminal: error)
            }
            throw POSError(error)
        }
        if let failure = Self.failure(result) { throw failure }
        onEvent(.pinChanged)
    }

    /// A refused social PIN as the cashier is told it; `nil` when verified.
    static func failure(_ result: PINResult) -> POSError? {
        switch result {
        case .verified: nil
        case .wrong(let left):
            POSError(
                .wrongPIN, "wrong social PIN, \(left) \(left == 1 ? "try" : "tries") left", advice: "ask the cardholder to enter it again",
                triesLeft: left)
        case .blocked: POSError(.pinBlocked, "the social PIN is blocked", advice: "the cardholder has it unblocked at a social-security service hall")
        }
    }

    // MARK: the card payment

    /// Pays the person's cash part; a sale the bank does not pay is undone
    /// (or, with `cashFallback`, paid in cash).
    func pay(_ settled: Receipt, options: SaleOptions) throws(POSError) -> Receipt {
        var receipt = settled
        let due = receipt.personCash
        guard due > .zero else {
            receipt.status = .paid
            return receipt
        }
        guard options.payByCard else {
            receipt.cash = due
            receipt.status = .paid
            return receipt
        }
        if let confirm = options.confirmCardPayment {
            do {
                try confirm(due)
            } catch {
                throw desk.undo(receipt, because: error)
            }
        }
        onEvent(.cardPayment(due))
        let reference = "POS-" + receipt.setlID
        let host = LinkBankHost(link: desk.backOffice, reference: reference)
        // One assignment: the kernel works out its DOL values at each change of its parameters.
        let now = desk.clock().compact
        var parameters = kernel.parameters
        parameters.date = Self.bcd(now, from: 2, count: 3)
        parameters.time = Self.bcd(now, from: 8, count: 3)
        parameters.merchant = String(receipt.institutionName.unicodeScalars.filter(\.isASCII).prefix(20).map(Character.init))
        if parameters.merchant.isEmpty { parameters.merchant = receipt.institutionCode }
        kernel.parameters = parameters
        var pinFailure: POSError?
        let result: PurchaseResult
        do throws(TerminalError) {
            result = try kernel.purchase(amount: due.fen, host: host) { () throws(TerminalError) -> String? in
                do throws(POSError) {
                    return try self.pad.pin(.bank)
                } catch {
                    pinFailure = error
                    throw TerminalError(.pinEntry, step: "bank PIN")
                }
            }
        } catch {
            let cause: POSError
            if let pinFailure {
                cause = pinFailure
            } else if let linkFailure = host.failure {
                cause = POSError(linkFailure)
            } else if error.code == .applicationUnavailable {
                cause = POSError(.declined, "the bank application refuses to pay: \(error)", advice: "the bank activates it; take the rest in cash", terminal: error)
            } else {
                cause = POSError(error)
            }
            throw desk.undo(receipt, bankReference: reference, because: cause)
        }
        for step in result.steps { onEvent(.bankStep(step)) }
        guard result.approved else {
            let reason = result.reason
            guard options.cashFallback else {
                throw desk.undo(
                    receipt, bankReference: reference,
                    because: POSError(.declined, "the card payment of \(due) was declined: \(reason)", advice: "pay with --cash-fallback, or with another card"))
            }
            // Nothing may stay debited for a payment the card did not finish.
            if host.contacted {
                do {
                    try desk.refund(reference)
                } catch {
                    throw error.with(outcome: .committed(setlID: receipt.setlID))
                }
            }
            receipt.cash = due
            receipt.bankDeclined = reason
            receipt.status = .paid
            return receipt
        }
        receipt.bank = BankPayment(
            maskedPAN: PANFormat.masked(result.pan), tc: Hex.encode(result.cryptogram), atc: Int(result.atc), reference: reference, amount: due)
        receipt.status = .paid
        return receipt
    }

    /// Digits of `yyyyMMddHHmmss` as BCD bytes.
    static func bcd(_ compact: String, from: Int, count: Int) -> [UInt8] {
        let digits = Array(compact.utf8).map { $0 &- 0x30 }
        return (0..<count).map { i in
            let k = from + 2 * i
            return k + 1 < digits.count ? digits[k] << 4 | digits[k + 1] : 0
        }
    }
}

/// The bank over the link, as the kernel's issuer host; remembers whether
/// it was asked, and why it could not be.
final class LinkBankHost: AuthorizationHost {
    let link: any BackOfficeLink
    let reference: String
    var contacted = false
    var failure: BackOfficeLinkError?

    init(link: any BackOfficeLink, reference: String) {
        self.link = link
        self.reference = reference
    }

    func authorize(_ r: AuthorizationRequest) throws -> AuthorizationResponse {
        contacted = true
        do throws(BackOfficeLinkError) {
            let (status, body) = try link.bank(.authorize, r.json(channel: .pos, reference: reference).serializedBytes)
            let json = try? JSON.parse(body)
            guard status == 200, let j = json, let response = AuthorizationResponse(bankJSON: j) else {
                let message = json?["message"]?.string ?? "HTTP \(status)"
                throw BackOfficeLinkError(.malformed, "the bank refused the request: \(message)")
            }
            return response
        } catch {
            failure = error
            throw error
        }
    }
}
