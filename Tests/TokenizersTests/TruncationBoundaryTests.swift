import JSON
import Testing
import Tokenizers

/// Truncation at the boundary against transformers (Fixtures/truncation.json, made by
/// scripts/fixtures/truncation.py): texts of max-1, max, max+1 and max+2 tokens, alone and as
/// pairs under each strategy, at max_length 32, 128 and 512 — the cut training, evaluation and
/// /predict make (each sets `Truncation(maxLength:)` on the model's tokenizer).
@Suite("Truncation at max-1, max, max+1, max+2 tokens, as transformers cuts")
struct TruncationBoundaryTests {
    @Test func boundaryCasesMatchTransformers() throws {
        let fixture = try TestFiles.json("Tests/TokenizersTests/Fixtures/truncation.json")
        let base = try Tokenizer(json: try TestFiles.read("models/all-MiniLM-L6-v2/tokenizer.json"))
        let cases = try #require(fixture["cases"]?.array)
        var seen = Set<String>(), failures: [String] = []
        for (index, item) in cases.enumerated() {
            let maxLength = try #require(item["max_length"]?.int), full = try #require(item["full_length"]?.int)
            let text = try #require(item["text"]?.string), pair = item["pair"]?.string
            let strategy: Truncation.Strategy = switch item["strategy"]?.string {
            case "only_first": .onlyFirst
            case "only_second": .onlySecond
            default: .longestFirst
            }
            var tokenizer = base
            tokenizer.padding = nil
            tokenizer.truncation = nil
            #expect(tokenizer.encode(text, pair: pair).ids.count == full, "case \(index): the untruncated length")
            tokenizer.truncation = Truncation(maxLength: maxLength, strategy: strategy)
            let encoding = tokenizer.encode(text, pair: pair)
            let wantIDs = try #require(item["ids"]?.array).map { $0.int! }
            let wantTypes = try #require(item["type_ids"]?.array).map { $0.int! }
            if encoding.ids != wantIDs || encoding.typeIDs != wantTypes {
                failures.append("case \(index) (max \(maxLength), \(full) tokens, \(strategy), pair \(pair != nil)): "
                    + "got \(encoding.ids.count) ids ending \(encoding.ids.suffix(4)), want \(wantIDs.count) ending \(wantIDs.suffix(4))")
            }
            seen.insert("\(maxLength) \(full - maxLength) \(pair != nil)")
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // Every boundary is covered, alone and as a pair.
        for maxLength in [32, 128, 512] {
            for offset in -1...2 {
                #expect(seen.contains("\(maxLength) \(offset) false") && seen.contains("\(maxLength) \(offset) true"))
            }
        }
    }
}
