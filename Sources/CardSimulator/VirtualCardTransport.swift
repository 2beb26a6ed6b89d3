// SSCard — CardSimulator
//
// The virtual card as a transport, beside the card OS: hosts reach it
// through the same protocol as a reader, and the transport layer itself
// links no card runtime.

import CardAPDU
public import CardFaults
public import CardRuntime
public import CardTransport

/// The in-memory virtual card as a transport (jCardSim's `CardSimulator`):
/// the same API as a reader, so terminal code cannot tell them apart.
public final class VirtualCardTransport: CardTransport {
    /// The card; tests may inspect and change it.
    public var card: VirtualCard

    /// Makes the card misbehave as a plan says (`sscard run --faults`).
    public var faults: FaultInjector?
    /// Set when a fault pulled the card out: every command fails until the
    /// terminal connects or resets again (PC/SC's removed-card state).
    var removedBy: String?

    public init(card: VirtualCard, faults: FaultInjector? = nil) {
        self.card = card
        self.faults = faults
    }

    public var name: String { "virtual card (\(card.state.profile))" }

    public func connect() throws(TransportError) -> [UInt8] {
        if removedBy != nil {
            removedBy = nil
            return card.powerOn()
        }
        return card.isPowered ? card.state.atr.bytes : card.powerOn()
    }

    public func reset(cold: Bool) throws(TransportError) -> [UInt8] {
        removedBy = nil
        if cold { card.powerOff() }
        return card.powerOn()
    }

    public func transmit(_ command: [UInt8]) throws(TransportError) -> [UInt8] {
        guard command.count >= 4 else {
            throw TransportError(.invalidAPDU, reason: "\(command.count) byte(s) is not a command APDU")
        }
        if let removedBy { throw TransportError(.cardRemoved, reason: "\(removedBy); reset or connect again") }
        guard faults != nil else { return card.transmit(command) }
        switch faults!.transmit(command, card: &card) {
        case .answer(let response):
            return response
        case .gone(let tear, _):
            let why = tear ? "the card lost power mid-command (fault plan: tear)" : "the card was pulled out (fault plan: remove)"
            removedBy = why
            throw TransportError(.cardRemoved, reason: why)
        }
    }

    public func disconnect() { card.powerOff() }

    /// One process holds the card in memory: there is no one to exclude.
    public func beginTransaction() throws(TransportError) {}
    public func endTransaction() {}
}
