// The Swift side of bench/train and bench/infer: fine-tunes or runs all-MiniLM-L6-v2 (or any
// BERT folder) on random token ids and prints one line of `key=value` results.
//
//   anneal-bench train MODEL_DIR B T STEPS [THREADS]
//   anneal-bench infer MODEL_DIR B T STEPS [THREADS]
//   anneal-bench generate GGUF 1 PROMPT_TOKENS NEW_TOKENS [THREADS]   (Llama; see Generate.swift)
//   anneal-bench lora GGUF B T STEPS [THREADS]                         (LoRA training; LoRA.swift)
//   anneal-bench dpo GGUF B T STEPS [THREADS]                          (DPO with LoRA, B pairs; DPO.swift)
//   anneal-bench adapters GGUF 1 PROMPT_TOKENS COUNT [THREADS]        (memory with adapters)
//   anneal-bench batch GGUF SEQUENCES PROMPT_TOKENS NEW_TOKENS [THREADS] (adapters decoding together)
//   anneal-bench small - B T STEPS [THREADS]   (an encoder forward's linear layers at B·T rows: OpenBLAS
//                                              against BlockGemm on weights packed once in 16-column panels)
import Engine
import Platform
import Tensor

func fail(_ message: String) -> Never {
    Console.error("anneal-bench: \(message)")
    Console.exit(2)
}

if let reason = CPU.unsupported { fail(reason) }
let arguments = CommandLine.arguments
guard arguments.count >= 6, let B = Int(arguments[3]), let T = Int(arguments[4]), let steps = Int(arguments[5]) else {
    fail("usage: anneal-bench train|infer MODEL_DIR B T STEPS [THREADS]")
}
let mode = arguments[1], folder = arguments[2]
let threads = arguments.count > 6 ? Int(arguments[6]) ?? 2 : 2
Parallel.setThreads(threads)
if mode == "gemm" { BLAS.setThreads(threads) }  // raw OpenBLAS threading, for comparison
if Environment["ANNEAL_BENCH_GEMM"] == "openblas" {  // whole GEMMs on OpenBLAS's threads
    Gemm.splitOverTeam = false
    BLAS.setThreads(threads)
}
BLAS.clock = { MonotonicClock.nanoseconds }

if mode == "small" {
    // Experiment: one encoder forward's linear layers (6 layers of distinct weights, so they
    // stream from memory as in a real forward) at few rows: Matmul.forward against BlockGemm
    // on weights packed once as Wᵀ (C, OC), columns split over the team.
    let M = B * T, shapes = [(1152, 384), (384, 384), (1536, 384), (384, 1536)]
    var layers: [(w: Arena, wt: Arena, OC: Int, C: Int)] = []
    for _ in 0..<6 {
        for (OC, C) in shapes {
            let w = Arena(count: OC * C), wt = Arena(count: C * OC)
            for i in 0..<(OC * C) { w.pointer[i] = Float(i % 5) * 0.01 }
            // Panels of 16 output columns, each (C, 16) contiguous.
            for o in 0..<OC { for c in 0..<C { wt.pointer[(o / 16) * C * 16 + c * 16 + o % 16] = w.pointer[o * C + c] } }
            layers.append((w, wt, OC, C))
        }
    }
    let inp = Arena(count: M * 1536), out = Arena(count: M * 1536)
    for i in 0..<(M * 1536) { inp.pointer[i] = Float(i % 7) * 0.1 }
    func blas() {
        for (w, _, OC, C) in layers { Matmul.forward(out: out.pointer, inp: inp.pointer, weight: w.pointer, bias: nil, N: M, C: C, OC: OC) }
    }
    func packed() {
        for (_, wt, OC, C) in layers {
            Parallel.forRanges(OC / 16, grain: 1) { panels in
                for panel in panels {
                    BlockGemm.tiles(M: M, N: 16, K: C, alpha: 1, A: inp.pointer, lda: C, B: wt.pointer + panel * C * 16, ldb: 16,
                                    accumulate: false, C: out.pointer + panel * 16, ldc: OC)
                }
            }
        }
    }
    var best: [String: Double] = [:]
    for (name, body) in [("matmul", blas), ("packed", packed), ("matmul", blas), ("packed", packed)] {
        body()
        let repeats = steps * 20, start = MonotonicClock.now
        for _ in 0..<repeats { body() }
        let ms = (MonotonicClock.now - start) / Double(repeats) * 1e3
        best[name] = min(best[name] ?? .infinity, ms)
        print("small \(name) M=\(M) ms_per_forward=\(ms)")
    }
    print("ratio packed/matmul \(best["packed"]! / best["matmul"]!)")
    Console.exit(0)
}

