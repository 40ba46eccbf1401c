import Engine
import JSON
import Tokenizers

/// One tokenized, labelled example: ids and token types truncated at `max_seq_length`.
public struct ClassificationExample: Sendable, Equatable {
    public var ids: [Int32]
    public var types: [Int32]
    public var label: Int32
}

/// A classification job's data: `{text[, text_pair], label}` records mapped to label ids (the
/// label set sorted from the training file, or fixed by `hyperparameters.labels`), tokenized
/// once, split into training and validation examples.
public struct ClassificationDataset: Sendable {
    public struct Record: Sendable, Equatable {
        public var line: Int
        public var text: String
        public var pair: String?
        public var label: String
    }

    public var labels: [String]
    public var train: [ClassificationExample]
    public var validation: [ClassificationExample]
    public var padID: Int32
    /// Each example's token count before truncation, in the order of `train` and `validation`.
    public var trainLengths: [Int] = []
    public var validationLengths: [Int] = []

    /// Parses and tokenizes the files. The validation examples come from `validation` when given,
    /// else a seeded `validation_split` of the training file. An unknown label fails with its line.
    public init(training: [UInt8], validation: [UInt8]?, arguments: TrainingArguments, tokenizer: Tokenizer) throws(DatasetProblem) {
        let trainRecords = try Self.records(training)
        guard !trainRecords.isEmpty else { throw DatasetProblem(line: 0, reason: "the training file has no examples") }
        let labelSet = arguments.labels ?? Self.labelSet(trainRecords.map(\.label))
        guard labelSet.count >= 2 else { throw DatasetProblem(line: 0, reason: "classification needs at least 2 labels, found \(labelSet.count)") }
        labels = labelSet
        var ids: [String: Int32] = [:]
        for (i, label) in labelSet.enumerated() { ids[label] = Int32(i) }
        var whole = tokenizer
        whole.truncation = nil
        whole.padding = nil
        var truncating = whole
        truncating.truncation = Truncation(maxLength: arguments.maxSeqLength)
        /// Examples and their untruncated lengths; only the examples too long are encoded twice.
        func encode(_ records: [Record], file: String) throws(DatasetProblem) -> ([ClassificationExample], [Int]) {
            var examples: [ClassificationExample] = [], lengths: [Int] = []
            examples.reserveCapacity(records.count)
            lengths.reserveCapacity(records.count)
            for record in records {
                guard let label = ids[record.label] else {
                    throw DatasetProblem(line: record.line, reason: "\(file): label \"\(record.label)\" is not among the labels \(labelSet)")
                }
                var encoding = whole.encode(record.text, pair: record.pair)
                lengths.append(encoding.ids.count)
                if encoding.ids.count > arguments.maxSeqLength { encoding = truncating.encode(record.text, pair: record.pair) }
                examples.append(ClassificationExample(ids: encoding.ids.map(Int32.init), types: encoding.typeIDs.map(Int32.init), label: label))
            }
            return (examples, lengths)
        }
        if let validation {
            let validationRecords = try Self.records(validation)
            (train, trainLengths) = try encode(trainRecords, file: "training file")
            (self.validation, validationLengths) = try encode(validationRecords, file: "validation file")
        } else {
            let split = DataOrder.split(count: trainRecords.count, validationFraction: arguments.validationSplit, seed: arguments.seed)
            (train, trainLengths) = try encode(split.train.map { trainRecords[$0] }, file: "training file")
            (self.validation, validationLengths) = try encode(split.validation.map { trainRecords[$0] }, file: "training file")
        }
        padID = Int32(tokenizer.padding?.padID ?? tokenizer.id(of: "[PAD]") ?? 0)
    }

    /// Token counts of one file's examples: nearest-rank percentiles, the longest, and how many
    /// truncation at `maxLength` shortens. Empty lengths give an empty summary.
    public static func lengthSummary(_ lengths: [Int], maxLength: Int) -> JSONObject {
        guard !lengths.isEmpty else { return [:] }
        let sorted = lengths.sorted()
        func percentile(_ p: Int) -> JSONValue { .int(Int64(sorted[max(0, (p * sorted.count + 99) / 100 - 1)])) }
        return ["p50": percentile(50), "p90": percentile(90), "p95": percentile(95), "p99": percentile(99),
                "max": .int(Int64(sorted.last!)), "truncated": .int(Int64(lengths.filter { $0 > maxLength }.count)),
                "max_seq_length": .int(Int64(maxLength))]
    }

    /// The records of a JSONL file, with 1-based line numbers; labels as strings or integers.
    public static func records(_ bytes: [UInt8]) throws(DatasetProblem) -> [Record] {
        var records: [Record] = []
        for (line, text) in JSONLines.lines(bytes) {
            let value: JSONValue
            do { value = try JSONValue(parsing: text) } catch { throw DatasetProblem(line: line, reason: "invalid JSON: \(error)") }
            guard let body = value["text"]?.string else { throw DatasetProblem(line: line, reason: "\"text\" must be a string") }
            let pair = value["text_pair"]?.string
            if value["text_pair"] != nil, pair == nil { throw DatasetProblem(line: line, reason: "\"text_pair\" must be a string") }
            guard let label = value["label"]?.string ?? value["label"]?.int.map(String.init), !label.isEmpty else {
                throw DatasetProblem(line: line, reason: "\"label\" must be a non-empty string or an integer")
            }
            records.append(Record(line: line, text: body, pair: pair, label: label))
        }
        return records
    }

    /// Sorted and stable: numerically when every label is an integer, else by UTF-8 bytes.
    public static func labelSet(_ labels: [String]) -> [String] {
        let keys = Array(Set(labels))
        let numbers = keys.compactMap { Int($0) }
        if numbers.count == keys.count { return numbers.sorted().map(String.init) }
        return keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    /// The examples at `indices` padded on the right to the longest of them (dynamic padding).
    public func batch(_ examples: [ClassificationExample], _ indices: ArraySlice<Int>) -> BertBatch {
        let B = indices.count
        let T = max(1, indices.map { examples[$0].ids.count }.max() ?? 1)
        var ids = [Int32](repeating: padID, count: B * T)
        var types = [Int32](repeating: 0, count: B * T)
        var mask = [Int32](repeating: 0, count: B * T)
        var labels: [Int32] = []
        for (row, index) in indices.enumerated() {
            let example = examples[index]
            for t in 0..<example.ids.count {
                ids[row * T + t] = example.ids[t]
                types[row * T + t] = example.types[t]
                mask[row * T + t] = 1
            }
            labels.append(example.label)
        }
        return BertBatch(B: B, T: T, ids: ids, types: types, mask: mask, labels: labels)
    }
}
