/// Which adapter each row of a batch goes through: one for every row (or none), or one per row
/// (fine-tunes of one base decoding together in one batch, each row its own sequence).
public struct RowAdapters {
    /// (adapter, its rows); rows nil: every row.
    let groups: [(lora: LoRA, rows: [Int]?)]

    /// `lora` on every row, or no adapter.
    public init(_ lora: LoRA?) { groups = lora.map { [($0, nil)] } ?? [] }

    /// Row r through `adapters[r]` (nil: the base alone).
    public init(perRow adapters: [LoRA?]) {
        var groups: [(lora: LoRA, rows: [Int]?)] = []
        for (row, lora) in adapters.enumerated() {
            guard let lora else { continue }
            if let index = groups.firstIndex(where: { $0.lora === lora }) { groups[index].rows!.append(row) } else { groups.append((lora, [row])) }
        }
        if groups.count == 1, groups[0].rows!.count == adapters.count { groups[0].rows = nil }
        self.groups = groups
    }

    /// out (N, output) += each adapter's update of module `id` in block `l` on its rows of inp (N, input).
    func forward(_ id: String, layer l: Int, inp: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, N: Int, input: Int, output: Int) {
        for (lora, rows) in groups {
            guard let rows else {
                lora.forward(id, layer: l, inp: inp, out: out, N: N, input: input, output: output)
                continue
            }
            let x = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * input)
            let y = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * output)
            defer { x.deallocate(); y.deallocate() }
            y.initialize(repeating: 0, count: rows.count * output)
            for (i, row) in rows.enumerated() { (x + i * input).update(from: inp + row * input, count: input) }
            lora.forward(id, layer: l, inp: x, out: y, N: rows.count, input: input, output: output)
            for (i, row) in rows.enumerated() {
                let to = out + row * output, from = y + i * output
                for o in 0..<output { to[o] += from[o] }
            }
        }
    }
}
