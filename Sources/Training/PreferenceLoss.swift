import Engine
import Platform

/// The preference losses as TRL 1.16 computes them, from the log-probabilities of the tokens of
/// B pairs stacked as 2B sequences (the chosen answers, then the rejected ones):
///
/// - DPO (`DPOTrainer`, Rafailov et al. 2023, eq. 7): with summed completion log-probabilities
///   and Δ = (π(y_w) − π_ref(y_w)) − (π(y_l) − π_ref(y_l)): `sigmoid` −log σ(βΔ), `hinge`
///   relu(1 − βΔ), `ipo` (Δ_w/|y_w| − Δ_l/|y_l| − 1/(2β))², `robust` the sigmoid loss corrected
///   for a fraction ε of flipped labels; the mean over the pairs.
/// - ORPO (`ORPOTrainer`): the chosen sequences' mean token cross-entropy (prompt and answer,
///   as TRL takes it) minus β times the mean of log σ(log-odds), where the odds compare the mean
///   completion log-probabilities: log(p_w/(1−p_w)) − log(p_l/(1−p_l)) with log p the mean.
///
/// Metrics carry TRL's names: `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`,
/// `rewards/margins`, `logps/chosen`, `logps/rejected` (ORPO adds `nll_loss`, `log_odds_ratio`
/// and `log_odds_chosen`; its rewards are β times the mean log-probabilities).
public struct PreferenceLoss: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case sigmoid, ipo, hinge, robust, orpo }
    public var kind: Kind
    public var beta: Double
    /// ε of the robust loss (Chowdhury et al. 2024): the fraction of pairs assumed flipped.
    public var labelSmoothing = 0.0

    public init(_ kind: Kind, beta: Double) { (self.kind, self.beta) = (kind, beta) }

    /// Where each scored token belongs, in the order the model scores them (row by row).
    public struct Tokens: Sendable {
        /// The sequence of each scored token (0..<B chosen, B..<2B rejected).
        public var sequence: [Int] = []
        /// Whether it is a token of the answer (false: a prompt token, scored for ORPO's NLL only).
        public var completion: [Bool] = []
        public init() {}
    }

    public struct Result: Sendable {
        public var loss: Double
        /// d loss / d log p of each scored token.
        public var dlogps: [Float]
        public var metrics: [(String, Double)]
        /// The policy's summed answer log-probabilities, per sequence (what DPO's reference stores).
        public var sequenceLogps: [Double]
    }

    /// The loss of B pairs from `logps` (one per scored token, laid out as `tokens`); DPO needs
    /// the reference's summed answer log-probabilities per sequence (`reference`, 2B values).
    public func evaluate(logps: [Float], tokens: Tokens, pairs B: Int, reference: [Double]?) -> Result {
        precondition(logps.count == tokens.sequence.count, "PreferenceLoss: \(logps.count) log-probabilities for \(tokens.sequence.count) tokens")
        var sums = [Double](repeating: 0, count: 2 * B), counts = [Int](repeating: 0, count: 2 * B)
        var nllSum = 0.0, nllCount = 0
        for (i, logp) in logps.enumerated() {
            let s = tokens.sequence[i]
            if tokens.completion[i] { sums[s] += Double(logp); counts[s] += 1 }
            if s < B { nllSum -= Double(logp); nllCount += 1 }
        }
        var dSequence = [Double](repeating: 0, count: 2 * B)  // d loss / d (summed answer log-probability)
        var loss = 0.0, metrics: [(String, Double)] = []
        let b = Double(B)
        if kind == .orpo {
            var ratio = 0.0, odds = 0.0, chosen = 0.0, rejected = 0.0, wins = 0.0
            for p in 0..<B {
                let (w, l) = (sums[p] / Double(max(counts[p], 1)), sums[B + p] / Double(max(counts[B + p], 1)))
                let logOdds = (w - l) - (Self.log1mexp(w) - Self.log1mexp(l))
                loss -= beta * Self.logSigmoid(logOdds) / b
                // d(−β log σ(x))/dx = −β σ(−x); dx/dw = 1/(1 − e^w), dx/dl = −1/(1 − e^l).
                let dx = -beta * Self.sigmoid(-logOdds) / b
                dSequence[p] = dx / -Math.expm1(w) / Double(max(counts[p], 1))
                dSequence[B + p] = -dx / -Math.expm1(l) / Double(max(counts[B + p], 1))
                ratio += Self.logSigmoid(logOdds) / b
                odds += logOdds / b
                (chosen, rejected) = (chosen + w / b, rejected + l / b)
                if w > l { wins += 1 / b }
            }
            let nll = nllSum / Double(max(nllCount, 1))
            loss += nll
            metrics = [("rewards/chosen", beta * chosen), ("rewards/rejected", beta * rejected), ("rewards/accuracies", wins),
                       ("rewards/margins", beta * (chosen - rejected)), ("logps/chosen", chosen), ("logps/rejected", rejected),
                       ("nll_loss", nll), ("log_odds_ratio", ratio), ("log_odds_chosen", odds)]
        } else {
            guard let reference else { preconditionFailure("PreferenceLoss: DPO needs the reference's log-probabilities") }
            var chosenReward = 0.0, rejectedReward = 0.0, wins = 0.0, chosen = 0.0, rejected = 0.0
            for p in 0..<B {
                let w = sums[p] - reference[p], l = sums[B + p] - reference[B + p], delta = w - l
                let (dw, dl): (Double, Double)
                switch kind {
                case .sigmoid:
                    loss -= Self.logSigmoid(beta * delta) / b
                    let d = -beta * Self.sigmoid(-beta * delta) / b
                    (dw, dl) = (d, -d)
                case .robust:
                    // ((1 − ε)·(−log σ(βΔ)) + ε·log σ(−βΔ)) / (1 − 2ε)
                    let e = labelSmoothing, x = beta * delta
                    loss += ((1 - e) * -Self.logSigmoid(x) + e * Self.logSigmoid(-x)) / (1 - 2 * e) / b
                    let d = (-(1 - e) * Self.sigmoid(-x) - e * Self.sigmoid(x)) * beta / (1 - 2 * e) / b
                    (dw, dl) = (d, -d)
                case .hinge:
                    let margin = 1 - beta * delta
                    loss += max(0, margin) / b
                    (dw, dl) = margin > 0 ? (-beta / b, beta / b) : (0, 0)
                case .ipo:
                    let (nw, nl) = (Double(max(counts[p], 1)), Double(max(counts[B + p], 1)))
                    let gap = w / nw - l / nl - 1 / (2 * beta)
                    loss += gap * gap / b
                    (dw, dl) = (2 * gap / nw / b, -2 * gap / nl / b)
                case .orpo:
                    preconditionFailure()
                }
                (dSequence[p], dSequence[B + p]) = (dw, dl)
                chosenReward += beta * w / b
                rejectedReward += beta * l / b
                if beta * w > beta * l { wins += 1 / b }
                (chosen, rejected) = (chosen + sums[p] / b, rejected + sums[B + p] / b)
            }
            metrics = [("rewards/chosen", chosenReward), ("rewards/rejected", rejectedReward), ("rewards/accuracies", wins),
                       ("rewards/margins", chosenReward - rejectedReward), ("logps/chosen", chosen), ("logps/rejected", rejected)]
        }
        var dlogps = [Float](repeating: 0, count: logps.count)
        for i in 0..<logps.count {
            let s = tokens.sequence[i]
            var d = tokens.completion[i] ? dSequence[s] : 0
            if kind == .orpo && s < B { d -= 1 / Double(max(nllCount, 1)) }
            dlogps[i] = Float(d)
        }
        return Result(loss: loss, dlogps: dlogps, metrics: metrics, sequenceLogps: sums)
    }

    static func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)) }
    /// log σ(x) = −log(1 + e^−x), without overflow.
    static func logSigmoid(_ x: Double) -> Double { x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)) }
    /// log(1 − e^x) for x < 0, as torch.log1p(-torch.exp(x)).
    static func log1mexp(_ x: Double) -> Double { Math.log1p(-Math.exp(x)) }
}
