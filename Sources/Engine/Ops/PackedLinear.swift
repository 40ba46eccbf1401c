import Tensor

/// A frozen linear layer's weight packed once for inference: W (OC, C) as panels of 16 output
/// columns, each (C, 16) contiguous, the layout BlockGemm's tiles stream. OpenBLAS packs its
/// operands again on every call, which at a request's few rows (a sentence of 32 tokens) costs
/// more than the multiply; packed once, `forward` reads each panel from memory once per call
/// and keeps it in cache while every row goes through it. Each output element is BlockGemm's
/// fused multiply-add chain over C in order, so results do not depend on the thread count.
public final class PackedLinear: @unchecked Sendable {
    public let C: Int, OC: Int
    let panels: Arena

    /// Whether a weight of `OC` outputs packs (whole panels only).
    public static func packs(OC: Int) -> Bool { OC % 16 == 0 }

    /// `weight`: (OC, C) row-major, OC a multiple of 16.
    public init(weight: UnsafePointer<Float>, OC: Int, C: Int) {
        precondition(Self.packs(OC: OC), "PackedLinear: \(OC) outputs are not whole panels of 16")
        (self.C, self.OC) = (C, OC)
        panels = Arena(count: OC * C)
        let p = panels.pointer
        for o in 0..<OC {
            let panel = p + (o / 16) * C * 16 + o % 16, row = weight + o * C
            for c in 0..<C { panel[c * 16] = row[c] }
        }
    }

    /// out (N, OC) = inp (N, C) · Wᵀ + bias, the panels split over the team.
    public func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, bias: UnsafePointer<Float>?, N: Int) {
        if let bias { for i in 0..<N { (out + i * OC).update(from: bias, count: OC) } }
        let C = C, OC = OC, p = panels.pointer
        Parallel.forRanges(OC / 16, grain: 1) { range in
            for panel in range {
                BlockGemm.tiles(M: N, N: 16, K: C, alpha: 1, A: inp, lda: C, B: p + panel * C * 16, ldb: 16,
                                accumulate: bias != nil, C: out + panel * 16, ldc: OC)
            }
        }
    }

    /// Floats held.
    public var count: Int { panels.count }
}
