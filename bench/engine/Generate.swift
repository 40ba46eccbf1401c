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
