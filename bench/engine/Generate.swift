import Engine
import Platform

/// `anneal-bench generate GGUF 1 PROMPT NEW [THREADS]`: Llama prefill of PROMPT fixed token ids,
/// then NEW greedy tokens one at a time with the KV cache; prints prefill seconds and decode
/// tokens/s (after the first decoded token) as `key=value`.
func generate(path: String, prompt: Int, new: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: prompt + new + 1) } catch { fail("\(error)") }
    let ids = benchIDs(prompt, seed: 99)
    _ = LlamaSession(model: model, capacity: 8).append(Array(ids.prefix(4)))  // warm-up
    let session = LlamaSession(model: model, capacity: prompt + new)
    let start = MonotonicClock.now
    var logits = session.append(ids)
    let prefill = MonotonicClock.now - start
    var next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
    logits = session.append([next])
    let decodeStart = MonotonicClock.now
    for _ in 1..<new {
        next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
        logits = session.append([next])
    }
    let decode = MonotonicClock.now - decodeStart
    print("engine=anneal mode=generate prompt=\(prompt) new=\(new) prefill_s=\(Double(Int(prefill * 1000)) / 1000)",
          "decode_tokens_per_s=\(Double(Int(Double(new - 1) / decode * 100)) / 100) peak_rss_mib=\(residentMiB(peak: true))")
}

/// `anneal-bench batch GGUF SEQUENCES PROMPT NEW [THREADS]`: SEQUENCES sequences (half of them
/// through one LoRA adapter, half through another: fine-tunes of one base) decoded together,
/// NEW greedy steps after a PROMPT-token prefill each; prints the total decode tokens/s, to
/// read against `generate`'s one sequence.
func batchDecode(path: String, sequences: Int, prompt: Int, new: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: prompt + new + 1) } catch { fail("\(error)") }
    var adapters: [LoRA] = []
    for seed in 1...2 as ClosedRange<UInt64> {
        do { adapters.append(try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 8, alpha: 16, targets: ["q_proj", "v_proj"]), seed: seed, trainable: false)) }
        catch { fail("\(error)") }
    }
    let sessions = (0..<sequences).map { LlamaSession(model: model, lora: adapters[$0 % 2], capacity: prompt + new) }
    var tokens = sessions.enumerated().map { i, session in
        let logits = session.append(benchIDs(prompt, seed: UInt64(i + 1)))
        return Int32(logits.indices.max { logits[$0] < logits[$1] }!)
    }
    let start = MonotonicClock.now
    for _ in 0..<new {
        tokens = model.decode(sessions, tokens).map { logits in Int32(logits.indices.max { logits[$0] < logits[$1] }!) }
    }
    let seconds = MonotonicClock.now - start
    print("engine=anneal mode=batch sequences=\(sequences) prompt=\(prompt) new=\(new)",
          "decode_tokens_per_s=\(Double(Int(Double(sequences * new) / seconds * 100)) / 100) peak_rss_mib=\(residentMiB(peak: true))")
}
