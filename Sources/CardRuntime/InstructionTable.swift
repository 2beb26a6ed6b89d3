// SSCard — CardRuntime
//
// One dispatch style for the card OS and every applet: INS → the classes
// it is defined for → a handler (vsmartcard's ins2handler, Java Card's
// switch on INS), looked up in one array index.


/// Handlers by instruction, with the classes each one takes.
public struct InstructionTable<Handler> {
    /// What an instruction under a class it is not defined for gets.
    public enum OtherClasses: Sendable {
        /// `6E00`: the instruction is this table's, the class is wrong.
        case refuse
        /// Not this table's business: the next handler (the card OS) decides.
        case passOn
    }

    @usableFromInline
    struct Entry {
        @usableFromInline var handlers: [(cla: UInt8, handler: Handler)]
        @usableFromInline var otherClasses: OtherClasses

        @usableFromInline
        init(handlers: [(cla: UInt8, handler: Handler)], otherClasses: OtherClasses) {
            self.handlers = handlers
            self.otherClasses = otherClasses
        }
    }

    @usableFromInline var entries: [Entry?] = Array(repeating: nil, count: 256)

    public init() {}

    /// Defines `ins` under `cla`; `otherClasses` says what the instruction
    /// gets under the classes not defined for it.
    public mutating func define(_ ins: UInt8, cla: UInt8, otherClasses: OtherClasses = .refuse, _ handler: Handler) {
        var entry = entries[Int(ins)] ?? Entry(handlers: [], otherClasses: otherClasses)
        entry.handlers.append((cla, handler))
        entry.otherClasses = otherClasses
        entries[Int(ins)] = entry
    }

    /// What a command finds here.
    public enum Lookup {
        case handler(Handler)
        /// `6E00`.
        case wrongClass
        /// Not here (or passed on): the next handler decides.
        case notHere
    }

    /// The handler of a command's CLA and INS (inlinable: a cross-module
    /// generic call would not be specialized, on every command).
    @inlinable
    public func lookup(cla: UInt8, ins: UInt8) -> Lookup {
        guard let entry = entries[Int(ins)] else { return .notHere }
        for h in entry.handlers where h.cla == cla { return .handler(h.handler) }
        return entry.otherClasses == .refuse ? .wrongClass : .notHere
    }

}

extension InstructionTable: Sendable where Handler: Sendable {}
extension InstructionTable.Entry: Sendable where Handler: Sendable {}
