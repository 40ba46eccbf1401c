import Engine
import JSON
import Tensor

/// Preference tuning of a causal language model (`TrainingTask`): DPO (sigmoid, IPO, hinge)
/// against a reference, or ORPO without one, on a `PreferenceDataset`, with an adapter (LoRA,
/// prefix tuning) or in full, as TRL's trainers compute it (`PreferenceLoss`). A step's pairs run
/// as one batch, the chosen answers then the rejected ones. The reference is the base before
/// training (with an adapter: the adapter off, PEFT's `disable_adapter`, no second copy of the
/// weights); its answer log-probabilities are computed once for every pair and kept (two numbers
/// a pair): with an adapter when a pair is first used (the base never changes), for a full
/// fine-tune all of them before any checkpoint is loaded.
public final class PreferenceTrainer: TrainingTask {
    public let arguments: TrainingArguments
    public let dataset: PreferenceDataset
    public let model: any CausalLM
    /// The adapter (LoRA or prefix tuning); nil for full fine-tuning.
    public let adapter: (any Adapter)?
    public var lora: LoRA? { adapter as? LoRA }
    public var prefix: PrefixTuning? { adapter as? PrefixTuning }
    public let trained: TrainedParameters
    public let objective: PreferenceLoss
    /// DPO's reference: each pair's chosen then rejected summed log-probability (nil until
    /// computed); nil for ORPO.
    var reference: (train: [[Double]?], validation: [[Double]?])?
    /// TRL's metrics since the last train log: their sum over micro-batches, and how many.
    var window: [String: Double] = [:], windowOrder: [String] = [], windowCount = 0.0

    public var weightsPart: CheckpointPart { CheckpointPart.weights(adapter: adapter != nil) }
    public var trainingExamples: Int { dataset.train.count }
    public var trainingLengths: [Int] { dataset.train.map { max($0.chosen.ids.count, $0.rejected.ids.count) } }
    public var hasValidation: Bool { !dataset.validation.isEmpty }
    public var labels: [String] { [] }
    public var bestMetric: (name: String, greaterIsBetter: Bool) { ("loss", false) }

    /// `adapter` nil: full fine-tuning. The model must not have trained yet: for DPO it is the
    /// reference (with an adapter, the adapter off, as PEFT's `disable_adapter`); a full
    /// fine-tune computes every pair's reference here, before its weights can change.
    public init(model: any CausalLM, adapter settings: AdapterSettings?, dataset: PreferenceDataset, arguments: TrainingArguments,
                objective: PreferenceLoss) throws {
        guard !dataset.train.isEmpty else { throw TrainingError("the training set is empty") }
        (self.model, self.dataset, self.arguments, self.objective) = (model, dataset, arguments, objective)
        let longest = (dataset.train + dataset.validation).flatMap { [$0.chosen.ids.count, $0.rejected.ids.count] }.max() ?? 0
        (adapter, trained) = try CausalLMTrainer.trainable(model, adapter: settings, longest: longest, arguments: arguments)
        guard objective.kind != .orpo else { return }
        reference = ([[Double]?](repeating: nil, count: dataset.train.count), [[Double]?](repeating: nil, count: dataset.validation.count))
        if adapter == nil {
            _ = referenceFor(indices: Array(dataset.train.indices), validation: false)
            _ = referenceFor(indices: Array(dataset.validation.indices), validation: true)
        }
    }

    /// The pairs at `indices` as one batch of 2B rows right-padded to the longest: targets on
    /// the answers' tokens (ORPO's chosen rows on every token after the first, for its NLL).
    func batch(_ examples: [PreferenceExample], _ indices: [Int]) -> (ids: [Int32], targets: [Int32], T: Int, tokens: PreferenceLoss.Tokens) {
        let rows = indices.map { examples[$0].chosen } + indices.map { examples[$0].rejected }
        let T = rows.map(\.ids.count).max() ?? 1
        var ids: [Int32] = [], targets: [Int32] = [], tokens = PreferenceLoss.Tokens()
        for (row, sequence) in rows.enumerated() {
            let wholeRow = objective.kind == .orpo && row < indices.count
            for t in 0..<T {
                ids.append(t < sequence.ids.count ? sequence.ids[t] : 0)
                let next = t + 1, answer = next >= sequence.answerStart
                guard next < sequence.ids.count, answer || wholeRow else { targets.append(-100); continue }
                targets.append(sequence.ids[next])
                tokens.sequence.append(row)
                tokens.completion.append(answer)
            }
        }
        return (ids, targets, T, tokens)
    }

