// SSCard — POS
//
// The back office over HTTP: the centre's platform endpoint and the bank's,
// on one keep-alive connection (HTTPWire).

public import BackOffice
import HTTPWire

/// The back office at `http://HOST:PORT`.
public final class HTTPBackOffice: BackOfficeLink {
    public let location: String
    /// The centre's path (the national platform's).
    public var centrePath = "/fsi/api/rsfComIfsService/callService"
    let connection: HTTPConnection

    /// - Parameter url: `http://HOST:PORT` (an IPv4 address or `localhost`).
    /// - Throws: `.malformed` for a URL this client cannot use.
    public init(url: String, timeoutSeconds: Int = 30) throws(BackOfficeLinkError) {
        guard url.hasPrefix("http://") else {
            throw BackOfficeLinkError(.malformed, "--backoffice \(url): give http://HOST:PORT (https is not supported)")
        }
        var rest = url.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let port = Int(parts[1]), (1...65_535).contains(port) else {
            throw BackOfficeLinkError(.malformed, "--backoffice \(url): give http://HOST:PORT, e.g. http://127.0.0.1:8080")
        }
        let host = parts[0] == "localhost" ? "127.0.0.1" : String(parts[0])
        location = "http://\(host):\(port)"
        connection = HTTPConnection(host: host, port: port, timeout: timeoutSeconds)
    }

    deinit { connection.close() }

    func post(_ path: String, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8]) {
        do {
            let r = try connection.post(path, json: body)
            return (r.status, r.body)
        } catch {
            switch error.code {
            case .connect: throw BackOfficeLinkError(.unreachable, "the back office at \(location) is unreachable (\(error.message))")
            case .malformed: throw BackOfficeLinkError(.malformed, "the back office at \(location) answered what is not HTTP (\(error.message))")
            default: throw BackOfficeLinkError(.noAnswer, "the back office at \(location) did not answer (\(error.message))")
            }
        }
    }

    public func centre(_ body: [UInt8]) throws(BackOfficeLinkError) -> [UInt8] {
        let r = try post(centrePath, body)
        // The centre answers every request in its envelope (413 too).
        guard r.status == 200 || r.status == 413 else {
            throw BackOfficeLinkError(.malformed, "the back office at \(location) answered HTTP \(r.status) at \(centrePath)")
        }
        return r.body
    }

    public func bank(_ endpoint: BankEndpoint, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8]) {
        try post(endpoint.path, body)
    }

    public func counter(_ operation: CounterOperation, _ body: [UInt8]) throws(BackOfficeLinkError) -> (status: Int, body: [UInt8]) {
        try post(operation.path, body)
    }
}
