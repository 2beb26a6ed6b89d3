// SSCard — KioskWeb
//
// The kiosk engine behind a lock, for the web face: requests (an entry, a
// simulated insertion) and the reader's events come from several tasks;
// each goes through the engine in turn, and every new screen is pushed to
// every page that listens (server-sent events). The idle timeout runs here.

import BackOffice
import Dispatch
public import Kiosk
public import NIOCore
import Synchronization

/// The engine and the pages that show it.
public final class KioskHub: Sendable {
    struct State: ~Copyable {
        var engine: KioskEngine
        var listeners: [Int: AsyncStream<ByteBuffer>.Continuation] = [:]
        var nextListener = 0
        /// When the screen last changed (for the idle timeout), in uptime nanoseconds.
        var changed: UInt64 = DispatchTime.now().uptimeNanoseconds
    }

    // The engine is a class that the lock alone reaches.
    let state: Mutex<State>
    public let idleSeconds: Double
    /// Whether the card is virtual (insertion and removal are the page's buttons).
    public let simulatedCard: Bool

    public init(engine: sending KioskEngine, simulatedCard: Bool) {
        idleSeconds = engine.configuration.idleSeconds
        self.simulatedCard = simulatedCard
        state = Mutex(State(engine: engine))
    }

    /// The screen now, as JSON.
    public var screen: String {
        state.withLock { s in Self.payload(s.engine.screen, simulated: simulatedCard) }
    }

    static func payload(_ screen: KioskScreen, simulated: Bool) -> String {
        guard case .object(var members) = screen.json else { return "{}" }
        members.append(("simulated_card", .bool(simulated)))
        return JSON.object(members).serialized
    }

    /// An event through the engine; the new screen pushed to every page.
    @discardableResult
    public func handle(_ event: KioskEvent) -> String {
        state.withLock { s in
            let before = s.engine.screen
            let screen = s.engine.handle(event)
            if screen != before || event == .timeout { s.changed = DispatchTime.now().uptimeNanoseconds }
            let text = Self.payload(screen, simulated: simulatedCard)
            var event = ByteBuffer()
            event.writeString("data: " + text + "\n\n")
            for c in s.listeners.values { c.yield(event) }
            return text
        }
    }

    /// A page's stream of screens, the current one first.
    public func listen() -> AsyncStream<ByteBuffer> {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = state.withLock { s in
            let id = s.nextListener
            s.nextListener += 1
            s.listeners[id] = continuation
            var first = ByteBuffer()
            first.writeString("data: " + Self.payload(s.engine.screen, simulated: simulatedCard) + "\n\n")
            continuation.yield(first)
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }

    /// Called often: the idle timeout of a screen that waits for an entry.
    public func tick() {
        let due = state.withLock { s in
            s.engine.awaitsEntry && DispatchTime.now().uptimeNanoseconds - s.changed >= UInt64(idleSeconds * 1e9)
        }
        if due { handle(.timeout) }
    }

    /// Ends every page's stream (at shutdown).
    public func close() {
        state.withLock { s in
            for c in s.listeners.values { c.finish() }
            s.listeners = [:]
        }
    }
}
