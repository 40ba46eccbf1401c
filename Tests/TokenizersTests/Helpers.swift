import Tokenizers

func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }
func string(_ s: [UInt32]) -> String {
    var view = String.UnicodeScalarView()
    for c in s { view.append(Unicode.Scalar(c)!) }
    return String(view)
}
func pieces(_ p: some PreTokenizer, _ text: String) -> [String] { p.split(scalars(text)).map(string) }
func tokenizer(_ json: String) throws -> Tokenizer { try Tokenizer(json: Array(json.utf8)) }
