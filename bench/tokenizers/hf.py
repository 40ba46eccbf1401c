"""HF tokenizers on the same corpus, single-threaded encode_batch: one JSON line per tokenizer."""
import json, os, resource, sys, time

os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["RAYON_NUM_THREADS"] = "1"
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
from tokenizers import Tokenizer
from transformers import AutoTokenizer, GPT2TokenizerFast

root = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
corpus = json.load(open(os.path.join(root, "Tests/TokenizersTests/Fixtures/corpus.json"), encoding="utf-8"))
models = os.path.join(root, "models")


def minilm():
    t = Tokenizer.from_file(os.path.join(models, "all-MiniLM-L6-v2/tokenizer.json"))
    t.no_truncation(); t.no_padding()
    return t


loaders = [
    ("minilm", minilm),
    ("gpt2", lambda: GPT2TokenizerFast.from_pretrained(os.path.join(models, "gpt2-tokenizer")).backend_tokenizer),
    ("smollm2", lambda: AutoTokenizer.from_pretrained(os.path.join(models, "SmolLM2-135M-Instruct"),
                                                       gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf").backend_tokenizer),
    ("sentencepiece", lambda: AutoTokenizer.from_pretrained(os.path.join(root, "Tests/TokenizersTests/Fixtures"),
                                                             gguf_file="sentencepiece-bpe.gguf").backend_tokenizer),
]
for name, load in loaders:
    tokenizer = load()
    tokens = rounds = 0
    began = time.perf_counter()
    while time.perf_counter() - began < seconds or rounds == 0:
        tokens += sum(len(e.ids) for e in tokenizer.encode_batch(corpus, add_special_tokens=True))
        rounds += 1
    elapsed = time.perf_counter() - began
    print(json.dumps({"tokenizer": name, "tokens_per_s": int(tokens / elapsed), "rounds": rounds}))