if mode == "gemm" {
    // Raw sgemm throughput on the encoder's shapes: (B·T, OC, C) forward.
    // (transposeA, transposeB, M, N, K): forward inp·Wᵀ, backward dout·W and doutᵀ·inp.
    let N = B * T
    let shapes = [
        (false, true, N, 1152, 384), (false, true, N, 1536, 384), (false, true, N, 384, 1536),
        (false, false, N, 384, 1152), (false, false, N, 384, 1536), (false, false, N, 1536, 384),
        (true, false, 1152, 384, N), (true, false, 1536, 384, N), (true, false, 384, 1536, N),
        // One attention block (T×T scores from head size 32, then T×32 outputs).
        (false, true, T, T, 32), (false, false, T, 32, T), (true, false, T, 32, T),
    ]
    for (ta, tb, M, Nc, K) in shapes {
        let a = Arena(count: M * K), b = Arena(count: Nc * K), c = Arena(count: M * Nc)
        let lda = ta ? M : K, ldb = tb ? K : Nc
        BLAS.sgemm(transposeA: ta, transposeB: tb, M: M, N: Nc, K: K, A: a.pointer, lda: lda, B: b.pointer, ldb: ldb, beta: 0, C: c.pointer, ldc: Nc)
        let start = MonotonicClock.now
        let repeats = M * Nc * K < 10_000_000 ? steps * 100 : steps
        for _ in 0..<repeats {
            BLAS.sgemm(transposeA: ta, transposeB: tb, M: M, N: Nc, K: K, A: a.pointer, lda: lda, B: b.pointer, ldb: ldb, beta: 1, C: c.pointer, ldc: Nc)
        }
        let seconds = MonotonicClock.now - start
        print("gemm \(ta ? "T" : "N")\(tb ? "T" : "N") M=\(M) N=\(Nc) K=\(K) gflops=\(Int(2 * Double(M * Nc * K) * Double(repeats) / seconds / 1e9))")
    }
    Console.exit(0)
}

if mode == "attention" {
    let C = 384, NH = 12, TT = T * T
    let qkv = Arena(count: B * T * 3 * C), out = Arena(count: B * T * C), att = Arena(count: B * NH * TT)
    let scratch = Arena(count: Parallel.maxThreads * TT), datt = Arena(count: B * NH * TT), dqkv = Arena(count: B * T * 3 * C)
    let mask = UnsafeMutablePointer<Int32>.allocate(capacity: B * T)
    for i in 0..<(B * T) { mask[i] = i % T < T - 9 ? 1 : 0 }
    for i in 0..<qkv.count { qkv.pointer[i] = Float((i * 7919) % 1000) / 1000 - 0.5 }
    var bestF = 1e9, bestB = 1e9
    for _ in 0..<steps {
        let t0 = MonotonicClock.now
        Attention.forward(out: out.pointer, att: att.pointer, scratch: scratch.pointer, qkv: qkv.pointer, mask: mask, B: B, T: T, C: C, NH: NH, dropout: 0.1, seed: 7)
        let t1 = MonotonicClock.now
        Attention.backward(dqkv: dqkv.pointer, datt: datt.pointer, dout: out.pointer, qkv: qkv.pointer, att: att.pointer, scratch: scratch.pointer, B: B, T: T, C: C, NH: NH, dropout: 0.1, seed: 7)
        let t2 = MonotonicClock.now
        bestF = min(bestF, t1 - t0); bestB = min(bestB, t2 - t1)
    }
    var check: Double = 0
    for i in 0..<dqkv.count { check += Double(dqkv.pointer[i]) * Double(i % 13) }
    print("attention forward_ms=\(bestF * 1000) backward_ms=\(bestB * 1000) check=\(check)")
    Console.exit(0)
}
if mode == "generate" {
    generate(path: folder, prompt: T, new: steps)
    Console.exit(0)
}
if mode == "lora" {
    loraTraining(path: folder, B: B, T: T, steps: steps)
    Console.exit(0)
}
if mode == "dpo" {
    dpoTraining(path: folder, B: B, T: T, steps: steps)
    Console.exit(0)
}
if mode == "batch" {
    batchDecode(path: folder, sequences: B, prompt: T, new: steps)
    Console.exit(0)
}
if mode == "adapters" {
    adapters(path: folder, prompt: T, count: steps)
    Console.exit(0)
}

