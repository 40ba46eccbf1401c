import Tensor

/// Gradients of activations, for one layer at a time (backward walks the layers down and reuses
/// them), sized for the model's maximum (B, T). N = B·T rows. dres2, dres1 and datty share one
/// buffer: each is dead before the next is written (backward zeroes it before each use).
struct BertActivationGrads: @unchecked Sendable {
    let arena: Arena
    var dx: UnsafeMutablePointer<Float>         // (B, T, C) gradient of the current layer's input
    var dout: UnsafeMutablePointer<Float>       // (B, T, C) gradient of the current layer's output
    let dres2: UnsafeMutablePointer<Float>      // (B, T, C)
    let dln1: UnsafeMutablePointer<Float>       // (B, T, C)
    let dres1: UnsafeMutablePointer<Float>      // (B, T, C)
    let datty: UnsafeMutablePointer<Float>      // (B, T, C)
    let ddrop: UnsafeMutablePointer<Float>      // (B, T, C) gradient before a hidden dropout
    let dqkv: UnsafeMutablePointer<Float>       // (B, T, 3C)
    let dfch: UnsafeMutablePointer<Float>       // (B, T, FF)
    let dfchGelu: UnsafeMutablePointer<Float>   // (B, T, FF)
    let datt: UnsafeMutablePointer<Float>       // (B, NH, T, P + T) scratch
    let dpooled: UnsafeMutablePointer<Float>    // (B, C)
    let dpooledDropped: UnsafeMutablePointer<Float> // (B, C)
    let dpre: UnsafeMutablePointer<Float>       // (B, C) scratch
    let dlogits: UnsafeMutablePointer<Float>    // (B, NL)
    let dsentence: UnsafeMutablePointer<Float>  // (B, C)

    init(config c: BertConfig, B: Int, T: Int, P: Int = 0) {
        let C = c.hiddenSize, NH = c.numHeads, FF = c.intermediateSize, NL = max(c.numLabels, 1)
        let N = B * T
        let sizes = [N * C, N * C, N * C, N * C, 0, 0, N * C, N * 3 * C, N * FF, N * FF, B * NH * T * (P + T), B * C, B * C, B * C, B * NL, B * C]
        arena = Arena(count: sizes.reduce(0, +))
        let pointers = arena.slices(sizes.map { [$0] }).map(\.pointer)
        (dx, dout, dres2, dln1, ddrop, dqkv) = (pointers[0], pointers[1], pointers[2], pointers[3], pointers[6], pointers[7])
        (dres1, datty) = (dres2, dres2)
        (dfch, dfchGelu, datt, dpooled, dpooledDropped, dpre, dlogits, dsentence) = (pointers[8], pointers[9], pointers[10], pointers[11], pointers[12], pointers[13], pointers[14], pointers[15])
    }
}
