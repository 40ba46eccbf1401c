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
        guard !boundary.isEmpty else { throw .badRequest("empty multipart boundary") }
        let dashBoundary = [ASCII.hyphen, ASCII.hyphen] + Array(boundary.utf8)
        let delimiter = [ASCII.cr, ASCII.lf] + dashBoundary
        let search = ByteSearch(delimiter)

        // The first delimiter may open the body, without the CRLF that otherwise precedes it.
        var position: Int
        if body.starts(with: dashBoundary), let after = afterDelimiter(body, dashBoundary.count) {
            position = after
        } else if let (_, after) = findDelimiter(body, from: 0, search) {
            position = after
        } else {
            throw .badRequest("multipart body without its boundary")
        }

        var parts: [MultipartPart] = []
        while true {
            if position + 1 < body.count && body[position] == ASCII.hyphen && body[position + 1] == ASCII.hyphen {
                return parts  // close delimiter; the epilogue is ignored
            }
            // afterDelimiter guaranteed transport padding then CRLF here.
            while body[position] != ASCII.lf { position += 1 }
            position += 1
            var headers = HTTPHeaders()
            while true {
                guard let lf = body[position...].firstIndex(of: ASCII.lf) else {
                    throw .badRequest("unterminated multipart part headers")
                }
                let contentEnd = lf > position && body[lf - 1] == ASCII.cr ? lf - 1 : lf
                let content = position..<contentEnd
                position = lf + 1
                if content.isEmpty { break }
                let (name, value) = try RequestParser.field(body, content)
                headers.add(String(decoding: body[name], as: UTF8.self), String(decoding: body[value], as: UTF8.self))
            }
            guard let (end, after) = findDelimiter(body, from: position, search) else {
                throw .badRequest("multipart body without its closing boundary")
            }
            parts.append(try part(headers: headers, body: Array(body[position..<end])))
            position = after
        }
    }

    /// Where the delimiter starting just before `index` is really one: followed by `--`, or by optional
    /// transport padding and CRLF. Returns the index after `--boundary`, or nil.
    static func afterDelimiter(_ body: [UInt8], _ index: Int) -> Int? {
        var i = index
        if i + 1 < body.count && body[i] == ASCII.hyphen && body[i + 1] == ASCII.hyphen { return index }
        while i < body.count && ASCII.isWhitespace(body[i]) { i += 1 }
        guard i + 1 < body.count, body[i] == ASCII.cr, body[i + 1] == ASCII.lf else { return nil }
        return index
    }

    /// The next real delimiter at or after `from`: where it starts and where it ends.
    static func findDelimiter(_ body: [UInt8], from: Int, _ search: ByteSearch) -> (Int, Int)? {
        var from = max(from, 0)
        while let start = search.firstIndex(in: body, from: from) {
            if let after = afterDelimiter(body, start + search.needle.count) { return (start, after) }
            from = start + 1
        }
        return nil
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
