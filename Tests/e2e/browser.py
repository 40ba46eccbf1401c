"""The dashboard in headless Chromium, driven over the DevTools protocol against a live server
while a real job trains on a separate `anneal worker`: load the page, sign in by typing the
key, reach the job with the keyboard, watch the loss curve grow while it runs, then check what
the DOM shows (job id, status, as many chart points as the metrics series has values), run the
playground, and save screenshots (desktop and phone width) to ANNEAL_SCREENSHOTS.
Prints 'browser: N passed, N failed', or says it is skipped when Chromium is not installed.
Needs ANNEAL_BIN, ANNEAL_URL, ANNEAL_KEY and DATABASE_URL (for the worker)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from checks import check, finish

if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
    print("browser: skipped (no Chromium; scripts/setup-system --browser installs it)")
    sys.exit(0)

from cdp import Browser  # noqa: E402

URL, KEY, BIN = os.environ["ANNEAL_URL"], os.environ["ANNEAL_KEY"], os.environ["ANNEAL_BIN"]
SHOTS = os.environ.get("ANNEAL_SCREENSHOTS", "/tmp/anneal-screenshots")
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "TrainingTests", "Fixtures")
os.makedirs(SHOTS, exist_ok=True)


def call(method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(URL + path, data=data, method=method, headers={"Authorization": "Bearer " + KEY})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def upload(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return call("POST", f"/v1/files?purpose=fine-tune&filename={name}", raw=f.read())["id"]


worker = subprocess.Popen([BIN, "worker"], env=dict(os.environ, ANNEAL_THREADS="2", ANNEAL_WORKERS="1"), stdout=subprocess.DEVNULL)
train, validation = upload("reviews-train.jsonl"), upload("reviews-validation.jsonl")
hyper = {"n_epochs": 4, "batch_size": 4, "max_seq_length": 32, "logging_steps": 2, "eval_strategy": "steps", "eval_steps": 8,
         "save_strategy": "no"}
job = call("POST", "/v1/fine_tuning/jobs", {"model": "all-MiniLM-L6-v2", "training_file": train, "validation_file": validation,
                                            "seed": 5, "method": {"type": "supervised", "supervised": {"hyperparameters": hyper}}})["id"]
browser = Browser()
state = {}
POINTS = "(name => { const g = document.querySelector(`g.series[data-series='${name}']`); return g ? g.querySelectorAll('circle.point').length : 0; })"


@check("the page loads with every asset from this server, and signs in with a typed key")
def _():
    browser.navigate(URL + "/")
    browser.wait_for("document.querySelector('#api-key') !== null")
    assert browser.evaluate("document.title") == "Anneal"
    browser.click("#api-key")
    browser.type_text(KEY)
    browser.key("Enter", 13)
    browser.wait_for("document.querySelector('#jobs tbody tr[data-job]') !== null")
    assert browser.evaluate("sessionStorage.getItem('anneal-key')") == KEY
    resources = browser.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert resources and all(r.startswith(URL) for r in resources), resources


@check("the jobs table lists the job with its status and a progress bar")
def _():
    row = f"#jobs tr[data-job='{job}']"
    browser.wait_for(f"document.querySelector(\"{row}\") !== null")
    assert browser.evaluate(f"document.querySelector(\"{row} a\").textContent") == job
    assert browser.evaluate(f"document.querySelector(\"{row} progress\") !== null")
    browser.screenshot(os.path.join(SHOTS, "jobs.png"))


@check("the job page is reached with the keyboard alone (Tab to the job, Enter)")
def _():
    for _ in range(40):
        if browser.evaluate("document.activeElement && document.activeElement.textContent") == job:
            break
        browser.key("Tab", 9)
    assert browser.evaluate("document.activeElement.textContent") == job, "Tab never reached the job link"
    browser.key("Enter", 13)
    browser.wait_for(f"document.querySelector('#job-id') && document.querySelector('#job-id').textContent === '{job}'")


@check("the loss curve grows while the job runs (from the event stream, without reloading)")
def _():
    browser.wait_for(f"{POINTS}('train_loss') >= 1", timeout=180)
    first = browser.evaluate(f"{POINTS}('train_loss')")
    status = browser.evaluate("document.querySelector('#job-status').textContent")
    browser.wait_for(f"{POINTS}('train_loss') > {first} || document.querySelector('#job-status').textContent === 'succeeded'", timeout=180)
    later = browser.evaluate(f"{POINTS}('train_loss')")
    assert later > first, (first, later, status)
    state["live"] = (first, later)
    browser.screenshot(os.path.join(SHOTS, "job-running.png"))


@check("once finished the page shows the status and as many chart points as the metrics series")
def _():
    browser.wait_for("document.querySelector('#job-status').textContent === 'succeeded'", timeout=300)
    series = call("GET", f"/v1/fine_tuning/jobs/{job}/metrics")["data"]
    train = [e for e in series if e["kind"] == "train"]
    evals = [e for e in series if e["kind"] == "eval"]
    assert len(train) == 24 and len(evals) == 6, (len(train), len(evals))
    browser.wait_for(f"{POINTS}('train_loss') === {len(train)} && {POINTS}('valid_accuracy') === {len(evals)}", timeout=30)
    assert browser.evaluate(f"{POINTS}('valid_loss')") == len(evals)
    assert browser.evaluate(f"{POINTS}('train_learning_rate')") == len(train)
    assert browser.evaluate("document.querySelector('#job-progress').value") == 100
    hyperparameters = browser.evaluate("document.querySelector('#hyperparameters').textContent")
    assert "n_epochs" in hyperparameters or "num_train_epochs" in hyperparameters, hyperparameters
    dataset = browser.evaluate("document.querySelector('#dataset').textContent")
    assert "Training examples48" in dataset and "Validation examples16" in dataset and "fresh, rotten" in dataset, dataset
    assert browser.evaluate("document.querySelector('#events').children.length") > 10
    assert browser.evaluate("document.querySelectorAll('#checkpoints tbody tr').length") >= 1
    browser.screenshot(os.path.join(SHOTS, "job.png"))
    browser.screenshot(os.path.join(SHOTS, "job-phone.png"), width=390, height=844)
    assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "the page scrolls sideways on a phone"


@check("the playground classifies text with the fine-tuned model")
def _():
    browser.wait_for("document.querySelector('#playground-run') !== null")
    browser.click("#playground-run")
    text = browser.wait_for("(t => t && t !== '…' ? t : null)(document.querySelector('#playground-output').textContent)")
    assert "fresh" in text and "rotten" in text, text


browser.close()
worker.send_signal(signal.SIGTERM)
worker.wait(timeout=60)
finish("browser")
