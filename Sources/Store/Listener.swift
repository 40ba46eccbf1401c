import CLibPQ
import Platform

/// LISTENs on its own connection (never a pooled one: LISTEN is per session).
///
/// After a lost connection it reconnects and LISTENs again on the next `wait`, returning `[]`
/// meanwhile. Notifications sent while it was disconnected are lost, so callers also poll
/// their tables on a timer (STYLE.md §7, River #301).
public final class Listener {
    private let url: String
    private let channels: [String]
    private var connection: Connection?
    private var lastAttempt = -Double.infinity

    /// Seconds between reconnection attempts while the server is unreachable.
    static let reconnectInterval = 0.5

    /// Connects and LISTENs at once if it can; otherwise on the first `wait`.
    public init(url: String, channels: [String]) {
        self.url = url
        self.channels = channels
        _ = connect()
    }

    /// PQsocket of the current connection, -1 when disconnected. It changes after a reconnect.
    public var fileDescriptor: Int32 {
        guard let connection, !connection.isBroken else { return -1 }
        return PQsocket(connection.handle)
    }

    /// Waits up to `timeout` seconds for notifications and returns those that arrived (at least
    /// one, or `[]` on timeout). Reconnects after a lost connection; never throws.
    /// A reconnect to an unreachable host may take up to `connect_timeout` (5 s) longer.
    public func wait(timeout: Double) -> [(channel: String, payload: String)] {
        let deadline = MonotonicClock.now + timeout
        while true {
            guard let connection = connect() else {
                let left = deadline - MonotonicClock.now
                if left <= 0 { return [] }
                sleep(seconds: min(left, lastAttempt + Self.reconnectInterval - MonotonicClock.now))
                continue
            }
            let received = drain(connection)
            if !received.isEmpty { return received }
            let left = deadline - MonotonicClock.now
            if left <= 0 { return [] }
            let events = Poll.wait(PQsocket(connection.handle), for: .readable, timeout: left)
            if events.isEmpty { return [] }
            if PQconsumeInput(connection.handle) == 0 || connection.isBroken {
                let received = drain(connection)  // what arrived before the connection went
                self.connection = nil
                if !received.isEmpty { return received }
            }
        }
    }

    /// The current connection, or a new one that is listening; nil if the server is unreachable
    /// (attempts are spaced by `reconnectInterval`).
    private func connect() -> Connection? {
        if let connection, !connection.isBroken { return connection }
        connection = nil
        let now = MonotonicClock.now
        guard now - lastAttempt >= Self.reconnectInterval else { return nil }
        lastAttempt = now
        do {
            let fresh = try Connection(url: url)
            if !channels.isEmpty {
                try fresh.executeScript(channels.map { "LISTEN \(Self.quoteIdentifier($0));" }.joined(separator: " "))
            }
            connection = fresh
            return fresh
        } catch {
            return nil
        }
    }

    private func drain(_ connection: Connection) -> [(channel: String, payload: String)] {
        var received: [(channel: String, payload: String)] = []
        while let notice = PQnotifies(connection.handle) {
            received.append((String(cString: notice.pointee.relname), String(cString: notice.pointee.extra)))
            PQfreemem(notice)
        }
        return received
    }

    /// `"name"`, with inner quotes doubled: the channel is matched case-sensitively, as
    /// `pg_notify(name, …)` does.
    static func quoteIdentifier(_ name: String) -> String {
        var quoted = "\""
        for c in name.unicodeScalars {
            if c == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(c) }
        }
        return quoted + "\""
    }
}
