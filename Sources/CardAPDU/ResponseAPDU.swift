// SSCard — CardAPDU

/// A response APDU: a data field and the status word (ISO/IEC 7816-4 §5.1).
public struct ResponseAPDU: Hashable, Sendable {
    /// The response data, without SW1 SW2.
    public var data: [UInt8]
    /// SW1 SW2.
    public var status: StatusWord

    public init(data: [UInt8] = [], status: StatusWord) {
        self.data = data
        self.status = status
    }

    /// Splits a card's answer into data and status (one copy).
    public init(bytes: [UInt8]) throws(APDUFormatError) {
        let n = bytes.count
        guard n >= 2 else {
            throw APDUFormatError(.responseTooShort, offset: n, reason: "\(n) byte(s); a response APDU ends with SW1 SW2")
        }
        self.data = Array(bytes[..<(n - 2)])
        self.status = StatusWord(sw1: bytes[n - 2], sw2: bytes[n - 1])
    }

    /// Splits a card's answer into data and status.
    ///
    /// - Throws: ``APDUFormatError/responseTooShort`` for fewer than 2 bytes.
    public init(bytes: some Collection<UInt8>) throws(APDUFormatError) {
        let array = Array(bytes)
        guard array.count >= 2 else {
            throw APDUFormatError(
                .responseTooShort, offset: array.count,
                reason: "\(array.count) byte(s); a response APDU ends with SW1 SW2")
        }
        let n = array.count
        self.data = Array(array[..<(n - 2)])
        self.status = StatusWord(sw1: array[n - 2], sw2: array[n - 1])
    }

    /// Data followed by SW1 SW2.
    public var encoded: [UInt8] { data + [status.sw1, status.sw2] }
}

extension ResponseAPDU: CustomStringConvertible {
    public var description: String { Hex.encode(encoded, separator: " ") }
}
