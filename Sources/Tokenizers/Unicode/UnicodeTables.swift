/// The generated Unicode data (UnicodeTables+Data.swift), parsed once on first use.
final class UnicodeTables: Sendable {
    static let shared = UnicodeTables()

    /// Category of every BMP scalar, indexed directly.
    private let bmp: [GeneralCategory]
    /// Runs above the BMP: sorted starts and their categories.
    private let astralStarts: [UInt32]
    private let astralCategories: [GeneralCategory]
    private let combiningStarts: [UInt32]
    private let combiningEnds: [UInt32]
    private let combiningClasses: [UInt8]
    let canonical: [UInt32: [UInt32]]
    let compatibility: [UInt32: [UInt32]]
    let compositions: [UInt64: UInt32]
    let lowercase: [UInt32: [UInt32]]

    private init() {
        var starts: [UInt32] = []
        var categories: [GeneralCategory] = []
        Self.scan(Self.categoriesData) { bytes in
            var i = 0
            var start: UInt32 = 0
            while i < bytes.count {
                if let digit = Self.hexDigit(bytes[i]) {
                    start = start << 4 | digit
                    i += 1
                } else {
                    starts.append(start)
                    categories.append(GeneralCategory(name: bytes[i], bytes[i + 1])!)
                    start = 0
                    i += 2
                }
            }
        }
        var bmp = [GeneralCategory](repeating: .Cn, count: 0x10000)
        var astralStarts: [UInt32] = []
        var astralCategories: [GeneralCategory] = []
        for (n, start) in starts.enumerated() {
            let end = n + 1 < starts.count ? starts[n + 1] : 0x110000
            if start < 0x10000 {
                for c in Int(start)..<Int(min(end, 0x10000)) { bmp[c] = categories[n] }
            }
            if end > 0x10000 {
                astralStarts.append(max(start, 0x10000))
                astralCategories.append(categories[n])
            }
        }
        self.bmp = bmp
        self.astralStarts = astralStarts
        self.astralCategories = astralCategories

        var cStarts: [UInt32] = [], cEnds: [UInt32] = [], cClasses: [UInt8] = []
        for entry in Self.entries(Self.combiningData) {
            let range = entry.split(separator: UInt8(ascii: ":"))
            let bounds = range[0].split(separator: UInt8(ascii: "-"))
            cStarts.append(Self.hex(bounds[0]))
            cEnds.append(Self.hex(bounds[1]))
            var ccc: UInt8 = 0
            for d in range[1] { ccc = ccc * 10 + (d - 48) }
            cClasses.append(ccc)
        }
        combiningStarts = cStarts
        combiningEnds = cEnds
        combiningClasses = cClasses
        canonical = Self.mappings(Self.canonicalData)
        compatibility = Self.mappings(Self.compatibilityData)
        lowercase = Self.mappings(Self.lowercaseData)
        var compositions: [UInt64: UInt32] = [:]
        for entry in Self.entries(Self.compositionsData) {
            let parts = entry.split(separator: UInt8(ascii: ",")).map(Self.hex)
            compositions[UInt64(parts[0]) << 32 | UInt64(parts[1])] = parts[2]
        }
        self.compositions = compositions
    }

    @inline(__always)
    func category(_ c: UInt32) -> GeneralCategory {
        if c < 0x10000 { return bmp[Int(c)] }
        var low = 0, high = astralStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if astralStarts[mid] <= c { low = mid } else { high = mid - 1 }
        }
        return astralCategories[low]
    }

    func combiningClass(_ c: UInt32) -> UInt8 {
        var low = 0, high = combiningStarts.count
        while low < high {
            let mid = (low + high) / 2
            if combiningEnds[mid] < c { low = mid + 1 } else { high = mid }
        }
        return low < combiningStarts.count && combiningStarts[low] <= c ? combiningClasses[low] : 0
    }

    // MARK: - Parsing the data strings

    private static func scan(_ text: String, _ body: ([UInt8]) -> Void) {
        body(text.utf8.filter { $0 != 10 && $0 != 32 })
    }

    /// The `;`-terminated entries of a table, with line breaks removed.
    private static func entries(_ text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8.filter { $0 != 10 })
        return bytes.split(separator: UInt8(ascii: ";"))
    }

    private static func mappings(_ text: String) -> [UInt32: [UInt32]] {
        var result: [UInt32: [UInt32]] = [:]
        for entry in entries(text) {
            let sides = entry.split(separator: UInt8(ascii: "="))
            result[hex(sides[0])] = sides[1].split(separator: UInt8(ascii: ",")).map(hex)
        }
        return result
    }

    private static func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case 48...57: return UInt32(b - 48)
        case 97...102: return UInt32(b - 87)
        default: return nil
        }
    }

    private static func hex(_ digits: ArraySlice<UInt8>) -> UInt32 {
        digits.reduce(0) { $0 << 4 | (hexDigit($1) ?? 0) }
    }
}
