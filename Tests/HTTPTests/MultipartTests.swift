import HTTP
import Testing

/// Captured byte for byte from `curl -F file=@train.jsonl -F purpose=fine-tune http://127.0.0.1:18777/v1/files`
/// (curl 7.88.1).
let curlUpload = [
    "POST /v1/files HTTP/1.1\r\n",
    "Host: 127.0.0.1:18777\r\n",
    "User-Agent: curl/7.88.1\r\n",
    "Accept: */*\r\n",
    "Content-Length: 384\r\n",
    "Content-Type: multipart/form-data; boundary=------------------------a296d5b358360d20\r\n",
    "\r\n",
    "--------------------------a296d5b358360d20\r\n",
    "Content-Disposition: form-data; name=\"file\"; filename=\"train.jsonl\"\r\n",
    "Content-Type: application/octet-stream\r\n",
    "\r\n",
    "{\"prompt\": \"a \\\"q\\\"\", \"completion\": \"b\"}\n",
    "{\"prompt\": \"c\", \"completion\": \"d\"}\n",
    "\r\n",
    "--------------------------a296d5b358360d20\r\n",
    "Content-Disposition: form-data; name=\"purpose\"\r\n",
    "\r\n",
    "fine-tune\r\n",
    "--------------------------a296d5b358360d20--\r\n",
].joined()

@Suite struct MultipartTests {
    @Test func curlUploadThroughTheParser() throws {
        let request = try #require(parse(curlUpload, pieceSize: 50).requests.first)
        let contentType = try #require(request.headers["Content-Type"])
        let boundary = try #require(Multipart.boundary(contentType: contentType))
        #expect(boundary == "------------------------a296d5b358360d20")
        let parts = try Multipart.parse(request.body, boundary: boundary)
        #expect(parts.map(\.name) == ["file", "purpose"])
        #expect(parts[0].filename == "train.jsonl")
        #expect(parts[0].contentType == "application/octet-stream")
        #expect(String(decoding: parts[0].body, as: UTF8.self)
            == "{\"prompt\": \"a \\\"q\\\"\", \"completion\": \"b\"}\n{\"prompt\": \"c\", \"completion\": \"d\"}\n")
        #expect(parts[1].filename == nil)
        #expect(parts[1].contentType == nil)
        #expect(parts[1].body == bytes("fine-tune"))
    }

    /// The shape httpx (the Python `openai` client) sends: a hex boundary, the file part first.
    @Test func httpxShapedBody() throws {
        let boundary = "9f3c1e0b8a7d4f6e2c5b1a0d9e8f7c6b"
        let body = [
            "--\(boundary)\r\n",
            "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n",
            "fine-tune\r\n",
            "--\(boundary)\r\n",
            "Content-Disposition: form-data; name=\"file\"; filename=\"data.jsonl\"\r\n",
            "Content-Type: application/jsonl\r\n\r\n",
            "{}\r\n{}\r\n",  // CRLF inside the content is content
            "\r\n--\(boundary)--\r\n",
        ].joined()
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=\(boundary)") == boundary)
        let parts = try Multipart.parse(bytes(body), boundary: boundary)
        #expect(parts.map(\.name) == ["purpose", "file"])
        #expect(parts[1].body == bytes("{}\r\n{}\r\n"))
        #expect(parts[1].contentType == "application/jsonl")
        #expect(parts[1].headers["content-disposition"]?.hasPrefix("form-data") == true)
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("multipart/form-data; boundary=\"a b;c\"", "a b;c"),
        ("Multipart/Form-Data ; charset=utf-8; Boundary=xyz ", "xyz"),
        ("multipart/form-data;boundary=\"q\\\"x\"", "q\"x"),
    ])
    func boundaryFromContentType(contentType: String, boundary: String) {
        #expect(Multipart.boundary(contentType: contentType) == boundary)
    }

    @Test(arguments: ["application/json", "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=a",
                      "multipart/form-data; boundary=\"unterminated"])
    func noBoundary(contentType: String) {
        #expect(Multipart.boundary(contentType: contentType) == nil)
    }

    @Test func filenames() throws {
        let body = [
            "--b\r\n",
            "Content-Disposition: form-data; name=\"f1\"; filename=\"say \\\"hi\\\".txt\"\r\n\r\n",
            "1\r\n--b\r\n",
            "Content-Disposition: form-data; name=\"f2\"; filename=\"fallback.txt\"; filename*=UTF-8''%C3%A9t%C3%A9%20v2.txt\r\n\r\n",
            "2\r\n--b\r\n",
            "content-disposition: FORM-DATA; name=plain; filename=bare.txt\r\n\r\n",
            "3\r\n--b--",
        ].joined()
        let parts = try Multipart.parse(bytes(body), boundary: "b")
        #expect(parts.map(\.filename) == ["say \"hi\".txt", "été v2.txt", "bare.txt"])
        #expect(parts.map(\.name) == ["f1", "f2", "plain"])
        #expect(parts.map(\.body) == [bytes("1"), bytes("2"), bytes("3")])
    }

    @Test func preambleEpilogueAndEmptyParts() throws {
        let body = "preamble text\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--b  \r\n"
            + "Content-Disposition: form-data; name=\"c\"\r\n\r\n--bogus\r\n--b--\r\nepilogue --b\r\n"
        let parts = try Multipart.parse(bytes(body), boundary: "b")
        #expect(parts.map(\.name) == ["a", "c"])
        #expect(parts[0].body.isEmpty)
        #expect(parts[1].body == bytes("--bogus"))  // "--bogus" is not the delimiter "--b" + CRLF
    }

    @Test func onlyCloseDelimiterIsAnEmptyForm() throws {
        #expect(try Multipart.parse(bytes("--b--\r\n"), boundary: "b").isEmpty)
    }

    @Test(arguments: [
        "",
        "no boundary here",
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbody without end",
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbody\r\n--b",
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nbody\r\n--bx\r\n",
        "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--",
        "--b\r\nBad Header: 1\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n",
    ])
    func malformed(body: String) {
        do {
            let parts = try Multipart.parse(bytes(body), boundary: "b")
            Issue.record("parsed \(parts.count) parts")
        } catch {
            #expect(error.status == .badRequest)
            #expect(!error.reason.isEmpty)
        }
    }

    @Test func largeBinaryBody() throws {
        var content = [UInt8]()
        for i in 0..<300_000 { content.append(UInt8(truncatingIfNeeded: i &* 31)) }
        content.append(contentsOf: bytes("\r\n--boundar"))  // a near-miss of the delimiter
        let body = bytes("--boundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"w.bin\"\r\n\r\n")
            + content + bytes("\r\n--boundary--\r\n")
        let parts = try Multipart.parse(body, boundary: "boundary")
        #expect(parts.count == 1)
        #expect(parts[0].body == content)
    }
}

