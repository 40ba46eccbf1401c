import Engine
import Platform
import Tensor

/// `anneal-bench lora GGUF B T STEPS [THREADS]`: LoRA fine-tuning steps on a Llama (r 8, alpha
/// 16 on q_proj and v_proj, PEFT's defaults; AdamW at 1e-4, gradients clipped at 1) over B
/// sequences of T random ids; prints trained tokens/s after a warm-up step.
func loraTraining(path: String, B: Int, T: Int, steps: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: T) } catch { fail("\(error)") }
    let lora: LoRA
    do { lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 8, alpha: 16, targets: ["q_proj", "v_proj"]), seed: 1) } catch { fail("\(error)") }
    let ids = benchIDs(B * T, seed: 5)
    let targets = ids.indices.map { $0 % T == T - 1 ? Int32(-100) : ids[$0 + 1] }
    func step() {
        lora.grads.zero()
        _ = model.lossAndGradients(ids, targets: targets, B: B, T: T, into: nil, lora: lora)
        _ = lora.trained.step(lr: 1e-4, maxGradNorm: 1)
    }
    step()  // warm-up
    BLAS.resetCounters()
    let start = MonotonicClock.now
    for _ in 0..<steps { step() }
    let seconds = MonotonicClock.now - start, gemm = Double(BLAS.nanoseconds) / 1e9
    print("engine=anneal mode=lora B=\(B) T=\(T) steps=\(steps) trainable=\(lora.params.count)",
          "tokens_per_s=\(Double(Int(Double(B * T * steps) / seconds * 10)) / 10) gemm_share=\(Double(Int(gemm / seconds * 100)) / 100)",
          "gemm_gflops=\(Int(BLAS.flops / gemm / 1e9)) peak_rss_mib=\(residentMiB(peak: true))")
}

/// `anneal-bench adapters GGUF 1 PROMPT COUNT [THREADS]`: the resident memory of the base
/// alone, then with 1 and with COUNT LoRA adapters (r 8 on every linear layer, as served: no
/// gradients or optimizer state) each used for a PROMPT-token prefill and 8 greedy tokens.
func adapters(path: String, prompt: Int, count: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: prompt + 8) } catch { fail("\(error)") }
    let ids = benchIDs(prompt, seed: 9)
    _ = model.greedy(ids, count: 8)
    let base = residentMiB(peak: false)
    var loaded: [LoRA] = [], after1 = 0
    for n in 0..<count {
        let lora: LoRA
        do { lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 8, alpha: 16, targets: ["all-linear"]), seed: UInt64(n), trainable: false) }
        catch { fail("\(error)") }
        for i in 0..<lora.params.count { lora.params.pointer[i] = Float(Int(SplitMix.hash(seed: UInt64(n), index: i) % 2001) - 1000) / 1e5 }
        _ = model.greedy(ids, count: 8, lora: lora)
        loaded.append(lora)
        if n == 0 { after1 = residentMiB(peak: false) }
    }
    print("engine=anneal mode=adapters prompt=\(prompt) rss_base_mib=\(base) rss_1_adapter_mib=\(after1)",
          "rss_\(count)_adapters_mib=\(residentMiB(peak: false)) adapter_floats=\(loaded[0].params.count)")
}

/// The benchmarks' token ids: a 64-bit LCG, id 100 + (state >> 33) % 40000 (torch_bench.py has
/// the same generator).
func benchIDs(_ count: Int, seed: UInt64) -> [Int32] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int32(100 + (state >> 33) % 40000)
    }
}

/// The process's resident set (VmRSS), or its peak (VmHWM), in MiB.
func residentMiB(peak: Bool) -> Int {
    let status = String(decoding: Files.read("/proc/self/status") ?? [], as: UTF8.self)
    let key = peak ? "VmHWM:" : "VmRSS:"
    let kib = status.split(separator: "\n").first { $0.hasPrefix(key) }?.split(separator: " ").dropFirst().first ?? "0"
    return (Int(kib) ?? 0) / 1024
}
