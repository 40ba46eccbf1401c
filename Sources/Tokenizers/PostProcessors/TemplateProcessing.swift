/// `TemplateProcessing`: a template of special tokens and the sequences `$A`, `$B`, each with
/// its type id. BertProcessing and RobertaProcessing are fixed templates of it.
public struct TemplateProcessing: PostProcessor {
    public enum Piece: Sendable, Equatable {
        case special(ids: [Int], typeID: Int)
        case sequence(second: Bool, typeID: Int)
    }

    public let single: [Piece]
    public let pair: [Piece]

    public init(single: [Piece], pair: [Piece]) {
        self.single = single
        self.pair = pair
    }

    init(cls: Int, sep: Int, roberta: Bool) {
        single = [.special(ids: [cls], typeID: 0), .sequence(second: false, typeID: 0), .special(ids: [sep], typeID: 0)]
        if roberta {
            pair = single + [.special(ids: [sep], typeID: 0), .sequence(second: true, typeID: 0), .special(ids: [sep], typeID: 0)]
        } else {
            pair = single + [.sequence(second: true, typeID: 1), .special(ids: [sep], typeID: 1)]
        }
    }

    init(_ node: JSONNode) throws(TokenizerError) {
        var specials: [String: [Int]] = [:]
        if let map = try node.optional("special_tokens") {
            for (name, entry) in try map.object() {
                specials[name] = try entry.required("ids").array().map { (n: JSONNode) throws(TokenizerError) -> Int in try n.int() }
            }
        }
        single = try Self.template(try node.required("single"), specials)
        pair = try Self.template(try node.required("pair"), specials)
    }

    private static func template(_ node: JSONNode, _ specials: [String: [Int]]) throws(TokenizerError) -> [Piece] {
        var pieces: [Piece] = []
        for item in try node.array() {
            if let special = try item.optional("SpecialToken") {
                let name = try special.string("id")
                guard let ids = specials[name] else {
                    throw .malformed(path: special.child("id"), reason: "\"\(name)\" is not in special_tokens")
                }
                pieces.append(.special(ids: ids, typeID: try special.int("type_id", default: 0)))
            } else if let sequence = try item.optional("Sequence") {
                let name = try sequence.string("id")
                guard name == "A" || name == "B" else { throw .malformed(path: sequence.child("id"), reason: "expected A or B") }
                pieces.append(.sequence(second: name == "B", typeID: try sequence.int("type_id", default: 0)))
            } else {
                throw .malformed(path: item.path, reason: "expected SpecialToken or Sequence")
            }
        }
        return pieces
    }

    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard addSpecialTokens else { return PassThroughProcessing().process(first, second, addSpecialTokens: false) }
        var result = Encoding()
        for piece in second == nil ? single : pair {
            switch piece {
            case .special(let ids, let typeID): result.appendSpecial(ids, typeID: typeID)
            case .sequence(let isSecond, let typeID):
                guard var part = isSecond ? second : first else { continue }
                part.setTypeID(typeID)
                result.append(part)
            }
        }
        return result
    }

    public func addedTokens(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) {
            if case .special(let ids, _) = $1 { return $0 + ids.count }
            return $0
        }
    }
}
