// SSCard — CardCrypto
//
// Padding and MACs used by the social-security (MOHRSS part 4 §8) and PBOC
// (ISO 9797-1) specifications.

/// Pads with `80 00…` to a whole number of blocks, always adding at least
/// one byte (ISO/IEC 9797-1 padding method 2).
public func padISO9797Method2(_ data: [UInt8], blockSize: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(data.count + blockSize)
    out.append(contentsOf: data)
    out.append(0x80)
    while out.count % blockSize != 0 { out.append(0) }
    return out
}

/// Removes method-2 padding; `nil` when the padding is malformed.
public func unpadISO9797Method2(_ data: [UInt8]) -> [UInt8]? {
    guard let i = data.lastIndex(where: { $0 != 0 }), data[i] == 0x80 else { return nil }
    return Array(data[..<i])
}

/// ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with padding method 2:
/// single-DES CBC with K_L over all blocks, then the last block decrypted
/// with K_R and encrypted with K_L. Returns the 8-byte MAC.
///
/// - Precondition: `key.count == 16`.
public func retailMAC(key: [UInt8], data: [UInt8], iv: [UInt8]? = nil) throws(CryptoError) -> [UInt8] {
    precondition(key.count == 16, "a retail MAC key has 16 bytes")
    return try BlockCipher(.tripleDES, key: key).retailMAC(padISO9797Method2(data, blockSize: 8), iv: iv)
}
