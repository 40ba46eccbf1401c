import JSON
import Testing
import Training

@Suite("Classification metrics")
struct ClassificationMetricsTests {
    // Checked against scikit-learn 1.x classification_report on the same vectors.
    let labels = ["ant", "bird", "cat"]
    let truth = [0, 1, 2, 0, 1, 2, 0, 0]
    let predicted = [0, 2, 1, 0, 0, 2, 0, 1]

    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

    @Test("Confusion matrix and accuracy")
    func confusion() {
        let metrics = ClassificationMetrics(labels: labels, truth: truth, predicted: predicted)
        #expect(metrics.confusion == [[3, 1, 0], [1, 0, 1], [0, 1, 1]])
        #expect(close(metrics.accuracy, 4.0 / 8.0))
    }

    @Test("Per-class, macro and weighted precision, recall and F1")
    func scores() {
        let m = ClassificationMetrics(labels: labels, truth: truth, predicted: predicted)
        // ant: tp 3, predicted 4, support 4; bird: tp 0, predicted 2, support 2; cat: tp 1, predicted 2, support 2
        #expect(close(m.perClass[0].precision, 0.75) && close(m.perClass[0].recall, 0.75) && close(m.perClass[0].f1, 0.75))
        #expect(m.perClass[1].precision == 0 && m.perClass[1].recall == 0 && m.perClass[1].f1 == 0)
        #expect(close(m.perClass[2].precision, 0.5) && close(m.perClass[2].recall, 0.5) && m.perClass[2].support == 2)
        let macro: Double = 1.25 / 3
        let weightedRecall: Double = 4.0 / 8.0
        #expect(close(m.macro.precision, macro) && close(m.macro.f1, macro))
        #expect(close(m.weighted.recall, weightedRecall))
    }

    @Test("A class never predicted nor present scores zero, not NaN")
    func emptyClass() {
        let m = ClassificationMetrics(labels: ["a", "b", "c"], truth: [0, 1], predicted: [0, 1])
        #expect(m.accuracy == 1 && m.perClass[2].f1 == 0 && !m.macro.f1.isNaN)
        #expect(m.json["confusion_matrix"]?["counts"]?[2] == [0, 0, 0])
        #expect(m.json["per_class"]?["a"]?["support"] == 1)
    }
}
