"""The official openai client, unmodified, against a live Anneal: files, fine-tuning jobs,
events, cancel, models, and errors. Prints 'openai-client: N passed, N failed'."""
import io
import json
import os
import signal
import subprocess
import sys
import time

import openai

from checks import check, finish

URL, KEY, OTHER = os.environ["ANNEAL_URL"], os.environ["ANNEAL_KEY"], os.environ["ANNEAL_OTHER_KEY"]
client = openai.OpenAI(base_url=URL + "/v1", api_key=KEY, max_retries=0)
other = openai.OpenAI(base_url=URL + "/v1", api_key=OTHER, max_retries=0)


ROWS = [("A sharp, funny and moving film.", "fresh"), ("Dull, overlong and predictable.", "rotten"),
        ("The cast is terrific.", "fresh"), ("A mess from start to finish.", "rotten")]
TRAIN = "".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in ROWS * 3).encode()
state = {}


@check("files.create uploads multipart and validates")
def _():
    f = client.files.create(file=("train.jsonl", io.BytesIO(TRAIN)), purpose="fine-tune")
    assert f.id.startswith("file-") and f.bytes == len(TRAIN) and f.purpose == "fine-tune", f
    assert f.model_extra.get("example_count") == 12 and f.model_extra.get("labels") == ["fresh", "rotten"], f
    state["file"] = f.id


@check("files.create rejects a bad line with its number")
def _():
    bad = TRAIN + b'{"text": "no label here", "label": []}\n'
    try:
        client.files.create(file=("bad.jsonl", io.BytesIO(bad)), purpose="fine-tune")
        raise AssertionError("accepted a bad file")
    except openai.BadRequestError as error:
        assert error.status_code == 400 and "line 13" in error.message and error.body["param"] == "file", error.body


@check("files.list, retrieve and content")
def _():
    assert state["file"] in [f.id for f in client.files.list()]
    assert client.files.retrieve(state["file"]).filename == "train.jsonl"
    assert client.files.content(state["file"]).read() == TRAIN


@check("fine_tuning.jobs.create")
def _():
    job = client.fine_tuning.jobs.create(
        model="all-MiniLM-L6-v2", training_file=state["file"], suffix="e2e", seed=7, metadata={"team": "qa"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}})
    assert job.id.startswith("ftjob-") and job.status in ("validating_files", "queued", "running"), job
    assert job.seed == 7 and job.hyperparameters.n_epochs == 2 and job.metadata == {"team": "qa"}, job
    state["job"] = job.id


@check("fine_tuning.jobs.create rejects an unknown model with its param")
def _():
    try:
        client.fine_tuning.jobs.create(model="no-such-model", training_file=state["file"])
        raise AssertionError("accepted an unknown model")
    except openai.BadRequestError as error:
        assert error.body["param"] == "model", error.body


@check("fine_tuning.jobs.list and retrieve, with metadata filter")
def _():
    assert state["job"] in [j.id for j in client.fine_tuning.jobs.list(limit=10)]
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"team": "qa"})] == [state["job"]]
    assert client.fine_tuning.jobs.list(metadata={"team": "none"}).data == []
    assert client.fine_tuning.jobs.retrieve(state["job"]).model == "all-MiniLM-L6-v2"


@check("cancel a queued job; cancel again is a conflict")
def _():
    job = client.fine_tuning.jobs.create(model="all-MiniLM-L6-v2", training_file=state["file"])
    job = client.fine_tuning.jobs.cancel(job.id)
    assert job.status == "cancelled" and job.finished_at is not None, job
    try:
        client.fine_tuning.jobs.cancel(job.id)
        raise AssertionError("cancelled twice")
    except openai.ConflictError:
        pass


