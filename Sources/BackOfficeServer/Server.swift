// SSCard — BackOfficeServer
//
// `sscard backoffice serve`: the insurance centre's one POST endpoint (the
// transaction chosen by `infno`, at the paths the platform's clients use)
// and the bank's authorization endpoint, over HTTP/1.1 with Hummingbird.
// Bodies over the limit are refused before they are read.

import BackOffice
public import BackOfficeStore
import Hummingbird
import Logging
import NIOCore

public enum BackOfficeServer {
    /// The paths of the centre's endpoint (settlement.md §1.1).
    public static let centrePaths = ["/fsi/api/rsfComIfsService/callService", "/mbs/fmi/fsi/api/callFsiService/callService"]
    /// The bank's authorization endpoint.
    public static let bankPath = BankEndpoint.authorize.path

    /// Serves until SIGTERM or SIGINT.
    /// - Parameters:
    ///   - port: 0 for any free port; `listening` is told the bound one.
    ///   - idleSeconds: a connection that sends nothing (a request's head or
    ///     body left half-sent, a keep-alive with no next request) for this long
    ///     is closed, so that slow or stalled clients cannot hold connections.
    public static func run(
        host: String, port: Int, centre: InsuranceCentre, bank: StoredBank, idleSeconds: Int = 30,
        listening: @escaping @Sendable (String, Int) -> Void
    ) async throws {
        let router = Router()
        let json: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        for path in centrePaths {
            router.post(RouterPath(path)) { request, _ -> Response in
                if let length = request.headers[.contentLength].flatMap(Int.init), length > InsuranceCentre.maximumBody {
                    return Response(status: .contentTooLarge, headers: json, body: .init(byteBuffer: ByteBuffer(bytes: centre.oversizedAnswer(length))))
                }
                var request = request
                let body: ByteBuffer
                do {
                    body = try await request.collectBody(upTo: InsuranceCentre.maximumBody)
                } catch {
                    return Response(status: .contentTooLarge, headers: json, body: .init(byteBuffer: ByteBuffer(bytes: centre.oversizedAnswer(nil))))
                }
                // The async form: the write waits for the database's writer without holding a thread.
                let answer = await centre.respond(to: Array(buffer: body))
                return Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
            }
        }
        for endpoint in [BankEndpoint.authorize, .refund] {
            router.post(RouterPath(endpoint.path)) { request, _ -> Response in
                var request = request
                guard let body = try? await request.collectBody(upTo: 65_536) else {
                    return Response(status: .contentTooLarge, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"badInput","message":"(request): over 65536 bytes"}"#)))
                }
                let bytes = Array(buffer: body)
                // Synchronous: the key cache's lock, then one short write transaction.
                let (status, answer) = endpoint == .authorize ? bank.respond(to: bytes) : bank.respondRefund(to: bytes)
                return Response(status: .init(code: status), headers: json, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
            }
        }
        let counter = Counter(pool: centre.pool, clock: centre.clock)
        for operation in CounterOperation.all {
            router.post(RouterPath(operation.path)) { request, _ -> Response in
                var request = request
                guard let body = try? await request.collectBody(upTo: 65_536) else {
                    return Response(status: .contentTooLarge, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"error":"badInput","message":"(request): over 65536 bytes"}"#)))
                }
                let (status, answer) = counter.respond(operation, to: Array(buffer: body))
                return Response(status: .init(code: status), headers: json, body: .init(byteBuffer: ByteBuffer(bytes: answer)))
            }
        }
        router.get("/health") { _, _ -> Response in
            Response(status: .ok, headers: json, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        var logger = Logger(label: "sscard.backoffice")
        logger.logLevel = .warning
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(Int64(idleSeconds)))),
            configuration: .init(address: .hostname(host, port: port), serverName: "sscard-backoffice"),
            onServerRunning: { channel in listening(host, channel.localAddress?.port ?? port) }, logger: logger)
        try await app.runService()
    }
}