    /// Summed answer log-probabilities of each row of a batch under the base alone.
    func sequenceLogps(_ b: (ids: [Int32], targets: [Int32], T: Int, tokens: PreferenceLoss.Tokens), pairs: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: 2 * pairs)
        _ = model.loss(b.ids, targets: b.targets, B: 2 * pairs, T: b.T, lora: nil, prefix: nil, objective: .custom { logps in
            for (i, logp) in logps.enumerated() where b.tokens.completion[i] { sums[b.tokens.sequence[i]] += Double(logp) }
            return (0, [Float](repeating: 0, count: logps.count))
        })
        return sums
    }

    /// The reference's log-probabilities for the training (or validation) pairs at `indices`,
    /// chosen rows then rejected; nil for ORPO. Unknown ones are computed in fixed blocks of
    /// `per_device_eval_batch_size` consecutive pairs, so each value is the same whenever and
    /// in whatever order it is first needed (a resumed job stays bit-identical).
    func referenceFor(indices: [Int], validation: Bool) -> [Double]? {
        guard var known = validation ? reference?.validation : reference?.train else { return nil }
        let size = arguments.perDeviceEvalBatchSize, examples = validation ? dataset.validation : dataset.train
        for block in Set(indices.filter { known[$0] == nil }.map { $0 / size }).sorted() {
            let pairs = Array((block * size)..<min((block + 1) * size, examples.count))
            let sums = sequenceLogps(batch(examples, pairs), pairs: pairs.count)
            for (p, index) in pairs.enumerated() { known[index] = [sums[p], sums[pairs.count + p]] }
        }
        if validation { reference?.validation = known } else { reference?.train = known }
        return indices.map { known[$0]![0] } + indices.map { known[$0]![1] }
    }

    /// Pairs: the loss is their mean.
    public func lossUnits(_ indices: ArraySlice<Int>) -> Int { indices.count }

    public func accumulate(step: Int, microBatches: [MicroBatch]) throws -> StepStats {
        let count = microBatches.count
        trained.grads.zero()
        var stats = StepStats(loss: 0, samples: 0, tokens: 0)
        defer { lora?.dropoutSeed = nil }
        for (micro, part) in microBatches.enumerated() where !part.indices.isEmpty {
            let indices = Array(part.indices), b = batch(dataset.train, indices), share = part.share
            let ref = referenceFor(indices: indices, validation: false)
            lora?.dropoutSeed = dropoutSeed(step: step, micro: micro, stream: part.stream)
            var metrics: [(String, Double)] = []
            let result = model.lossAndGradients(b.ids, targets: b.targets, B: 2 * indices.count, T: b.T,
                                                into: adapter == nil ? trained.grads : nil, lora: lora, prefix: prefix, objective: .custom { logps in
                let r = self.objective.evaluate(logps: logps, tokens: b.tokens, pairs: indices.count, reference: ref)
                metrics = r.metrics
                return (Float(r.loss), r.dlogps.map { $0 * share / Float(count) })
            })
            for (name, value) in metrics {
                if window[name] == nil { windowOrder.append(name) }
                window[name, default: 0] += value * Double(share)
            }
            windowCount += Double(share)
            stats.loss += result.loss * share / Float(count)
            stats.samples += indices.count
            stats.tokens += b.ids.count
        }
        return stats
    }

    /// Each metric's share-weighted sum in `windowOrder` (the same on every rank), then the weight.
    public var windowCounters: [Double] {
        get { windowOrder.map { window[$0, default: 0] } + [windowCount] }
        set {
            for (name, value) in zip(windowOrder, newValue) { window[name] = value }
            windowCount = newValue.last ?? 0
        }
    }

    public func windowMetrics(samples: Int, seconds: Double) -> JSONObject {
        defer { (window, windowOrder, windowCount) = ([:], [], 0) }
        var values = JSONObject()
        for name in windowOrder { values[name] = .double(windowCount > 0 ? window[name, default: 0] / windowCount : 0) }
        return values
    }

    /// The preference loss and TRL's metrics on the validation pairs, each the mean over pairs.
    public func evaluate() -> JSONObject { evaluate(lora: lora, prefix: prefix) }

    /// The policy before training is the reference: DPO's rewards are all 0 then.
    public func evaluateBase() -> JSONObject { evaluate(lora: nil, prefix: nil) }

    func evaluate(lora: LoRA?, prefix: PrefixTuning?) -> JSONObject {
        var loss = 0.0, sums: [String: Double] = [:], order: [String] = [], pairs = 0
        let examples = dataset.validation, size = arguments.perDeviceEvalBatchSize
        for start in stride(from: 0, to: examples.count, by: size) {
            let indices = Array(start..<min(start + size, examples.count)), b = batch(examples, indices)
            let ref = referenceFor(indices: indices, validation: true)
            var metrics: [(String, Double)] = [], value = 0.0
            _ = model.loss(b.ids, targets: b.targets, B: 2 * indices.count, T: b.T, lora: lora, prefix: prefix, objective: .custom { logps in
                let r = self.objective.evaluate(logps: logps, tokens: b.tokens, pairs: indices.count, reference: ref)
                (metrics, value) = (r.metrics, r.loss)
                return (Float(r.loss), r.dlogps)
            })
            loss += value * Double(indices.count)
            for (name, metric) in metrics {
                if sums[name] == nil { order.append(name) }
                sums[name, default: 0] += metric * Double(indices.count)
            }
            pairs += indices.count
        }
        var result: JSONObject = ["loss": .double(loss / Double(max(pairs, 1)))]
        for name in order { result[name] = .double(sums[name, default: 0] / Double(max(pairs, 1))) }
        return result
    }
}
