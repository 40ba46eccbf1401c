"""transformers side of bench/generate: SmolLM2 from the same GGUF (dequantized to float32),
torch.set_num_threads(THREADS), the same prompt ids as anneal-bench (the same generator), a
prefill, then NEW greedy tokens one at a time with the KV cache. Prints one key=value line.

    python torch_bench.py GGUF_FOLDER GGUF_NAME PROMPT NEW THREADS
"""
import os
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM

folder, name, prompt, new, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()

state, ids = 99, []
for _ in range(prompt):  # anneal-bench's generator: a 64-bit LCG, id 100 + (state >> 33) % 40000
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    ids.append(100 + (state >> 33) % 40000)

with torch.inference_mode():
    model(torch.tensor([ids[:4]]))  # warm-up
    start = time.perf_counter()
    out = model(torch.tensor([ids]), use_cache=True)
    prefill = time.perf_counter() - start
    past, token = out.past_key_values, out.logits[0, -1].argmax()
    out = model(token.view(1, 1), past_key_values=past, use_cache=True)
    past = out.past_key_values
    start = time.perf_counter()
    for _ in range(1, new):
        token = out.logits[0, -1].argmax()
        out = model(token.view(1, 1), past_key_values=past, use_cache=True)
        past = out.past_key_values
    decode = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"engine=transformers mode=generate prompt={prompt} new={new} prefill_s={prefill:.3f} "
      f"decode_tokens_per_s={(new - 1) / decode:.2f} peak_rss_mib={rss}")
