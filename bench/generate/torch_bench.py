"""transformers side of bench/generate: SmolLM2 from the same GGUF (dequantized to float32),
torch.set_num_threads(THREADS), the same token ids as anneal-bench (the same generator).
Prints one key=value line.

    python torch_bench.py generate FOLDER NAME THREADS PROMPT NEW     prefill, then NEW greedy tokens
    python torch_bench.py lora FOLDER NAME THREADS B T STEPS          PEFT LoRA training steps
    python torch_bench.py dpo FOLDER NAME THREADS B T STEPS           TRL DPOTrainer steps, PEFT LoRA, B pairs
    python torch_bench.py adapters FOLDER NAME THREADS PROMPT COUNT   resident memory with adapters
"""
import os
import resource
import sys
import time

import torch
from transformers import AutoModelForCausalLM

mode, folder, name, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
numbers = [int(x) for x in sys.argv[5:]]
torch.set_num_threads(threads)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()


def bench_ids(count, seed):  # anneal-bench's generator: a 64-bit LCG, id 100 + (state >> 33) % 40000
    state, ids = seed, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        ids.append(100 + (state >> 33) % 40000)
    return ids


def resident_mib(peak):
    if peak:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS:")).split()[1]) // 1024


def generate(prompt, new):
    ids = bench_ids(prompt, 99)
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
    print(f"engine=transformers mode=generate prompt={prompt} new={new} prefill_s={prefill:.3f} "
          f"decode_tokens_per_s={(new - 1) / decode:.2f} peak_rss_mib={resident_mib(True)}")


def timed_training(loss, trainable, steps):
    """Seconds `steps` AdamW steps (lr 1e-4, gradients clipped at 1) on `loss()` take, after a warm-up step."""
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.0)

    def step():
        loss().backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad()
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return time.perf_counter() - start


def lora(B, T, steps):
    from peft import LoraConfig, get_peft_model
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0,
                                            task_type="CAUSAL_LM"))
    peft.train()
    trainable = [p for p in peft.parameters() if p.requires_grad]
    ids = torch.tensor(bench_ids(B * T, 5)).view(B, T)
    seconds = timed_training(lambda: peft(input_ids=ids, labels=ids).loss, trainable, steps)
    print(f"engine=peft mode=lora B={B} T={T} steps={steps} trainable={sum(p.numel() for p in trainable)} "
          f"tokens_per_s={B * T * steps / seconds:.1f} peak_rss_mib={resident_mib(True)}")


def dpo(B, T, steps):
    """TRL's DPOTrainer with PEFT LoRA (the reference is the model with its adapters off), its
    loss computed on the same pairs as anneal-bench's; AdamW at 1e-4, gradients clipped at 1."""
    import logging
    import warnings
    warnings.filterwarnings("ignore")
    logging.getLogger("trl").setLevel(logging.ERROR)
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoTokenizer
    from trl import DPOConfig, DPOTrainer
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    # The GGUF weights are dequantized to float32 at load, but the model still says it is
    # quantized, which the Trainer refuses; it is a plain float32 model.
    model.hf_quantizer, model.is_quantized = None, False
    arguments = DPOConfig(output_dir="/tmp/anneal-bench-dpo", report_to=[], use_cpu=True, bf16=False, gradient_checkpointing=False,
                          per_device_train_batch_size=B, beta=0.1, loss_type=["sigmoid"], max_length=None)
    trainer = DPOTrainer(model=model, args=arguments, processing_class=tokenizer,
                         train_dataset=Dataset.from_dict({"prompt": ["a"], "chosen": [" b"], "rejected": [" c"]}),
                         peft_config=LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], lora_dropout=0.0,
                                                task_type="CAUSAL_LM"))
    half, prompts, answers = T // 2, bench_ids(B * (T // 2), 5), bench_ids(2 * B * (T - T // 2), 6)
    rows = [{"prompt_ids": prompts[p * half:(p + 1) * half],
             "chosen_ids": answers[p * (T - half):(p + 1) * (T - half)],
             "rejected_ids": answers[(B + p) * (T - half):(B + p + 1) * (T - half)]} for p in range(B)]
    batch = trainer.data_collator(rows)
    policy = trainer.model
    policy.train()
    trainable = [p for p in policy.parameters() if p.requires_grad]
    seconds = timed_training(lambda: trainer._compute_loss(policy, batch, return_outputs=False), trainable, steps)
    print(f"engine=trl mode=dpo B={B} T={T} steps={steps} trainable={sum(p.numel() for p in trainable)} "
          f"pairs_per_s={B * steps / seconds:.2f} tokens_per_s={2 * B * T * steps / seconds:.1f} peak_rss_mib={resident_mib(True)}")


def adapters(prompt, count):
    from peft import LoraConfig, get_peft_model
    ids = torch.tensor([bench_ids(prompt, 9)])
    with torch.inference_mode():
        model.generate(ids, max_new_tokens=8, do_sample=False)
    base = resident_mib(False)
    config = LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", lora_dropout=0.0, init_lora_weights=False, task_type="CAUSAL_LM")
    peft = get_peft_model(model, config, adapter_name="a0")
    after1 = 0
    for n in range(count):
        if n > 0:
            peft.add_adapter(f"a{n}", config)
        peft.set_adapter(f"a{n}")
        with torch.inference_mode():
            peft.generate(input_ids=ids, max_new_tokens=8, do_sample=False)
        if n == 0:
            after1 = resident_mib(False)
    print(f"engine=peft mode=adapters prompt={prompt} rss_base_mib={base} rss_1_adapter_mib={after1} "
          f"rss_{count}_adapters_mib={resident_mib(False)}")


{"generate": generate, "lora": lora, "dpo": dpo, "adapters": adapters}[mode](*numbers)
