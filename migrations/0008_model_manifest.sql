-- A fine-tuned model describes itself: its manifest (kind, base and architecture, adapter
-- settings, labels, the tensors trained beside an adapter, the checkpoint part holding the
-- weights) is written once when its job succeeds, so serving never re-reads the job. Rows made
-- before are described from their job, as the code that served them read it: a job with `lora`
-- in its hyperparameters made a LoRA fine-tune (an empty or null `lora` means PEFT's defaults),
-- and a LoRA classifier trained its head beside the adapter. The labels move into the manifest.
ALTER TABLE model ADD COLUMN manifest jsonb;
UPDATE model m SET manifest = described.manifest FROM (
    SELECT m2.id, jsonb_build_object(
        'kind', CASE WHEN m2.labels IS NOT NULL THEN 'classifier' ELSE 'causal_lm' END,
        'base', m2.base_model,
        'architecture', coalesce(j.architecture, CASE WHEN m2.labels IS NOT NULL THEN 'bert' ELSE 'gguf' END),
        'adapter', CASE
            WHEN jsonb_typeof(j.hyperparameters -> 'lora') = 'object' THEN (j.hyperparameters -> 'lora') || '{"type": "lora"}'
            WHEN j.hyperparameters ? 'lora' THEN '{"type": "lora"}'::jsonb
            ELSE 'null'::jsonb END,
        'labels', coalesce(m2.labels, '[]'::jsonb),
        'head', CASE WHEN m2.labels IS NOT NULL AND j.hyperparameters ? 'lora'
            THEN '["classifier.weight", "classifier.bias"]'::jsonb ELSE '[]'::jsonb END,
        'parts', jsonb_build_object('weights', CASE WHEN j.hyperparameters ? 'lora' THEN 'lora' ELSE 'params' END)
    ) AS manifest
    FROM model m2 LEFT JOIN fine_tuning_job j ON j.id = m2.job_id
) described
WHERE described.id = m.id;
ALTER TABLE model
    ALTER COLUMN manifest SET NOT NULL,
    ADD CONSTRAINT model_manifest_kind CHECK (manifest ->> 'kind' IN ('classifier', 'causal_lm')),
    DROP CONSTRAINT model_labels_array,
    DROP COLUMN labels;
