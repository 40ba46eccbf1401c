import HTTP

/// The dashboard: `web/`'s files, embedded in the binary by `scripts/embed-web`, served without
/// a key (the page asks for one and sends it with each API call). Nothing is loaded from
/// elsewhere, and the Content-Security-Policy says so.
struct WebRoutes {
    static let policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    func add(to routes: inout RouteTable) {
        let options = RouteOptions(inline: true, bodyLimit: 0, authenticated: false, logAtDebug: true)
        for (path, file) in embeddedWeb {
            let response = Self.response(file)
            routes.add("GET", path == "/index.html" ? "/" : path, options) { _, _ in response }
        }
    }

    static func response(_ file: (contentType: String, text: String)) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.set("Content-Type", file.contentType)
        headers.set("Content-Security-Policy", policy)
        headers.set("X-Content-Type-Options", "nosniff")
        headers.set("Referrer-Policy", "no-referrer")
        headers.set("Cache-Control", "no-cache")
        return HTTPResponse(headers: headers, body: Array(file.text.utf8))
    }
}
