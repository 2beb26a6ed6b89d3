// SSCard — KioskWeb
//
// The web kiosk over HTTP (Hummingbird): the page at `/`, the screens as
// server-sent events at `/events`, and the keys: `POST /entry {"entry"}`,
// `POST /cancel`, and for a virtual card `POST /card {"action": "insert" |
// "remove"}`. Request bodies are small JSON objects; a PIN in one is handed
// to the engine and never logged.

import BackOffice
import Hummingbird
import Kiosk
import Logging
import NIOCore

public enum KioskWebServer {
    /// Serves until SIGTERM or SIGINT.
    /// - Parameter listening: told the bound host and port (0 picks a free one).
    public static func run(host: String, port: Int, hub: KioskHub, listening: @escaping @Sendable (String, Int) -> Void) async throws {
        let router = Router()
        let json: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        @Sendable func answer(_ status: HTTPResponse.Status, _ text: String) -> Response {
            Response(status: status, headers: json, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        @Sendable func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
            answer(status, JSON.object([("error", .string("badInput")), ("message", .string(message))]).serialized)
        }
        /// The request's JSON object (at most 4 KiB).
        @Sendable func body(_ request: Request) async -> JSON? {
            var request = request
            guard let b = try? await request.collectBody(upTo: 4096) else { return nil }
            return try? JSON.parse(Array(buffer: b))
        }
        router.get("/") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: KioskPage.html)))
        }
        router.get("/screen") { _, _ -> Response in answer(.ok, hub.screen) }
        router.get("/events") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: .init(asyncSequence: hub.listen()))
        }
        router.post("/entry") { request, _ -> Response in
            guard let b = await body(request), case .string(let text)? = b["entry"], text.count <= 64 else {
                return refusal(.badRequest, "(request): give {\"entry\": \"…\"}, at most 64 characters")
            }
            return answer(.ok, hub.handle(.entry(text)))
        }
        router.post("/cancel") { _, _ -> Response in answer(.ok, hub.handle(.cancel)) }
        router.post("/card") { request, _ -> Response in
            guard hub.simulatedCard else { return refusal(.conflict, "the card is in a PC/SC reader: it comes and goes by itself") }
            guard let b = await body(request), case .string(let action)? = b["action"], action == "insert" || action == "remove" else {
                return refusal(.badRequest, "(request): give {\"action\": \"insert\"} or {\"action\": \"remove\"}")
            }
            return answer(.ok, hub.handle(action == "insert" ? .inserted : .removed))
        }
        router.get("/health") { _, _ -> Response in answer(.ok, #"{"status":"ok"}"#) }
        var logger = Logger(label: "sscard.kiosk")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sscard-kiosk"),
            onServerRunning: { channel in listening(host, channel.localAddress?.port ?? port) }, logger: logger)
        // The idle timeout, four times a second.
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 250_000_000)
                hub.tick()
            }
        }
        defer {
            ticker.cancel()
            hub.close()
        }
        try await app.runService()
    }
}
