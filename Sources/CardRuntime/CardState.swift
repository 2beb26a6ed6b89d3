// SSCard — CardRuntime

public import CardAPDU
public import CardFileSystem

/// How the card shapes answers that carry data.
public enum AnswerMode: String, Hashable, Sendable, CaseIterable {
    /// Data and the status word in one answer, what most hosts expect.
    case direct
    /// T=0 realism (`spec/pboc.md` §1): a command with data and an answer
    /// gets `61xx` with an empty data field and GET RESPONSE returns every
    /// remaining byte; a case-2 command with a wrong Le gets `6Cxx`.
    case t0
}

/// Everything about a card that survives power-off: what a card image holds.
public struct CardState: Hashable, Sendable {
    /// The profile it was personalized from.
    public var profile: String
    public var atr: ATR
    public var answerMode: AnswerMode
    public var files: FileSystem
    public var pins: [PINObject]
    /// Symmetric keys (external/internal authentication, maintenance, masters).
    public var keys: [CardKey]
    /// CARD BLOCK was done: every command answers `6A81`.
    public var cardBlocked: Bool
    /// Status word for GET RESPONSE with nothing pending (`6985`; SSC
    /// part 5 says `6F00`).
    public var getResponseWithoutData: StatusWord

    public init(
        profile: String, atr: ATR, answerMode: AnswerMode, files: FileSystem, pins: [PINObject],
        keys: [CardKey] = [], cardBlocked: Bool = false, getResponseWithoutData: StatusWord = .conditionsNotSatisfied
    ) {
        self.profile = profile
        self.atr = atr
        self.answerMode = answerMode
        self.files = files
        self.pins = pins
        self.keys = keys
        self.cardBlocked = cardBlocked
        self.getResponseWithoutData = getResponseWithoutData
    }
}

/// What lasts only while the card is powered.
public struct SessionState: Sendable {
    public var currentDF: NodeIndex = FileSystem.mf
    public var currentEF: NodeIndex? = nil
    /// The application whose security state is held (SSC part 7: until
    /// power-off or selection of another application).
    public var application: NodeIndex = FileSystem.mf
    public var security = SecurityStatus()
    /// The record pointer of the current EF (0: none).
    public var recordPointer: Int = 0
    /// The last GET CHALLENGE, usable once.
    public var challenge: [UInt8]? = nil
    /// Bytes kept for GET RESPONSE (T=0 mode) and the status to end with.
    public var pending: [UInt8] = []
    public var pendingStatus: StatusWord = .success

    public init() {}
}
