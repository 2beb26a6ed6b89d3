// SSCard — BackOfficeStore
//
// The back office in the terminal's own process: the same request and
// answer bytes as over HTTP, handed to the centre and the bank directly.

public import BackOffice
public import GRDB

/// The centre and the bank over one database, as a terminal's link.
public final class LocalBackOffice: BackOfficeLink {
    public let centre: InsuranceCentre
    public let bank: StoredBank
    public let counter: Counter
    public let location: String

    public init(pool: DatabasePool, clock: CentreClock = CentreClock(), area: String = "000000", location: String) {
        centre = InsuranceCentre(pool: pool, clock: clock, area: area)
        bank = StoredBank(pool: pool, clock: clock)
        counter = Counter(pool: pool, clock: clock)
        self.location = location
    }

    public func counter(_ operation: CounterOperation, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8]) {
        counter.respond(operation, to: body)
    }

    public func centre(_ body: [UInt8]) throws(BackOfficeLinkError) -> [UInt8] { centre.respond(to: body) }

    public func bank(_ endpoint: BankEndpoint, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8]) {
        switch endpoint {
        case .authorize: return bank.respond(to: body)
        case .refund: return bank.respondRefund(to: body)
        default: return (404, StoredBank.failure("notFound", "\(endpoint.path): no such endpoint"))
        }
    }
}
