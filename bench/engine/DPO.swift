import Engine
import Platform
import Tensor
import Training

/// `anneal-bench dpo GGUF B T STEPS [THREADS]`: DPO steps with LoRA on a Llama (r 8, alpha 16 on
/// q_proj and v_proj; sigmoid loss, beta 0.1; AdamW at 1e-4, gradients clipped at 1) over B pairs
/// of T tokens each (a shared prompt of T/2 random ids, then two different answers of T/2): each
/// step runs the reference (the adapters off) and the policy over the 2B sequences, as TRL's
/// DPOTrainer does with PEFT. Prints pairs/s and tokens/s after a warm-up step.
func dpoTraining(path: String, B: Int, T: Int, steps: Int) {
    let model: Llama
    do { model = try Llama.load(gguf: path, maxT: T) } catch { fail("\(error)") }
    let lora: LoRA
    do { lora = try LoRA(layout: model.loraLayout, config: LoRAConfig(r: 8, alpha: 16, targets: ["q_proj", "v_proj"]), seed: 1) } catch { fail("\(error)") }
    let half = T / 2, prompts = benchIDs(B * half, seed: 5), answers = benchIDs(2 * B * (T - half), seed: 6)
    var ids: [Int32] = [], targets: [Int32] = [], tokens = PreferenceLoss.Tokens()
    for row in 0..<(2 * B) {
        let sequence = Array(prompts[(row % B) * half..<(row % B + 1) * half]) + Array(answers[row * (T - half)..<(row + 1) * (T - half)])
        ids += sequence
        for t in 0..<T {
            guard t + 1 < T, t + 1 >= half else { targets.append(-100); continue }
            targets.append(sequence[t + 1])
            tokens.sequence.append(row)
            tokens.completion.append(true)
        }
    }
    let objective = PreferenceLoss(.sigmoid, beta: 0.1)
    func step() {
        var reference = [Double](repeating: 0, count: 2 * B)
        _ = model.loss(ids, targets: targets, B: 2 * B, T: T, lora: nil, objective: .custom { logps in
            for (i, logp) in logps.enumerated() { reference[tokens.sequence[i]] += Double(logp) }
            return (0, [Float](repeating: 0, count: logps.count))
        })
        lora.grads.zero()
        _ = model.lossAndGradients(ids, targets: targets, B: 2 * B, T: T, into: nil, lora: lora, objective: .custom { logps in
            let result = objective.evaluate(logps: logps, tokens: tokens, pairs: B, reference: reference)
            return (Float(result.loss), result.dlogps)
        })
        _ = lora.trained.step(lr: 1e-4, maxGradNorm: 1)
    }
    step()  // warm-up
    let start = MonotonicClock.now
    for _ in 0..<steps { step() }
    let seconds = MonotonicClock.now - start
    print("engine=anneal mode=dpo B=\(B) T=\(T) steps=\(steps) trainable=\(lora.params.count)",
          "pairs_per_s=\(Double(Int(Double(B * steps) / seconds * 100)) / 100)",
          "tokens_per_s=\(Double(Int(Double(2 * B * T * steps) / seconds * 10)) / 10) peak_rss_mib=\(residentMiB(peak: true))")
}
