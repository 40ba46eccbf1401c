import Engine
import Testing

/// Attention with a prefix (prefix tuning): finite differences for the sequence's Q, K, V and
/// for the prefix's own keys and values, shared by every row of the batch, with grouped heads.
@Suite struct AttentionPrefixGradientTests {
    @Test(arguments: [(false, false, Float(0), 1), (true, false, Float(0), 1), (false, true, Float(0), 2), (true, false, Float(0.2), 2)])
    func attentionWithPrefix(causal: Bool, masked: Bool, dropout: Float, group: Int) {
        let B = 2, T = 4, C = 8, NH = 4, hs = C / NH, P = 3, width = NH / group * hs, stride = width + 1
        var rng = TestRandom(21)
        let mask: [Int32]? = masked ? [1, 1, 1, 0, 1, 1, 0, 0] : nil
        let qkv = Buffer(random: B * T * 3 * C, &rng), dqkv = Buffer(B * T * 3 * C)
        // Rows `stride` apart, one float of slack each: the op must respect the stride.
        let keys = Buffer(random: P * stride, &rng), values = Buffer(random: P * stride, &rng)
        let dkeys = Buffer(P * stride), dvalues = Buffer(P * stride)
        let S = P + T, out = Buffer(B * T * C), att = Buffer(B * NH * T * S), datt = Buffer(B * NH * T * S)
        let scratch = Buffer(Parallel.maxThreads * T * S)
        let prefix = AttentionPrefix(keys: keys.pointer, values: values.pointer, dkeys: dkeys.pointer, dvalues: dvalues.pointer,
                                     count: P, stride: stride, group: group)
        checkGradients("attention with a prefix", output: out, inputs: [(qkv, dqkv), (keys, dkeys), (values, dvalues)]) {
            Attention.forward(out: out.pointer, att: att.pointer, scratch: scratch.pointer, qkv: qkv.pointer, mask: mask,
                              B: B, T: T, C: C, NH: NH, causal: causal, dropout: dropout, seed: 5, prefix: prefix)
        } backward: { dout in
            Attention.backward(dqkv: dqkv.pointer, datt: datt.pointer, dout: dout, qkv: qkv.pointer, att: att.pointer, scratch: scratch.pointer,
                               B: B, T: T, C: C, NH: NH, dropout: dropout, seed: 5, prefix: prefix)
        }
        // Every query gives the prefix weight; the slack floats were never read or written.
        for block in 0..<(B * NH) {
            for i in 0..<T { #expect(att[(block * T + i) * S] > 0) }
        }
        for slot in 0..<P { #expect(dkeys[slot * stride + width] == 0.5 && dvalues[slot * stride + width] == 0.5) }
    }

    /// With the causal rule, query i sees the P prefix slots and the sequence's keys 0...i only.
    @Test func causalMaskCountsFromThePrefix() {
        let B = 1, T = 3, C = 4, NH = 1, P = 2, S = P + T
        var rng = TestRandom(22)
        let qkv = Buffer(random: B * T * 3 * C, &rng), keys = Buffer(random: P * C, &rng), values = Buffer(random: P * C, &rng)
        let out = Buffer(T * C), att = Buffer(T * S)
        Attention.forward(out: out.pointer, att: att.pointer, scratch: nil, qkv: qkv.pointer, mask: nil, B: B, T: T, C: C, NH: NH, causal: true,
                          prefix: AttentionPrefix(keys: keys.pointer, values: values.pointer, count: P, stride: C))
        for i in 0..<T {
            for j in 0..<S { #expect((att[i * S + j] > 0) == (j < P + i + 1)) }
        }
    }
}
