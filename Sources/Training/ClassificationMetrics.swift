import JSON

/// Evaluation of a classifier: accuracy, per-class precision/recall/F1 with their macro and
/// support-weighted averages, and the confusion matrix (rows are true labels, columns
/// predictions), as scikit-learn's `classification_report` defines them (a 0/0 ratio is 0).
public struct ClassificationMetrics: Sendable, Equatable {
    public struct ClassScores: Sendable, Equatable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public let labels: [String]
    public let confusion: [[Int]]
    public let perClass: [ClassScores]
    public let accuracy: Double
    public let macro: (precision: Double, recall: Double, f1: Double)
    public let weighted: (precision: Double, recall: Double, f1: Double)

    /// `truth` and `predicted` are label indices into `labels`.
    public init(labels: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "one prediction per example")
        let k = labels.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        var perClass: [ClassScores] = []
        for c in 0..<k {
            let truePositives = confusion[c][c]
            let predictedCount = (0..<k).reduce(0) { $0 + confusion[$1][c] }
            let support = confusion[c].reduce(0, +)
            let precision = ClassificationMetrics.ratio(truePositives, predictedCount)
            let recall = ClassificationMetrics.ratio(truePositives, support)
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perClass.append(ClassScores(precision: precision, recall: recall, f1: f1, support: support))
        }
        let total = truth.count
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        let count = Double(max(k, 1))
        let macro = (perClass.reduce(0) { $0 + $1.precision } / count,
                     perClass.reduce(0) { $0 + $1.recall } / count,
                     perClass.reduce(0) { $0 + $1.f1 } / count)
        func weightedMean(_ value: (ClassScores) -> Double) -> Double {
            total == 0 ? 0 : perClass.reduce(0) { $0 + value($1) * Double($1.support) } / Double(total)
        }
        self.labels = labels
        self.confusion = confusion
        self.perClass = perClass
        self.accuracy = ClassificationMetrics.ratio(correct, total)
        self.macro = macro
        self.weighted = (weightedMean(\.precision), weightedMean(\.recall), weightedMean(\.f1))
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    public static func == (a: ClassificationMetrics, b: ClassificationMetrics) -> Bool {
        a.labels == b.labels && a.confusion == b.confusion
    }

    /// The metric names HF's Trainer reports (`accuracy`, `f1_macro`, ...), for `metric_for_best_model`.
    public var scalars: [(String, Double)] {
        [("accuracy", accuracy), ("precision_macro", macro.precision), ("recall_macro", macro.recall), ("f1_macro", macro.f1),
         ("precision_weighted", weighted.precision), ("recall_weighted", weighted.recall), ("f1_weighted", weighted.f1)]
    }

    /// Scalars, per-class scores and the confusion matrix as JSON, for metrics events and the API.
    public var json: JSONValue {
        var object = JSONObject()
        for (name, value) in scalars { object[name] = .double(value) }
        var classes = JSONObject()
        for (label, scores) in zip(labels, perClass) {
            classes[label] = ["precision": .double(scores.precision), "recall": .double(scores.recall),
                              "f1": .double(scores.f1), "support": .int(Int64(scores.support))]
        }
        object["per_class"] = .object(classes)
        object["confusion_matrix"] = ["labels": .array(labels.map(JSONValue.string)),
                                      "counts": .array(confusion.map { .array($0.map { .int(Int64($0)) }) })]
        return .object(object)
    }
}
