import Platform

extension ServerLoop {
    // MARK: - Timeouts

    func sweep(_ now: Double) {
        lastSweep = now
        dateHeader = WallClock.httpDate()
        let configuration = server.configuration
        for connection in Array(byDescriptor.values) {
            let silent = now - connection.lastActivity
            if let until = connection.lingerUntil {
                if now >= until { close(connection) }
            } else if connection.hasPendingOutput {
                // The client stopped reading what we owe it.
                if silent > configuration.readTimeout { close(connection) }
            } else if connection.busy || connection.closeAfterWrite {
                continue
            } else if connection.parser.isMidRequest {
                let total = now - (connection.requestStarted ?? now)
                let slowHead = connection.parser.isReadingHead && total > configuration.headTimeout
                if silent > configuration.readTimeout || total > configuration.requestTimeout || slowHead {
                    respondAndClose(connection, HTTPError(.requestTimeout, "The request was not received in time"), now)
                    write(connection)
                }
            } else if silent > configuration.idleTimeout {
                connection.queue(HTTPError(.requestTimeout, "Idle connection closed").response(requestID: "").encoded(keepAlive: false))
                connection.closeAfterWrite = true
                write(connection)
            }
        }
    }

    func nextRequestID() -> String {
        nextRequestNumber += 1
        return "\(idPrefix)-\(String(nextRequestNumber, radix: 16))"
    }

    func validRequestID(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128,
              value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return value
    }
}
