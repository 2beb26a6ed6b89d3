// SSCard — Terminal

public import CardTLV

/// The primitive data objects a terminal read from a card (FCI, records,
/// GET DATA), by tag; the first value of a tag is kept.
///
/// A card gives a terminal a few dozen objects: a flat list searched in
/// order beats a hash table, and every value lives in one shared buffer, so
/// that collecting a record costs no allocation per object.
public struct DataObjects: Sendable {
    /// Tag, and where its value lies in ``storage``.
    var entries: [(tag: UInt32, start: Int32, end: Int32)] = []
    var storage: [UInt8] = []

    public init() {}

    /// The objects of `bytes` (BER-TLV; nothing when it does not parse).
    public init(parsing bytes: [UInt8]) {
        self.init()
        collect(bytes)
    }

    /// How many objects there are.
    public var count: Int { entries.count }

    /// The value of `tag`, or `nil`.
    public subscript(tag: BERTag) -> ArraySlice<UInt8>? {
        let raw = tag.rawValue
        for e in entries where e.tag == raw { return storage[Int(e.start)..<Int(e.end)] }
        return nil
    }

    /// The value of `tag` as its own array, or `nil`.
    public func bytes(_ tag: BERTag) -> [UInt8]? { self[tag].map(Array.init) }

    /// Whether `tag`'s value is `value`.
    public func value(_ tag: BERTag, is value: [UInt8]) -> Bool {
        guard let v = self[tag] else { return false }
        return v.elementsEqual(value)
    }

    /// Adds `value` under `tag` unless the tag is already there.
    public mutating func keepFirst(_ tag: BERTag, _ value: some Collection<UInt8>) {
        let raw = tag.rawValue
        if entries.contains(where: { $0.tag == raw }) { return }
        if entries.isEmpty {
            entries.reserveCapacity(32)
            storage.reserveCapacity(384)
        }
        let start = Int32(storage.count)
        storage.append(contentsOf: value)
        entries.append((raw, start, Int32(storage.count)))
    }

    /// Adds the primitive objects of `bytes`, at any depth (the first of each tag).
    public mutating func collect(_ bytes: [UInt8]) {
        guard let nodes = try? BERTLV.parse(bytes) else { return }
        for n in nodes where !n.isConstructed { keepFirst(n.tag, n.value) }
    }

}
