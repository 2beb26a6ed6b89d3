// SSCard — CardSimulator
//
// The virtual card as a transport, beside the card OS: hosts reach it
// through the same protocol as a reader, and the transport layer itself
// links no card runtime.

import CardAPDU
public import CardRuntime
public import CardTransport

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

    /// One process holds the card in memory: there is no one to exclude.
    public func beginTransaction() throws(TransportError) {}
    public func endTransaction() {}
}
