// libFuzzer target: multipart/form-data bodies (Multipart.parse), built by fuzz/run with the HTTP codec.
//
// Input: the first byte's low 6 bits give the boundary's length (1-64 bytes taken from the input),
// the rest is the body. Invariants (a violation traps, which libFuzzer reports as a crash):
// - a body parses or fails with 400, never anything else;
// - every part's body is no larger than the whole body;
// - the parts written out again with the same boundary parse to the same names, filenames and bodies;
// - MultipartReader fed the body in pieces (as an upload streams; sizes from the body's length and last byte)
//   gives the same parts, or fails too.

func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

func write(_ parts: [MultipartPart], boundary: String) -> [UInt8] {
    var out: [UInt8] = []
    for part in parts {
        out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8)
        if let filename = part.filename { out += Array("; filename=\"\(filename)\"".utf8) }
        out += Array("\r\n\r\n".utf8) + part.body + Array("\r\n".utf8)
    }
    return out + Array("--\(boundary)--\r\n".utf8)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 1 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let length = min(Int(input[0] & 63) + 1, input.count - 1)
    let boundary = String(decoding: input[1..<(1 + length)], as: UTF8.self)
    let body = Array(input[(1 + length)...])
    let parts: [MultipartPart]
    do {
        parts = try Multipart.parse(body, boundary: boundary)
    } catch {
        invariant(error.status.code == 400, "status \(error.status.code)")
        invariant(inPieces(body, boundary: boundary) == nil, "the reader in pieces accepts what parse refuses")
        return 0
    }
    let pieces = inPieces(body, boundary: boundary)
    invariant(pieces?.count == parts.count, "in pieces: \(pieces?.count ?? -1) parts, not \(parts.count)")
    for (a, b) in zip(parts, pieces ?? []) {
        invariant(a.name == b.name && a.filename == b.filename && a.body == b.body, "in pieces: part \(a.name.debugDescription) differs")
    }
    for part in parts { invariant(part.body.count <= body.count, "a part larger than the body") }
    // Round trip, when the names and filenames can be written back in quotes on one line.
    let writable = boundary.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") }
        && parts.allSatisfy { part in
            ([part.name] + (part.filename.map { [$0] } ?? [])).allSatisfy { $0.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "%") } }
        }
        && parts.allSatisfy { !contains($0.body, Array("--\(boundary)".utf8)) }
    guard writable else { return 0 }
    let again: [MultipartPart]
    do { again = try Multipart.parse(write(parts, boundary: boundary), boundary: boundary) } catch {
        fatalError("invariant broken: the parts written back do not parse: \(error)")
    }
    invariant(again.count == parts.count, "round trip: \(again.count) parts, not \(parts.count)")
    for (a, b) in zip(parts, again) {
        invariant(a.name == b.name && a.filename == b.filename && a.body == b.body, "round trip changed part \(a.name.debugDescription)")
    }
    return 0
}

/// The parts as MultipartReader gives them when fed `body` in pieces; nil when it fails.
func inPieces(_ body: [UInt8], boundary: String) -> [MultipartPart]? {
    guard var reader = try? MultipartReader(boundary: boundary) else { return nil }
    var parts: [MultipartPart] = []
    // At least two pieces, of a size the body's length and last byte pick (1 up to half the body).
    let piece = 1 + (body.count ^ Int(body.last ?? 0)) % max(1, (body.count + 1) / 2)
    var offset = 0
    do {
        while offset < body.count {
            for event in try reader.feed(body[offset..<min(body.count, offset + piece)]) {
                switch event {
                case .part(let part): parts.append(part)
                case .data(let bytes): parts[parts.count - 1].body += bytes
                case .partEnd: break
                }
            }
            offset += piece
        }
        try reader.finish()
    } catch {
        return nil
    }
    return parts
}

func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}
