// SSCard — CardStandards

/// Compares two byte strings in time that depends only on their lengths,
/// not on where they differ: for PINs, MACs, cryptograms and authentication
/// data, on the card and on the terminal. Every byte is looked at, with no
/// early exit; inlinable so that callers get it specialized for their
/// collections (unspecialized, each byte costs a protocol call).
@inlinable
public func constantTimeEquals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    var diff: UInt8 = a.count == b.count ? 0 : 1
    var i = a.makeIterator()
    var j = b.makeIterator()
    while true {
        let p = i.next()
        let q = j.next()
        if p == nil && q == nil { break }
        diff |= (p ?? 0) ^ (q ?? 0)
    }
    return diff == 0
}

/// `count` bytes from the system's random source, eight per draw (one
/// system call per draw, not per byte).
public func randomBytes(_ count: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        let n = min(8, count - out.count)
        withUnsafeBytes(of: g.next() as UInt64) { out.append(contentsOf: $0.prefix(n)) }
    }
    return out
}
