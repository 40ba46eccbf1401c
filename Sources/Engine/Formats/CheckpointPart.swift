/// The named parts of a training checkpoint: what was trained, as raw float32, and AdamW's two
/// moments for it. Trainers write them and serving reads the weights back by these names.
public enum CheckpointPart: String, Sendable, CaseIterable {
    /// Every weight of the model (full fine-tuning).
    case params
    /// An adapter's weights (LoRA's matrices or a prefix tuning's table; named `lora` since
    /// LoRA came first, and kept so for the checkpoints stored so), with any head trained beside them.
    case lora
    /// AdamW's first moment, then its second, of whichever was trained.
    case m, v

    /// The part holding the weights: `lora` for an adapter, else `params`.
    public static func weights(adapter: Bool) -> CheckpointPart { adapter ? .lora : .params }
}
