/// What a language model's loss makes of its scored tokens (the rows whose target is not -100):
/// the mean cross-entropy of supervised fine-tuning, or any loss of the tokens' log-probabilities
/// (DPO and ORPO sum or average them per sequence, then compare sequences).
public enum TokenObjective {
    /// Cross-entropy averaged over the scored tokens, its gradient scaled by `dloss`.
    case mean(dloss: Float)
    /// `loss` gets each scored token's log-probability of its target, in row order, and returns
    /// the objective's value and its derivative with respect to each of those log-probabilities.
    case custom(_ loss: (_ logps: [Float]) -> (value: Float, dlogps: [Float]))
}
