import Engine
import Platform

/// `anneal-bench generate GGUF 1 PROMPT NEW [THREADS]`: Llama prefill of PROMPT fixed token ids,
/// then NEW greedy tokens one at a time with the KV cache; prints prefill seconds and decode
/// tokens/s (after the first decoded token) as `key=value`.
func generate(path: String, prompt: Int, new: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: prompt + new + 1) } catch { fail("\(error)") }
    var state: UInt64 = 99
    let ids: [Int32] = (0..<prompt).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int32(100 + (state >> 33) % 40000)
    }
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
    let status = String(decoding: Files.read("/proc/self/status") ?? [], as: UTF8.self)
    let hwm = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first ?? "0"
    print("engine=anneal mode=generate prompt=\(prompt) new=\(new) prefill_s=\(Double(Int(prefill * 1000)) / 1000)",
          "decode_tokens_per_s=\(Double(Int(Double(new - 1) / decode * 100)) / 100) peak_rss_mib=\((Int(hwm) ?? 0) / 1024)")
}
