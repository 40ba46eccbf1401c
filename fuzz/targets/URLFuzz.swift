// libFuzzer target: decoding of the request-target (URLDecoding: the path strictly, the query as
// application/x-www-form-urlencoded), built by fuzz/run with the HTTP codec.
//
// Invariants (a violation traps, which libFuzzer reports as a crash):
// - a path decodes or fails with 400; a decoded path has no NUL and is valid UTF-8;
// - percent-encoding a decoded path, or a decoded query name and value, and decoding again gives it back;
// - the query never has more pairs than `&`-separated pieces.

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

func encode(_ text: String, plusForSpace: Bool) -> [UInt8] {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
        if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "/") {
            out.append(byte)
        } else if plusForSpace && byte == 0x20 {
            out.append(UInt8(ascii: "+"))
        } else {
            out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzURL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let path = try URLDecoding.path(bytes, 0..<bytes.count)
        invariant(!path.utf8.contains(0), "NUL in a decoded path")
        let again = try URLDecoding.path(encode(path, plusForSpace: false), 0..<encode(path, plusForSpace: false).count)
        invariant(again == path, "path round trip: \(path.debugDescription) -> \(again.debugDescription)")
    } catch {
        invariant(error.status.code == 400, "path status \(error.status.code)")
    }
    let query = URLDecoding.query(bytes, 0..<bytes.count)
    invariant(query.count <= bytes.filter { $0 == UInt8(ascii: "&") }.count + 1, "more pairs than pieces")
    for (name, value) in query {
        for text in [name, value] {
            let encoded = encode(text, plusForSpace: true)
            let decoded = URLDecoding.form(encoded, 0..<encoded.count)
            invariant(decoded == text, "form round trip: \(text.debugDescription) -> \(decoded.debugDescription)")
        }
    }
    _ = URLDecoding.percent(bytes, 0..<bytes.count)
    return 0
}
