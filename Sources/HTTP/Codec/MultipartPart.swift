/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable {
    /// The `name` parameter of `Content-Disposition: form-data`.
    public var name: String
    /// The `filename*` (RFC 5987, preferred) or `filename` parameter, when present.
    public var filename: String?
    /// The part's `Content-Type`, when present.
    public var contentType: String?
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(name: String, filename: String? = nil, contentType: String? = nil, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}
