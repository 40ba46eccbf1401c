import JSON
import Tensor

extension PrefixTuning {
    /// The adapter as a PEFT folder's two files, for `PeftModel.from_pretrained` on `base`:
    /// `adapter_config.json` (PREFIX_TUNING, in inference mode) and `adapter_model.safetensors`
    /// with `prompt_embeddings`, the table (P, L·2·D) (made through the projection when there is
    /// one: PEFT too saves the table, and loads it as a plain one), and the saved head as
    /// `base_model.<name>`.
    public func peftFiles(base: String) -> (config: JSONValue, weights: SafeTensorsWriter) {
        var savedModules: [String] = []
        for (name, _, _) in savedTensors {
            let module = String(name.split(separator: ".").dropLast().joined(separator: "."))
            if !savedModules.contains(module) { savedModules.append(module) }
        }
        let config: JSONValue = [
            "peft_type": "PREFIX_TUNING", "task_type": .string(layout.taskType), "base_model_name_or_path": .string(base),
            "num_virtual_tokens": .int(Int64(virtualTokens)), "token_dim": .int(Int64(layout.width)),
            "num_layers": .int(Int64(layout.layers)), "num_attention_heads": .int(Int64(layout.heads)),
            "num_transformer_submodules": 1, "encoder_hidden_size": .int(Int64(hidden)),
            "prefix_projection": .bool(self.config.projection), "inference_mode": true,
            "modules_to_save": savedModules.isEmpty ? .null : .array(savedModules.map { .string($0) }),
        ]
        let P = virtualTokens, R = layout.rowWidth
        var writer = SafeTensorsWriter(metadata: ["format": "pt"], keeping: self)
        if self.config.projection {
            writer.add("prompt_embeddings", shape: [P, R]) { out in
                let table = self.pass()
                withExtendedLifetime(table) { out.baseAddress!.update(from: table.table, count: P * R) }
            }
        } else {
            writer.add("prompt_embeddings", borrowing: UnsafeBufferPointer(start: params.pointer, count: P * R), shape: [P, R])
        }
        for (name, shape, _) in savedTensors {
            writer.add("base_model." + name, borrowing: UnsafeBufferPointer(start: saved(name)!, count: shape.reduce(1, *)), shape: shape)
        }
        return (config, writer)
    }
}
