@testable import HTTP
import Testing

@Suite("URL decoding on its own (regressions found by fuzz/run url)")
struct URLDecodingTests {
    @Test("A raw NUL in a path is a 400, like an encoded one")
    func rawNULInPath() throws {
        for path in [Array("/v1/files/a\u{0}b".utf8), Array("/v1/files/a%00b".utf8), Array("/v\u{1D}1/files/file\u{0}%20x".utf8), Array("/v1/files/file-abc%20x/coA\u{0}\u{0}ntent".utf8)] {
            #expect(throws: HTTPParseError.self) { try URLDecoding.path(path, 0..<path.count) }
        }
        let fine = Array("/v1/files/a%20b".utf8)
        #expect(try URLDecoding.path(fine, 0..<fine.count) == "/v1/files/a b")
    }
}
