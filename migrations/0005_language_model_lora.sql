-- Language-model jobs without `lora` in their hyperparameters were LoRA fine-tunes (r 8 on the
-- model's default modules) until full fine-tuning came; from now on its absence means full.
-- The jobs and models made before keep meaning LoRA: they get an empty `lora` (the defaults).
UPDATE fine_tuning_job SET hyperparameters = hyperparameters || '{"lora": {}}'::jsonb
WHERE architecture = 'gguf' AND NOT hyperparameters ? 'lora';
