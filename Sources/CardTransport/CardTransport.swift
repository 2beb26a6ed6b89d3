// SSCard — CardTransport

public import CardAPDU
public import CardRuntime

/// A way to reach a card: in memory, or a reader through PC/SC.
///
/// Synchronous on purpose: PC/SC calls block and the virtual card is pure
/// computation (STYLE.md §3.6).
public protocol CardTransport: AnyObject {
    /// Powers the card if needed and returns its ATR.
    func connect() throws(TransportError) -> [UInt8]
    /// A reset (cold: power off and on; warm otherwise); returns the ATR.
    func reset(cold: Bool) throws(TransportError) -> [UInt8]
    /// Sends a command APDU and returns the response APDU, whatever its status word.
    func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8]
    /// Releases the card.
    func disconnect()
    /// A name for people: "virtual card (iso-test)", a reader name.
    var name: String { get }
}

/// The in-memory virtual card as a transport (jCardSim's `CardSimulator`):
/// the same API as a reader, so terminal code cannot tell them apart.
public final class VirtualCardTransport: CardTransport {
    /// The card; tests may inspect and change it.
    public var card: VirtualCard

    public init(card: VirtualCard) { self.card = card }

    public var name: String { "virtual card (\(card.state.profile))" }

    public func connect() throws(TransportError) -> [UInt8] {
        card.isPowered ? card.state.atr.bytes : card.powerOn()
    }

    public func reset(cold: Bool) throws(TransportError) -> [UInt8] {
        if cold { card.powerOff() }
        return card.powerOn()
    }

    public func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8] {
        guard command.count >= 4 else {
            throw TransportError(.invalidAPDU, reason: "\(command.count) byte(s) is not a command APDU")
        }
        return card.transmit(command)
    }

    public func disconnect() { card.powerOff() }
}