/// `MultipartReader` fed in pieces gives what `Multipart.parse` gives for the whole body.
@Suite struct MultipartReaderTests {
    static let boundary = "XyZ-42"
    static let body = bytes("preamble\r\n--XyZ-42\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--XyZ-42  \r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n")
        + (0..<3000).map { UInt8($0 % 256) } + bytes("\r\n--XyZ-4 not yet\r\n--XyZ-42--\r\nepilogue")

    static func read(_ body: [UInt8], pieces: Int) throws -> [(String, String?, [UInt8])] {
        var reader = try MultipartReader(boundary: boundary)
        var parts: [(String, String?, [UInt8])] = []
        var open = false
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + pieces)
            for event in try reader.feed(body[offset..<end]) {
                switch event {
                case .part(let part): parts.append((part.name, part.filename, [])); open = true
                case .data(let data): #expect(open); parts[parts.count - 1].2 += data
                case .partEnd: open = false
                }
            }
            offset = end
        }
        try reader.finish()
        return parts
    }

    @Test(arguments: [1, 2, 3, 9, 10, 11, 64, 1000, 1 << 20])
    func piecesOfAnySize(size: Int) throws {
        let whole = try Multipart.parse(Self.body, boundary: Self.boundary)
        #expect(whole.map(\.name) == ["purpose", "file"])
        #expect(whole[1].body.count == 3000 + bytes("\r\n--XyZ-4 not yet").count)
        let read = try Self.read(Self.body, pieces: size)
        #expect(read.map(\.0) == whole.map(\.name) && read.map(\.1) == whole.map(\.filename) && read.map(\.2) == whole.map(\.body))
    }

    @Test func bodyOpeningWithTheDelimiterInPieces() throws {
        let body = bytes("--XyZ-42\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ-42--")
        for size in 1...body.count { #expect(try Self.read(body, pieces: size).map(\.2) == [bytes("1")]) }
    }

    @Test func errorsAtTheEnd() throws {
        #expect(throws: HTTPParseError.self) { try Self.read(bytes("--XyZ-42\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"), pieces: 4) }
        #expect(throws: HTTPParseError.self) { try Self.read(bytes("no boundary at all"), pieces: 4) }
        #expect(throws: HTTPParseError.self) { try Self.read(bytes("--XyZ-42\r\nContent-Disposition: form-data; name=\"a\"\r\n"), pieces: 4) }
        // A header block that never ends is cut at 16 KiB, not held.
        let endless = bytes("--XyZ-42\r\nX: ") + [UInt8](repeating: 65, count: 20_000)
        #expect(throws: HTTPParseError.self) { try Self.read(endless, pieces: 4096) }
    }
}
