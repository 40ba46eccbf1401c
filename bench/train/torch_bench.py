#!/usr/bin/env python3
"""PyTorch side of bench/train and bench/infer: the same work as anneal-bench on the same
random token ids recipe, printing one `key=value` line.

    torch_bench.py train|infer|onnx MODEL_DIR B T STEPS [THREADS]
"""
import resource
import sys
import time

import numpy as np
import torch

mode, folder, B, T, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)
rng = np.random.default_rng(12345)


def batch():
    ids = rng.integers(1000, 21000, size=(B, T))
    ids[:, 0], ids[:, -1] = 101, 102
    return torch.tensor(ids), torch.ones(B, T, dtype=torch.long), torch.tensor(rng.integers(0, 2, size=B))


def flops_per_step(config, training):
    C, L, FF, NH = config.hidden_size, config.num_hidden_layers, config.intermediate_size, config.num_attention_heads
    N = B * T
    forward = L * (2 * N * C * 3 * C + 2 * N * C * C + 2 * 2 * N * C * FF + 4 * B * T * T * C)
    return forward * (3 if training else 1)


if mode == "onnx":
    import onnxruntime as ort
    from transformers import BertModel
    model = BertModel.from_pretrained(folder).eval()
    path = "/tmp/anneal-bench-minilm.onnx"
    ids, mask, _ = batch()

    class Encoder(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    torch.onnx.export(Encoder(model), (ids, mask), path, input_names=["input_ids", "attention_mask"],
                      output_names=["hidden"], dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}},
                      opset_version=17, dynamo=False)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    run = lambda: session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy()})
    config = model.config
    training = False
else:
    from transformers import BertForSequenceClassification
    training = mode == "train"
    model = BertForSequenceClassification.from_pretrained(folder, num_labels=2)
    model.train(training)
    config = model.config
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)

    def run():
        ids, mask, labels = batch()
        if training:
            optimizer.zero_grad(set_to_none=False)
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        else:
            with torch.inference_mode():
                model(input_ids=ids, attention_mask=mask)

run()  # warm-up
latencies = []
start = time.perf_counter()
for _ in range(steps):
    t0 = time.perf_counter()
    run()
    latencies.append(time.perf_counter() - t0)
elapsed = time.perf_counter() - start
latencies.sort()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"engine={'onnxruntime' if mode == 'onnx' else 'pytorch'} mode={mode} B={B} T={T} steps={steps} "
      f"samples_per_s={steps * B / elapsed:.3f} p50_ms={latencies[len(latencies) // 2] * 1000:.3f} "
      f"p99_ms={latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1000:.3f} "
      f"gemm_gflops={flops_per_step(config, training) * steps / elapsed / 1e9:.3f} peak_rss_mib={peak}")
