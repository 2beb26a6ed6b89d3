// SSCard — CardPersonalization
//
// The bank counter's work on a card: activating its bank account.

public import CardImage
import CardAPDU
import CardFileSystem
public import CardRuntime
import PBOCApplet

/// The bank counter: activating the bank account of a card (the back office
/// writes the card's activation flag, and the bank PIN where none was set).
public enum BankCounter {
    /// Whether the bank PIN is still unset, to be given at activation.
    public static func needsPIN(_ state: CardState) -> Bool {
        state.pins.first { $0.label == "bank" }?.digits.isEmpty == true
    }

    /// Activates the account; where the bank PIN is set at activation, sets
    /// it with its try counter at the limit. Nothing changes when it throws.
    /// - Throws: ``CardImageError`` when the card has no PBOC application,
    ///   or the PIN is missing or outside the PIN object's length range.
    public static func activate(_ state: inout CardState, pin: String?) throws(CardImageError) {
        guard let counters = state.files.index(ofLabel: PBOCDebit.countersLabel),
            case .transparent(let f)? = state.files[counters].ef?.content, var c = PBOCCounters(bytes: f.data),
            let bankPIN = state.pins.firstIndex(where: { $0.label == "bank" })
        else { throw CardImageError(.noBankApplication, field: "", "the card has no PBOC debit application") }
        var next = state
        if next.pins[bankPIN].digits.isEmpty {
            let object = next.pins[bankPIN]
            guard let pin else {
                throw CardImageError(.missingValue, field: "pins.bank", "the bank PIN is set at activation: give one")
            }
            let digits = pin.utf8.map { $0 &- 0x30 }
            guard digits.allSatisfy({ $0 <= 9 }), (object.minLength...object.maxLength).contains(digits.count) else {
                throw CardImageError(
                    .invalidValue, field: "pins.bank", "the bank PIN must have \(object.minLength)…\(object.maxLength) digits")
            }
            next.pins[bankPIN].digits = digits
            next.pins[bankPIN].counter.remaining = object.counter.limit
        }
        c.activated = true
        let bytes = c.bytes
        do {
            try next.files.updateEF(counters) { (ef: inout ElementaryFile) throws(CardStatusError) in
                ef.content = .transparent(TransparentFile(data: bytes))
            }
        } catch {
            throw CardImageError(.invalidValue, field: "pboc-counters", "cannot be written: \(error)")
        }
        state = next
    }
}
