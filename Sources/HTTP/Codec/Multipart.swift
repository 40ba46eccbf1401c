/// `multipart/form-data` bodies (RFC 7578), as sent by `curl -F` and by httpx (the Python `openai` client).
public enum Multipart {
    /// The `boundary` parameter of a `multipart/form-data` Content-Type (quoted or not); nil otherwise.
    public static func boundary(contentType: String) -> String? {
        guard let (mediaType, parameters) = HeaderParameters.parse(contentType),
            ASCII.equalsIgnoringCase(mediaType, "multipart/form-data")
        else { return nil }
        for (key, value) in parameters where key == "boundary" {
            let length = value.utf8.count
            return length > 0 && length <= 200 ? value : nil
        }
        return nil
    }

    /// Splits `body` into its parts. The preamble and epilogue are ignored; a missing closing boundary,
    /// malformed part headers or a part without `Content-Disposition: form-data; name=...` throw 400.
    public static func parse(_ body: [UInt8], boundary: String) throws(HTTPParseError) -> [MultipartPart] {
        var reader = try MultipartReader(boundary: boundary)
        var parts: [MultipartPart] = []
        for event in try reader.feed(body) {
            switch event {
            case .part(let part): parts.append(part)
            case .data(let bytes): parts[parts.count - 1].body += bytes
            case .partEnd: break
            }
        }
        try reader.finish()
        return parts
    }

    static func part(headers: HTTPHeaders, body: [UInt8]) throws(HTTPParseError) -> MultipartPart {
        guard let disposition = headers["Content-Disposition"],
            let (kind, parameters) = HeaderParameters.parse(disposition),
            ASCII.equalsIgnoringCase(kind, "form-data")
        else { throw .badRequest("multipart part without Content-Disposition: form-data") }
        var name: String? = nil
        var filename: String? = nil
        var extendedFilename: String? = nil
        for (key, value) in parameters {
            switch key {
            case "name": name = name ?? value
            case "filename": filename = filename ?? value
            case "filename*": extendedFilename = extendedFilename ?? HeaderParameters.extendedValue(value)
            default: break
            }
        }
        guard let name else { throw .badRequest("multipart part without a name") }
        return MultipartPart(
            name: name, filename: extendedFilename ?? filename, contentType: headers["Content-Type"],
            headers: headers, body: body)
    }
}
