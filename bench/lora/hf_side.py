"""The reference side of bench/lora: transformers.Trainer with PEFT LoRA on the same conversations,
tokenized as Anneal tokenizes them. Run by bench/lora/run under the reference venv; prints one JSON line.

Each conversation is rendered in pieces as Anneal's ChatTemplate.segments renders it (the
template's default system turn, then per turn "<|im_start|>role\\n", "content<|im_end|>" and
"\\n"), each piece tokenized on its own (special tokens only on the first), cut at
max_seq_length; labels are the ids of the assistant pieces and -100 elsewhere (completion-only
loss). Padding to the batch's longest with -100 labels, HF's default order and schedule.
"""
import json
import os
import sys
import time

import torch
import transformers
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec["threads"])
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    transformers.set_seed(spec["seed"])
    started = time.monotonic()
    folder, name = os.path.dirname(spec["gguf"]), os.path.basename(spec["gguf"])
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # Dequantized to float32 at load, but still marked quantized, which the Trainer refuses.
    model.hf_quantizer, model.is_quantized = None, False
    hyper, lora = spec["hyper"], spec["lora"]
    model = get_peft_model(model, LoraConfig(r=lora["r"], lora_alpha=lora["lora_alpha"], target_modules=lora["target_modules"],
                                             lora_dropout=0.0, task_type="CAUSAL_LM"))
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": "Q"}], tokenize=False)
    system = rendered[:rendered.index("<|im_start|>user")]

    def encode(path):
        rows = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                pieces = [(system, False)] if system else []
                for message in json.loads(line)["messages"]:
                    pieces += [(f"<|im_start|>{message['role']}\n", False), (message["content"] + "<|im_end|>", message["role"] == "assistant"),
                               ("\n", False)]
                ids, labels = [], []
                for index, (text, counted) in enumerate(pieces):
                    piece = tokenizer(text, add_special_tokens=index == 0)["input_ids"]
                    ids += piece
                    labels += piece if counted else [-100] * len(piece)
                ids, labels = ids[:hyper["max_seq_length"]], labels[:hyper["max_seq_length"]]
                rows.append({"input_ids": ids, "labels": labels})
        return rows

    train, valid = encode(spec["train"]), encode(spec["validation"])
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    def collate(rows):
        T = max(len(r["input_ids"]) for r in rows)
        return {"input_ids": torch.tensor([r["input_ids"] + [pad] * (T - len(r["input_ids"])) for r in rows]),
                "attention_mask": torch.tensor([[1] * len(r["input_ids"]) + [0] * (T - len(r["input_ids"])) for r in rows]),
                "labels": torch.tensor([r["labels"] + [-100] * (T - len(r["labels"])) for r in rows])}

    args = TrainingArguments(output_dir=spec["output_dir"], seed=spec["seed"], data_seed=spec["seed"], report_to="none",
                             disable_tqdm=True, dataloader_pin_memory=False, remove_unused_columns=False,
                             **{k: v for k, v in hyper.items() if k != "max_seq_length"})
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=valid, data_collator=collate)
    setup = time.monotonic() - started
    started = time.monotonic()
    trainer.train()  # eval_strategy "epoch": the final evaluation is inside, as in Anneal's job
    wall = time.monotonic() - started
    # The validation loss as Anneal reports it: the mean over every scored token (HF's eval_loss
    # averages per-batch means), untimed.
    model.eval()
    total, scored = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(valid), 16):
            batch = collate(valid[start:start + 16])
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits[:, :-1]
            targets = batch["labels"][:, 1:]
            losses = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                                       ignore_index=-100, reduction="sum")
            total, scored = total + losses.item(), scored + int((targets != -100).sum())
    tokens = sum(len(r["input_ids"]) for r in train) * hyper["num_train_epochs"]
    print(json.dumps({"wall_s": wall, "setup_s": setup, "validation_loss": total / scored, "train_tokens": tokens,
                      "steps": trainer.state.global_step, "transformers": transformers.__version__}))


if __name__ == "__main__":
    main()