@check("the worker validates files, then fine-tunes the classifier")
def _():
    # The server runs without workers; a separate `anneal worker` process (as in a worker pod) takes the job.
    worker = subprocess.Popen([os.environ["ANNEAL_BIN"], "worker"], stdout=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        job = client.fine_tuning.jobs.retrieve(state["job"])
        if job.status in ("failed", "succeeded", "cancelled"):
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, "anneal worker did not exit 0 on SIGTERM"
    assert job.status == "succeeded" and job.fine_tuned_model.startswith("ft:all-MiniLM-L6-v2:"), job
    messages = [e.message for e in client.fine_tuning.jobs.list_events(state["job"], limit=50)]
    assert any("12 examples" in m for m in messages), messages
    assert any("Created fine-tuning job" in m for m in messages), messages


@check("fine_tuning.jobs.checkpoints.list")
def _():
    assert len(client.fine_tuning.jobs.checkpoints.list(state["job"]).data) >= 1


@check("models.list and retrieve")
def _():
    models = client.models.list()
    assert any(m.id == "all-MiniLM-L6-v2" and m.owned_by == "system" for m in models), models
    assert client.models.retrieve("all-MiniLM-L6-v2").id == "all-MiniLM-L6-v2"


@check("another tenant sees nothing (404)")
def _():
    try:
        other.fine_tuning.jobs.retrieve(state["job"])
        raise AssertionError("another tenant read the job")
    except openai.NotFoundError:
        pass
    assert state["file"] not in [f.id for f in other.files.list()]


@check("chat.completions.create on SmolLM2, plain and streamed, gives the same greedy reply")
def _():
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    reply = client.chat.completions.create(model="SmolLM2-135M-Instruct", messages=messages, max_tokens=12, temperature=0)
    text = reply.choices[0].message.content
    assert reply.choices[0].message.role == "assistant" and text and reply.usage.completion_tokens <= 12, reply
    stream = client.chat.completions.create(model="SmolLM2-135M-Instruct", messages=messages, max_tokens=12, temperature=0,
                                            stream=True)
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert "".join(pieces) == text, (pieces, text)


@check("completions.create continues a prompt")
def _():
    reply = client.completions.create(model="SmolLM2-135M-Instruct", prompt="1, 2, 3, 4,", max_tokens=6, temperature=0)
    assert reply.choices[0].text.strip().startswith("5"), reply
    assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens == 6, reply


def run_with_worker(job):
    """Starts `anneal worker` until the job ends (at most 5 minutes); the job must succeed."""
    worker = subprocess.Popen([os.environ["ANNEAL_BIN"], "worker"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            job = client.fine_tuning.jobs.retrieve(job.id)
            if job.status in ("failed", "succeeded", "cancelled"):
                break
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert job.status == "succeeded", job
    return job


@check("a LoRA fine-tune of SmolLM2 on chatterbot conversations answers through chat.completions, plain and streamed")
def _():
    folder = os.path.join(os.path.dirname(__file__), "..", "TrainingTests", "Fixtures", "chat")
    files = {}
    for name in ("train", "validation"):
        with open(os.path.join(folder, name + ".jsonl"), "rb") as f:
            files[name] = client.files.create(file=(name + ".jsonl", f), purpose="fine-tune").id
    job = client.fine_tuning.jobs.create(
        model="SmolLM2-135M-Instruct", training_file=files["train"], validation_file=files["validation"], suffix="chat",
        method={"type": "supervised", "supervised": {"hyperparameters": {
            "n_epochs": 1, "batch_size": 4, "learning_rate_multiplier": 40, "max_seq_length": 64,
            "lora": {"r": 8, "target_modules": ["q_proj", "v_proj"]}}}})
    job = run_with_worker(job)
    messages = [{"role": "user", "content": "Hello"}]
    reply = client.chat.completions.create(model=job.fine_tuned_model, messages=messages, max_tokens=10, temperature=0)
    text = reply.choices[0].message.content
    stream = client.chat.completions.create(model=job.fine_tuned_model, messages=messages, max_tokens=10, temperature=0, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == text, text
    try:
        other.chat.completions.create(model=job.fine_tuned_model, messages=messages, max_tokens=4)
        raise AssertionError("another tenant used the adapter")
    except openai.NotFoundError:
        pass


@check("a DPO job (OpenAI's preference format, method dpo) on SmolLM2 with LoRA succeeds with rewards in its metrics")
def _():
    folder = os.path.join(os.path.dirname(__file__), "..", "TrainingTests", "Fixtures", "chat")
    with open(os.path.join(folder, "train.jsonl")) as f:
        conversations = [json.loads(line) for line in f if line.strip()]
    lines = []
    for i, conversation in enumerate(conversations):  # each prompt's own answer over another conversation's
        user, answer = conversation["messages"][:2]
        other = conversations[(i + 5) % len(conversations)]["messages"][1]
        lines.append(json.dumps({"input": {"messages": [user]}, "preferred_output": [answer], "non_preferred_output": [other]}))
    pairs = client.files.create(file=("pairs.jsonl", io.BytesIO(("\n".join(lines) + "\n").encode())), purpose="fine-tune")
    assert pairs.model_extra.get("format") == "preference", pairs
    job = client.fine_tuning.jobs.create(
        model="SmolLM2-135M-Instruct", training_file=pairs.id, suffix="dpo",
        method={"type": "dpo", "dpo": {"hyperparameters": {
            "beta": 0.1, "n_epochs": 1, "batch_size": 6, "learning_rate_multiplier": 40, "max_length": 80,
            "lora": {"r": 8, "target_modules": ["q_proj", "v_proj"]}}}})
    assert job.method.type == "dpo" and job.method.dpo.hyperparameters.beta == 0.1, job.method
    job = run_with_worker(job)
    names = [e.message for e in client.fine_tuning.jobs.list_events(job.id, limit=100)]
    assert any(m.startswith("DPO (sigmoid loss)") for m in names), names


@check("a wrong key is a 401")
def _():
    try:
        openai.OpenAI(base_url=URL + "/v1", api_key="ak-wrong", max_retries=0).models.list()
        raise AssertionError("accepted a wrong key")
    except openai.AuthenticationError:
        pass


@check("files.delete")
def _():
    assert client.files.delete(state["file"]).deleted is True
    try:
        client.files.retrieve(state["file"])
        raise AssertionError("deleted file still there")
    except openai.NotFoundError:
        pass


finish("openai-client")
