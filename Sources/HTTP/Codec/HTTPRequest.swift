/// A complete request: its head and its (de-chunked) body.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]

    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    public var method: String { head.method }
    public var target: String { head.target }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
    public var keepAlive: Bool { head.keepAlive }

    public func queryValue(_ name: String) -> String? { head.queryValue(name) }
}
