// SSCard — CardFileSystem
//
// A value-type file tree stored flat: nodes in an array, each with its parent
// and children as indices. A node's index is its handle for the runtime's
// current DF/EF, so navigation and updates are array accesses, and a copy of
// the whole tree (a test snapshot, the state before a command) is cheap.

public import CardAPDU

/// How the records of a record EF are organised (ISO/IEC 7816-4 §7.3.1).
public enum RecordStructure: String, Hashable, Sendable, CaseIterable {
    /// Records of one fixed size.
    case linearFixed
    /// Records of any size up to 255 bytes.
    case linearVariable
    /// Fixed-size records in a ring; record 1 is the newest.
    case cyclic
}

/// A transparent EF's body: a fixed-size byte string.
public struct TransparentFile: Hashable, Sendable {
    public var data: [UInt8]
    public init(data: [UInt8]) { self.data = data }
    /// The file size, fixed at creation.
    public var size: Int { data.count }
}

/// A record EF's body.
public struct RecordFile: Hashable, Sendable {
    public var structure: RecordStructure
    /// For linear fixed and cyclic files: every record's size.
    public var recordSize: Int?
    /// How many records the file can hold.
    public var maxRecords: Int
    /// Records, record 1 first.
    public var records: [[UInt8]]
    /// The record identifier is the record's first byte, its tag (the
    /// social-security convention, SSC part 3 §5.3.1): records are simple
    /// TLVs, `tag ‖ length ‖ value`, and UPDATE RECORD checks that shape.
    public var identifiedByTag: Bool

    public init(
        structure: RecordStructure, recordSize: Int? = nil, maxRecords: Int, records: [[UInt8]] = [],
        identifiedByTag: Bool = false
    ) {
        self.structure = structure
        self.recordSize = recordSize
        self.maxRecords = maxRecords
        self.records = records
        self.identifiedByTag = identifiedByTag
    }

    /// The identifier of a record (its first byte), or `nil` for an empty record.
    @inlinable
    public func identifier(ofRecord index: Int) -> UInt8? { records[index].first }
}

/// An EF's body.
public enum EFContent: Hashable, Sendable {
    case transparent(TransparentFile)
    case records(RecordFile)
}

/// An elementary file.
public struct ElementaryFile: Hashable, Sendable {
    public var fid: FileID?
    public var sfi: SFI?
    public var content: EFContent
    public var access: AccessRules
    /// READ RECORD/READ BINARY answer `6Cxx` (the exact length) whenever Ne
    /// differs from what is there, Le `00` included, in every answer mode
    /// (SSC part 5 §6.10: "READ RECORD 当 Le=00 时，应以 6Cxx 返回可读的实际长度").
    public var strictLe: Bool

    public init(fid: FileID?, sfi: SFI? = nil, content: EFContent, access: AccessRules, strictLe: Bool = false) {
        self.fid = fid
        self.sfi = sfi
        self.content = content
        self.access = access
        self.strictLe = strictLe
    }
}

/// How a blocked application answers SELECT.
public enum BlockedSelectAnswer: String, Hashable, Sendable, CaseIterable {
    /// `9303`, no FCI (social security, SPEC-7 §13.2).
    case applicationBlocked
    /// The FCI with `6283` (EMV/PBOC).
    case fciWithWarning
}

/// A dedicated file: the MF, a DDF or an ADF.
public struct DedicatedFile: Hashable, Sendable {
    public var fid: FileID?
    /// The DF name (AID for an ADF), 1…16 bytes; selecting by name finds it.
    public var name: [UInt8]?
    /// The content of the FCI's proprietary template `A5`.
    public var fciProprietary: [UInt8]
    /// A permanently blocked application.
    public var blocked: Bool
    public var blockedAnswer: BlockedSelectAnswer

    public init(
        fid: FileID?, name: [UInt8]? = nil, fciProprietary: [UInt8] = [], blocked: Bool = false,
        blockedAnswer: BlockedSelectAnswer = .applicationBlocked
    ) {
        self.fid = fid
        self.name = name
        self.fciProprietary = fciProprietary
        self.blocked = blocked
        self.blockedAnswer = blockedAnswer
    }
}

/// A DF or an EF.
public enum FileKind: Hashable, Sendable {
    case df(DedicatedFile)
    case ef(ElementaryFile)
}

/// Where a node stands in its ``FileSystem``: its own type, so that a
/// node index is never mistaken for a count, an offset or a record number.
public struct NodeIndex: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The position in ``FileSystem/nodes``.
    public let rawValue: Int

    @inlinable public init(_ rawValue: Int) { self.rawValue = rawValue }

    public static func < (a: NodeIndex, b: NodeIndex) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "node \(rawValue)" }
}

/// One file in the tree.
public struct FileNode: Hashable, Sendable {
    /// A label for card images and error messages (`ssse`, `ef05`), unique in the tree.
    public var label: String
    public var parent: NodeIndex?
    public var children: [NodeIndex]
    public var kind: FileKind

    public var df: DedicatedFile? {
        if case .df(let d) = kind { return d }
        return nil
    }
    public var ef: ElementaryFile? {
        if case .ef(let e) = kind { return e }
        return nil
    }
    public var isDF: Bool { df != nil }
    public var fid: FileID? {
        switch kind {
        case .df(let d): d.fid
        case .ef(let e): e.fid
        }
    }
}

/// A card's file tree. Node 0 is the MF.
public struct FileSystem: Hashable, Sendable {
    public private(set) var nodes: [FileNode]

    /// The MF's index.
    public static let mf = NodeIndex(0)

