// SSCard — CardTransport


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
    /// Takes exclusive access to the card until ``endTransaction()``, so that
    /// no other program interleaves its commands with a flow's (PC/SC's
    /// `SCardBeginTransaction`; nothing to do for a card in memory).
    func beginTransaction() throws(TransportError)
    /// Gives exclusive access back.
    func endTransaction()
    /// A name for people: "virtual card (iso-test)", a reader name.
    var name: String { get }
}

extension CardTransport {
    /// Runs `body` with exclusive access to the card; a failure to take it is
    /// handed to `wrap`, which turns it into the body's own error type.
    public func transaction<T, E: Error>(
        _ body: () throws(E) -> T, failure wrap: (TransportError) -> E
    ) throws(E) -> T {
        do {
            try beginTransaction()
        } catch {
            throw wrap(error)
        }
        defer { endTransaction() }
        return try body()
    }
}
