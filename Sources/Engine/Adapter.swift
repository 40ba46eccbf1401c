import JSON
import Tensor

/// What a parameter-efficient fine-tune trains over a frozen base that stays shared: LoRA's
/// low-rank updates or prefix tuning's keys and values, with the whole tensors kept beside
/// them (a classifier head: PEFT's `modules_to_save`).
public protocol Adapter: AnyObject, Sendable {
    /// The adapter's weights, gradients and AdamW moments, one layout.
    var trained: TrainedParameters { get }
    var savedTensors: [(name: String, shape: [Int], decay: Bool)] { get }
    /// The saved tensor `name` in `arena` (the parameters by default).
    func saved(_ name: String, in arena: Arena?) -> UnsafeMutablePointer<Float>?
    /// The adapter as a PEFT folder: `adapter_config.json` and `adapter_model.safetensors`.
    func peftFiles(base: String) -> (config: JSONValue, weights: SafeTensorsWriter)
}

extension Adapter {
    public var params: Arena { trained.params }
    public var grads: Arena { trained.grads }
}

/// AdamW's groups of an adapter's own parameters (`groups`, from offset 0) followed by the
/// `saved` whole tensors, each saved tensor's offset, and the arena's size.
func withSavedTensors(_ groups: [(range: Range<Int>, decay: Bool)], _ saved: [(name: String, shape: [Int], decay: Bool)])
    -> (groups: [(range: Range<Int>, decay: Bool)], offsets: [String: Int], total: Int) {
    var groups = groups, total = groups.last?.range.upperBound ?? 0, offsets: [String: Int] = [:]
    for (name, shape, decay) in saved {
        offsets[name] = total
        groups.append((total..<(total + shape.reduce(1, *)), decay))
        total += shape.reduce(1, *)
    }
    return (groups, offsets, total)
}

extension LoRA: Adapter {}
extension PrefixTuning: Adapter {}