var config: BertConfig
do { config = try BertConfig.load(folder: folder) } catch { fail("\(error)") }
let training = mode == "train"
if training { config.labels = ["negative", "positive"] }
let model = Bert(config: config, maxB: B, maxT: T, trainable: training)
let trained = training ? TrainedParameters(params: model.params, grads: model.grads!, groups: model.parameterGroups, weightDecay: 0.01) : nil
do { try BertCheckpoint.load(model, from: SafeTensors(path: folder + "/model.safetensors")) } catch { fail("\(error)") }
model.initializeHead(seed: 1)
model.training = training
model.seed = 7
// As ClassificationTrainer does: the classifier reads only the first token of the last layer.
model.firstTokenOnly = training && Environment["ANNEAL_BENCH_FULL_LAST_LAYER"] == nil
// As served models are: the linear weights packed once (ANNEAL_BENCH_UNPACKED=1: OpenBLAS per call).
if !training && Environment["ANNEAL_BENCH_UNPACKED"] == nil { model.packForInference() }

var state: UInt64 = 12345
@MainActor func random(_ n: Int) -> Int {
    state = state &* 6364136223846793005 &+ 1442695040888963407
    return Int((state >> 33) % UInt64(n))
}
@MainActor func batch() -> BertBatch {
    var ids: [Int32] = []
    for _ in 0..<B {
        ids.append(101)
        for _ in 1..<(T - 1) { ids.append(Int32(1000 + random(20000))) }
        ids.append(102)
    }
    return BertBatch(B: B, T: T, ids: ids, labels: training ? (0..<B).map { _ in Int32(random(2)) } : [])
}

@MainActor func run() throws {
    let data = batch()
    if training {
        model.zeroGradients()
        try model.forward(data)
        try model.backward()
        _ = trained!.step(lr: 2e-5, maxGradNorm: 1)
        model.step = trained!.optimizer.step
    } else {
        try model.forward(data)
    }
}

do {
    try run()  // warm-up
    BLAS.resetCounters()
    var latencies: [Double] = []
    let start = MonotonicClock.now
    for _ in 0..<steps {
        let t0 = MonotonicClock.now
        try run()
        latencies.append(MonotonicClock.now - t0)
    }
    let elapsed = MonotonicClock.now - start
    latencies.sort()
    let gemm = Double(BLAS.nanoseconds) / 1e9
    let status = String(decoding: Files.read("/proc/self/status") ?? [], as: UTF8.self)
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first ?? "0"
    func fmt(_ x: Double) -> String { String(Double(Int(x * 1000)) / 1000) }
    print(
        "engine=anneal mode=\(mode) B=\(B) T=\(T) steps=\(steps) samples_per_s=\(fmt(Double(steps * B) / elapsed))",
        "p50_ms=\(fmt(latencies[latencies.count / 2] * 1000)) p99_ms=\(fmt(latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000))",
        "gemm_gflops=\(fmt(BLAS.flops / 1e9 / elapsed)) gemm_only_gflops=\(fmt(BLAS.flops / 1e9 / max(gemm, 1e-9)))",
        "gemm_s=\(fmt(gemm)) rest_s=\(fmt(elapsed - gemm)) peak_rss_mib=\((Int(hwm) ?? 0) / 1024)",
        "loss=\(model.loss)")
} catch {
    fail("\(error)")
}
