import GGUF
import Testing

/// Dequantization of hand-built GGUF blocks against the formulas of the format.
@Suite struct GGUFDequantTests {
    /// A GGUF v3 file with no metadata and one tensor of `type` holding `data`.
    func file(type: UInt32, elements: Int, data: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(UInt32(0x4655_4747)); put(UInt32(3)); put(UInt64(1)); put(UInt64(0))
        let name = Array("t".utf8)
        put(UInt64(name.count)); bytes += name
        put(UInt32(1)); put(UInt64(elements)); put(type); put(UInt64(0))
        while bytes.count % 32 != 0 { bytes.append(0) }
        return bytes + data
    }

    /// Found by fuzz/run gguf: sizes read from the file overflowed (a trap, not an error).
    @Test("Hostile sizes are errors: dimensions whose product overflows, an offset near Int.max")
    func hostileSizes() throws {
        var bytes: [UInt8] = []
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(UInt32(0x4655_4747)); put(UInt32(3)); put(UInt64(3)); put(UInt64(0))
        for (name, dimensions, type, offset) in [("huge", [UInt64(1) << 40, UInt64(1) << 40], UInt32(0), UInt64(0)),
                                                 ("far", [UInt64(32)], UInt32(0), UInt64(Int64.max - 8)),
                                                 ("odd type far away", [UInt64(1)], UInt32(99), UInt64(Int64.max))] {
            put(UInt64(name.utf8.count)); bytes += Array(name.utf8)
            put(UInt32(dimensions.count)); for d in dimensions { put(d) }
            put(type); put(offset)
        }
        while bytes.count % 32 != 0 { bytes.append(0) }
        bytes += [UInt8](repeating: 0, count: 128)
        try bytes.withUnsafeBytes { raw in
            let header = try GGUFFile(bytes: raw)
            #expect(header.tensors.count == 3)
            for tensor in header.tensors {
                #expect(throws: GGUFError.self) { try header.floats(tensor, in: raw) }
            }
        }
    }

    func floats(type: UInt32, elements: Int, data: [UInt8]) throws -> [Float] {
        let bytes = file(type: type, elements: elements, data: data)
        return try bytes.withUnsafeBytes { raw in
            let header = try GGUFFile(bytes: raw)
            return try header.floats(header.tensors[0], in: raw)
        }
    }

    func halfBits(_ x: Float) -> [UInt8] { withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { Array($0) } }

    @Test func q8_0() throws {
        let q: [Int8] = (0..<32).map { Int8($0 * 8 - 128) }
        let values = try floats(type: 8, elements: 32, data: halfBits(0.5) + q.map { UInt8(bitPattern: $0) })
        #expect(values == q.map { 0.5 * Float($0) })
    }

    @Test func q4_0AndQ4_1() throws {
        let nibbles: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let low = nibbles.map { Float($0 & 0x0F) }, high = nibbles.map { Float($0 >> 4) }
        let q40 = try floats(type: 2, elements: 32, data: halfBits(0.25) + nibbles)
        #expect(q40 == (low + high).map { 0.25 * ($0 - 8) })
        let q41 = try floats(type: 3, elements: 32, data: halfBits(0.25) + halfBits(-1.5) + nibbles)
        #expect(q41 == (low + high).map { 0.25 * $0 - 1.5 })
    }

    @Test func halfAndBFloat() throws {
        #expect(try floats(type: 1, elements: 2, data: halfBits(1.5) + halfBits(-0.125)) == [1.5, -0.125])
        // bfloat16 is the top half of a float32: 0x3FC0 is 1.5.
        #expect(try floats(type: 30, elements: 1, data: [0xC0, 0x3F]) == [1.5])
    }

    @Test func refusesUnknownTypesPartialBlocksAndShortData() throws {
        #expect(throws: GGUFError.self) { try floats(type: 12, elements: 256, data: [UInt8](repeating: 0, count: 144)) }  // Q4_K
        #expect(throws: GGUFError.self) { try floats(type: 8, elements: 16, data: [UInt8](repeating: 0, count: 34)) }
        #expect(throws: GGUFError.self) { try floats(type: 8, elements: 64, data: [UInt8](repeating: 0, count: 34)) }
    }
}
