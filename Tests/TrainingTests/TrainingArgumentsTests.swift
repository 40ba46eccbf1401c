import Engine
import JSON
import Testing
import Training

@Suite("Training arguments and data order")
struct TrainingArgumentsTests {
    @Test("Defaults are HF's but for evaluation, saving and logging (as the README says); auto means the default")
    func defaults() throws {
        let args = TrainingArguments(try Hyperparameters.validate(nil, param: "hp"), seed: 7)
        #expect(args.numTrainEpochs == 3 && args.perDeviceTrainBatchSize == 8 && args.learningRate == 5e-5)
        #expect(args.lrSchedulerType == "linear" && args.maxGradNorm == 1 && args.seed == 7 && args.maxSeqLength == 128)
        #expect(!args.greaterIsBetterResolved, "loss: lower is better")
        #expect(args.evalStrategy == "epoch" && args.saveStrategy == "epoch" && args.loggingSteps == 10, "the documented exceptions")
    }

    @Test("OpenAI names map onto HF's; HF names win; the multiplier scales the base rate")
    func mapping() {
        let args = TrainingArguments(["n_epochs": 2, "batch_size": 16, "learning_rate_multiplier": 2, "seed": 3,
                                      "metric_for_best_model": "accuracy"], seed: 7)
        #expect(args.numTrainEpochs == 2 && args.perDeviceTrainBatchSize == 16 && args.learningRate == 1e-4 && args.seed == 3)
        #expect(args.greaterIsBetterResolved)
        let hf = TrainingArguments(["num_train_epochs": 1.5, "batch_size": 16, "per_device_train_batch_size": 4,
                                    "learning_rate": 2e-5, "learning_rate_multiplier": 10], seed: 7)
        #expect(hf.numTrainEpochs == 1.5 && hf.perDeviceTrainBatchSize == 4 && hf.learningRate == 2e-5)
        #expect(hf.json["per_device_train_batch_size"] == 4 && hf.json["seed"] == 7)
    }

    @Test("Steps and warm-up follow HF's arithmetic")
    func steps() {
        var args = TrainingArguments()
        args.perDeviceTrainBatchSize = 8
        args.numTrainEpochs = 2
        args.gradientAccumulationSteps = 2
        #expect(args.totalSteps(examples: 100) == 12)  // 13 batches → 6 updates an epoch → 12
        args.warmupRatio = 0.1
        #expect(args.warmup(totalSteps: 12) == 2)
        args.warmupSteps = 5
        #expect(args.warmup(totalSteps: 12) == 5)
    }

    @Test("Permutations are deterministic per seed and epoch, and are permutations")
    func permutations() {
        let a = DataOrder.permutation(count: 1000, seed: 42, epoch: 0)
        #expect(a == DataOrder.permutation(count: 1000, seed: 42, epoch: 0))
        #expect(a.sorted() == Array(0..<1000))
        #expect(a != DataOrder.permutation(count: 1000, seed: 42, epoch: 1))
        #expect(a != DataOrder.permutation(count: 1000, seed: 43, epoch: 0))
    }

    /// group_by_length regroups an epoch's order as HF's LengthGroupedSampler: mega-batches of
    /// 50 batches (4 here: 40 examples of batch 2 make mega-batches of 5 batches), longest
    /// first within each, the longest example at the very front; still a permutation.
    @Test("group_by_length sorts mega-batches by length, the longest example first")
    func groupedByLength() {
        let order = DataOrder.permutation(count: 40, seed: 7, epoch: 0)
        let lengths = (0..<40).map { ($0 * 37) % 23 + 1 }
        let grouped = DataOrder.grouped(order, lengths: lengths, batch: 2)
        #expect(grouped.sorted() == Array(0..<40))
        #expect(lengths[grouped[0]] == lengths.max())
        for start in stride(from: 0, to: 40, by: 10) {
            // Each mega-batch holds the same examples as that stretch of the order (but for the
            // heads swapped to bring the longest to the front), sorted longest first.
            let mega = Array(grouped[start..<(start + 10)])
            #expect(Set(mega.dropFirst()).isSubset(of: Set(order[start..<(start + 10)])))
            #expect(mega.dropFirst().map { lengths[$0] } == mega.dropFirst().map { lengths[$0] }.sorted(by: >), "mega-batch \(start / 10)")
        }
        var arguments = TrainingArguments([:], seed: 7)
        #expect(!arguments.groupByLength)
        arguments = TrainingArguments(["group_by_length": true], seed: 7)
        #expect(arguments.groupByLength && arguments.json["group_by_length"] == true)
    }

    /// Resuming a job across versions depends on these orders never changing. The values come from
    /// an independent implementation, scripts/fixtures/pinned-random.py.
    @Test("Permutations and splits are pinned to known values")
    func pinnedPermutations() {
        #expect(DataOrder.permutation(count: 10, seed: 1, epoch: 0) == [1, 6, 3, 9, 8, 0, 2, 5, 4, 7])
        #expect(DataOrder.permutation(count: 10, seed: 42, epoch: 3) == [3, 6, 4, 9, 2, 8, 7, 1, 0, 5])
        #expect(DataOrder.permutation(count: 7, seed: 42, epoch: -1) == [4, 2, 3, 1, 0, 6, 5])
        // The validation split takes the first round(7 * 0.3) = 2 of epoch -1's order.
        let split = DataOrder.split(count: 7, validationFraction: 0.3, seed: 42)
        #expect(split.validation == [2, 4])
        #expect(split.train == [0, 1, 3, 5, 6])
    }

    @Test("The generator is SplitMix64")
    func splitMix() {
        var generator = SplitMix.Generator(seed: 1234567)
        // Reference values of SplitMix64 seeded with 1234567.
        #expect(generator.next() == 6_457_827_717_110_365_317)
        #expect(generator.next() == 3_203_168_211_198_807_973)
    }

    @Test("Validation split: the requested size, disjoint, covering, stable")
    func split() {
        let (train, validation) = DataOrder.split(count: 50, validationFraction: 0.2, seed: 9)
        #expect(validation.count == 10 && train.count == 40)
        #expect(Set(train).isDisjoint(with: validation) && (train + validation).sorted() == Array(0..<50))
        #expect(DataOrder.split(count: 50, validationFraction: 0.2, seed: 9).validation == validation)
        #expect(DataOrder.split(count: 5, validationFraction: 0, seed: 9).validation.isEmpty)
    }
}
