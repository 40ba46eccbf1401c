// `value; key=token; key="quoted \" string"` as in Content-Type and Content-Disposition (RFC 9110 5.6.6).

enum HeaderParameters {
    /// The leading value (e.g. the media type) and the parameters, keys lowercased, values unquoted.
    /// Returns nil on an unterminated quoted string.
    static func parse(_ text: String) -> (value: String, parameters: [(String, String)])? {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count && bytes[i] != ASCII.semicolon { i += 1 }
        let value = String(decoding: bytes[ASCII.trim(bytes, 0..<i)], as: UTF8.self)
        var parameters: [(String, String)] = []
        while i < bytes.count {
            i += 1  // past ';'
            let keyStart = i
            while i < bytes.count && bytes[i] != ASCII.equals && bytes[i] != ASCII.semicolon { i += 1 }
            let keyRange = ASCII.trim(bytes, keyStart..<i)
            let key = String(decoding: bytes[keyRange].map(ASCII.lowercased), as: UTF8.self)
            guard i < bytes.count, bytes[i] == ASCII.equals else {
                if !keyRange.isEmpty { parameters.append((key, "")) }
                continue
            }
            i += 1
            while i < bytes.count && ASCII.isWhitespace(bytes[i]) { i += 1 }
            var parameter: [UInt8] = []
            if i < bytes.count && bytes[i] == ASCII.quote {
                i += 1
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    if b == ASCII.quote {
                        closed = true
                        i += 1
                        break
                    }
                    if b == ASCII.backslash && i + 1 < bytes.count { i += 1 }
                    parameter.append(bytes[i])
                    i += 1
                }
                guard closed else { return nil }
                while i < bytes.count && bytes[i] != ASCII.semicolon { i += 1 }
            } else {
                let valueStart = i
                while i < bytes.count && bytes[i] != ASCII.semicolon { i += 1 }
                parameter = Array(bytes[ASCII.trim(bytes, valueStart..<i)])
            }
            parameters.append((key, String(decoding: parameter, as: UTF8.self)))
        }
        return (value, parameters)
    }

    /// An RFC 8187 extended value `UTF-8'lang'percent-encoded`; nil for other charsets or a bad shape.
    static func extendedValue(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard let first = bytes.firstIndex(of: 0x27),
            let second = bytes[(first + 1)...].firstIndex(of: 0x27),
            ASCII.equalsIgnoringCase(String(decoding: bytes[..<first], as: UTF8.self), "utf-8")
        else { return nil }
        return String(validating: URLDecoding.percent(bytes, second + 1..<bytes.count), as: UTF8.self)
    }
}