    /// Every node's index, in the order the nodes were added.
    public var indices: [NodeIndex] { nodes.indices.map(NodeIndex.init) }

    /// A tree holding only the MF.
    public init(mf: DedicatedFile = DedicatedFile(fid: .mf), label: String = "mf") {
        nodes = [FileNode(label: label, parent: nil, children: [], kind: .df(mf))]
    }

    /// Adds a file under a DF and returns its index.
    @discardableResult
    public mutating func add(_ kind: FileKind, label: String, under parent: NodeIndex) -> NodeIndex {
        precondition(nodes[parent.rawValue].isDF, "files are created under DFs")
        let index = NodeIndex(nodes.count)
        nodes.append(FileNode(label: label, parent: parent, children: [], kind: kind))
        nodes[parent.rawValue].children.append(index)
        return index
    }

    /// The node at `index`, read in place: `files[i].parent` copies no node
    /// (a plain getter would copy it, retaining every array it holds).
    @inlinable
    public subscript(index: NodeIndex) -> FileNode {
        _read { yield nodes[index.rawValue] }
    }

    /// Replaces an EF's body and rules (the index must name an EF).
    public mutating func updateEF(_ index: NodeIndex, _ body: (inout ElementaryFile) throws(CardStatusError) -> Void)
        throws(CardStatusError)
    {
        let i = index.rawValue
        guard case .ef(var ef) = nodes[i].kind else { throw .noCurrentEF }
        // Move the EF out so that its buffers stay uniquely referenced.
        nodes[i].kind = .df(DedicatedFile(fid: nil))
        defer { nodes[i].kind = .ef(ef) }
        try body(&ef)
    }

    /// Turns the strict-Le rule off on every EF.
    public mutating func relaxStrictLe() throws(CardStatusError) {
        for i in indices where self[i].ef != nil {
            try updateEF(i) { (ef: inout ElementaryFile) throws(CardStatusError) in ef.strictLe = false }
        }
    }

    /// Changes a DF's attributes.
    public mutating func updateDF(_ index: NodeIndex, _ body: (inout DedicatedFile) -> Void) {
        guard case .df(var df) = nodes[index.rawValue].kind else { return }
        body(&df)
        nodes[index.rawValue].kind = .df(df)
    }

    /// The node with this label.
    public func index(ofLabel label: String) -> NodeIndex? { nodes.firstIndex { $0.label == label }.map(NodeIndex.init) }

    /// The child of `df` with this label.
    public func child(of df: NodeIndex, label: String) -> NodeIndex? {
        self[df].children.first { self[$0].label == label }
    }

    /// A child of a DF with this FID.
    public func child(of df: NodeIndex, fid: FileID) -> NodeIndex? {
        self[df].children.first { self[$0].fid == fid }
    }

    /// An EF directly under a DF with this SFI.
    public func ef(under df: NodeIndex, sfi: UInt8) -> NodeIndex? {
        self[df].children.first { self[$0].ef?.sfi?.rawValue == sfi }
    }

    /// DFs whose name starts with `prefix` (right-truncated names match, ISO
    /// 7816-4 §11.2.2), in tree order.
    public func dfs(namedWithPrefix prefix: [UInt8]) -> [NodeIndex] {
        // Depth first, without a recursive closure (whose context would be
        // allocated on every call).
        var out: [NodeIndex] = []
        var stack = [Self.mf]
        while let i = stack.popLast() {
            guard case .df(let df) = self[i].kind else { continue }
            if let name = df.name, name.count >= prefix.count, name.starts(with: prefix) { out.append(i) }
            let children = self[i].children
            for c in children.reversed() { stack.append(c) }
        }
        return out
    }

    /// The application a node belongs to: the nearest DF, itself included,
    /// that has a name; the MF when there is none.
    public func application(of index: NodeIndex) -> NodeIndex {
        var i: NodeIndex? = index
        while let j = i {
            if self[j].df?.name != nil { return j }
            i = self[j].parent
        }
        return Self.mf
    }

    /// The DF a node is in (itself for a DF).
    public func dedicatedFile(containing index: NodeIndex) -> NodeIndex {
        self[index].isDF ? index : self[index].parent ?? Self.mf
    }

    /// How many DFs lie between a node and the MF, itself included (the MF is 1).
    public func depth(of index: NodeIndex) -> Int {
        var depth = 0
        var i: NodeIndex? = index
        while let j = i {
            depth += 1
            i = self[j].parent
        }
        return depth
    }

    /// Of the items that match and whose DF is `current` or above it, the
    /// index of the one in the deepest DF: a PIN or key of the current DF
    /// hides one of the MF. One pass, no candidate list; inlinable, so that
    /// the card OS gets it specialized.
    @inlinable
    public func deepest<C: Collection>(
        _ items: C, from current: NodeIndex, where matches: (C.Element) -> Bool = { _ in true }, df: (C.Element) -> NodeIndex
    ) -> C.Index? {
        var best: C.Index? = nil
        var bestDepth = -1
        for i in items.indices where matches(items[i]) {
            let d = df(items[i])
            guard isAncestor(d, of: current) else { continue }
            let depth = self.depth(of: d)
            if depth > bestDepth {
                best = i
                bestDepth = depth
            }
        }
        return best
    }

    /// Whether `ancestor` is `index` or above it.
    public func isAncestor(_ ancestor: NodeIndex, of index: NodeIndex) -> Bool {
        var i: NodeIndex? = index
        while let j = i {
            if j == ancestor { return true }
            i = self[j].parent
        }
        return false
    }
}
