"""Loads Anneal's adapter downloads (prefix tuning, LoRA) with PEFT and compares with what Anneal serves.

Run by bench/prefix/bench.py and bench/preference/bench.py with --peft PYTHON (a Python with
torch, transformers and peft), for either model or both:
- the classifier (--reviews MODEL): PeftModel.from_pretrained over all-MiniLM-L6-v2 loaded with
  the download's config.json (its labels), each validation snippet alone, against /predict with
  raw_scores: the largest logit difference;
- the language model (--chat MODEL): PeftModel.from_pretrained over SmolLM2-135M-Instruct loaded
  from its GGUF file, validation conversations rendered with the chat template, against
  /v1/completions with echo (each token's log-probability): the largest difference.
Exits 1 when either exceeds 1e-4. transformers 5.25 hides BertModel.forward's past_key_values
keyword from PEFT's check; it is put back in the signature first (docs/prefix-tuning.md).
"""
import argparse
import inspect
import io
import json
import os
import sys
import tarfile
import tempfile
import urllib.request

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch  # noqa: E402
from peft import PeftModel  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer, BertModel  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LIMIT = 1e-4


def call(url, key, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return response.read()


def download(url, key, model):
    tar = tarfile.open(fileobj=io.BytesIO(call(f"{url}/v1/models/{model}/download", key)))
    work = tempfile.mkdtemp()
    tar.extractall(work, filter="data")
    return os.path.join(work, os.listdir(work)[0])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--chat", help="a fine-tune of SmolLM2-135M-Instruct")
    p.add_argument("--reviews", help="a fine-tune of all-MiniLM-L6-v2")
    p.add_argument("--validation", nargs=2, required=True,
                   help="chatterbot's validation.jsonl (messages, or preference pairs) and Rotten Tomatoes' (or -)")
    p.add_argument("--count", type=int, default=16)
    opts = p.parse_args()
    torch.set_num_threads(2)
    signature = inspect.signature(BertModel.forward)
    if "past_key_values" not in signature.parameters:
        parameters = list(signature.parameters.values())
        parameters.insert(-1, inspect.Parameter("past_key_values", inspect.Parameter.KEYWORD_ONLY, default=None))
        BertModel.forward.__signature__ = signature.replace(parameters=parameters)
    worst = {}

    if opts.reviews:
        worst["classifier logits"] = classifier(opts)
    if opts.chat:
        name, value = language_model(opts)
        worst[name] = value
    for name, value in worst.items():
        print(f"{'ok  ' if value <= LIMIT else 'FAIL'} {name}: largest difference from PEFT {value:.2e} (limit {LIMIT:.0e})")
    sys.exit(0 if worst and all(value <= LIMIT for value in worst.values()) else 1)


def classifier(opts):
    """The largest difference between PEFT's logits and /predict's raw scores."""
    folder = download(opts.url, opts.key, opts.reviews)
    print("classifier:", json.load(open(os.path.join(folder, "adapter_config.json"))))
    base_path = os.path.join(ROOT, "models", "all-MiniLM-L6-v2")
    config = AutoConfig.from_pretrained(folder)
    model = PeftModel.from_pretrained(AutoModelForSequenceClassification.from_pretrained(base_path, config=config), folder).eval()
    tokenizer = Tokenizer.from_file(os.path.join(base_path, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    texts = [json.loads(line)["text"] for line in open(opts.validation[1])][:opts.count]
    served = json.loads(call(f"{opts.url}/predict", opts.key, {"model": opts.reviews, "inputs": texts, "raw_scores": True}))
    difference = 0.0
    for text, scores in zip(texts, served):
        ids = torch.tensor([tokenizer.encode(text).ids])
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids)).logits[0]
        for score in scores:
            difference = max(difference, abs(score["score"] - logits[config.label2id[score["label"]]].item()))
    return difference


def language_model(opts):
    """The largest difference between PEFT's token log-probabilities and /v1/completions echo's."""
    folder = download(opts.url, opts.key, opts.chat)
    print("language model:", json.load(open(os.path.join(folder, "adapter_config.json"))))
    base_path = os.path.join(ROOT, "models", "SmolLM2-135M-Instruct")
    gguf = next(f for f in os.listdir(base_path) if f.endswith(".gguf"))
    tokenizer = AutoTokenizer.from_pretrained(base_path, gguf_file=gguf)
    base = AutoModelForCausalLM.from_pretrained(base_path, gguf_file=gguf, dtype=torch.float32).eval()
    model = PeftModel.from_pretrained(base, folder).eval()
    conversations = [conversation(json.loads(line)) for line in open(opts.validation[0])][:opts.count]
    difference, tokens = 0.0, 0
    for messages in conversations:
        text = tokenizer.apply_chat_template(messages, tokenize=False)
        scored = json.loads(call(f"{opts.url}/v1/completions", opts.key,
                                 {"model": opts.chat, "prompt": text, "max_tokens": 0, "echo": True, "logprobs": 0}))
        ours = scored["choices"][0]["logprobs"]["token_logprobs"]
        ids = tokenizer(text, return_tensors="pt").input_ids
        if ids.shape[1] != len(ours):
            raise SystemExit(f"tokenization differs: {ids.shape[1]} tokens in transformers, {len(ours)} in Anneal")
        with torch.no_grad():
            theirs = torch.log_softmax(model(input_ids=ids).logits[0].double(), dim=-1)
        for t in range(1, len(ours)):
            difference = max(difference, abs(ours[t] - theirs[t - 1, ids[0, t]].item()))
        tokens += len(ours) - 1
    return f"language model token log-probabilities ({tokens} tokens)", difference


def conversation(record):
    """A chat record's messages, or a preference pair's prompt with its preferred answer."""
    if "messages" in record:
        return record["messages"]
    return record["input"]["messages"] + record["preferred_output"]


if __name__ == "__main__":
    main()
