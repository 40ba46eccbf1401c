"""The `anneal` client commands against a live server whose API runs without workers (one
`anneal worker` process trains): files upload, jobs create/list/get/cancel, `jobs follow` in a
real terminal (tmux) drawing its progress bar and exiting with the job's outcome, plain lines
when not a terminal, `predict` through the server, and clear errors.
Prints 'cli: N passed, N failed'. Needs ANNEAL_BIN, ANNEAL_URL, ANNEAL_KEY and DATABASE_URL."""
import json
import os
import shutil
import signal
import subprocess
import time

from checks import check, finish

URL, KEY, BIN = os.environ["ANNEAL_URL"], os.environ["ANNEAL_KEY"], os.environ["ANNEAL_BIN"]
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "TrainingTests", "Fixtures")
TRAIN = os.path.join(FIXTURES, "reviews-train.jsonl")
HYPER = json.dumps({"n_epochs": 1, "batch_size": 4, "max_seq_length": 32, "logging_steps": 2, "eval_strategy": "no"})
CLIENT_ENV = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
CLIENT_ENV.update(ANNEAL_URL=URL, ANNEAL_API_KEY=KEY)
state = {}


def anneal(*args, stdin=None, env=CLIENT_ENV):
    """(exit status, stdout, stderr) of one client command."""
    done = subprocess.run([BIN, *args], input=stdin, capture_output=True, env=env, timeout=300)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


worker = subprocess.Popen([BIN, "worker"], env=dict(os.environ, ANNEAL_THREADS="2", ANNEAL_WORKERS="1"), stdout=subprocess.DEVNULL)


@check("files upload prints the file with its report; a bad file names its line")
def _():
    status, out, err = anneal("files", "upload", TRAIN)
    assert status == 0, err
    uploaded = json.loads(out)
    assert uploaded["id"].startswith("file-") and uploaded["bytes"] == os.path.getsize(TRAIN), uploaded
    state["file"] = uploaded["id"]
    bad = "/tmp/anneal-cli-bad.jsonl"
    with open(bad, "w") as f:
        f.write('{"text": "fine", "label": "fresh"}\n{"text": \n')
    status, out, err = anneal("files", "upload", bad)
    assert status != 0 and "line 2" in err and err.count("\n") == 1, (status, err)


@check("jobs create --dry-run prints the checks and an estimate, and creates no job")
def _():
    before = anneal("jobs", "list", "--limit", "100")[1].count("ftjob-")
    status, out, err = anneal("jobs", "create", "--model", "all-MiniLM-L6-v2", "--training-file", state["file"],
                              "--hyperparameters", HYPER, "--dry-run")
    assert status == 0, (status, out, err)
    report = json.loads(out)
    assert report["valid"] and report["estimate"]["total_steps"] == 12 and report["token_lengths"]["training"]["truncated"] == 17, report
    assert err.startswith("estimate: ") and "12 steps" in err, err
    assert anneal("jobs", "list", "--limit", "100")[1].count("ftjob-") == before


@check("jobs follow in a terminal draws a progress bar with step, loss and ETA, and exits 0 when the job succeeds")
def _():
    status, out, err = anneal("jobs", "create", "--model", "all-MiniLM-L6-v2", "--training-file", state["file"],
                              "--hyperparameters", HYPER, "--seed", "3")
    assert status == 0 and out.strip().startswith("ftjob-"), (status, out, err)
    job = state["job"] = out.strip()
    session = f"anneal-cli-{os.getpid()}"
    env = " ".join(f"{k}='{v}'" for k, v in (("ANNEAL_URL", URL), ("ANNEAL_API_KEY", KEY)))
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "40",
                    f"env -u DATABASE_URL {env} {BIN} jobs follow {job}; echo EXIT=$?; sleep 60"], check=True)
    try:
        seen_running, pane, deadline = False, "", time.time() + 240
        while time.time() < deadline:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            bars = [line for line in pane.splitlines() if line.startswith("[") and ("█" in line or "░" in line)]
            if any("running" in line and "step" in line and "ETA" in line for line in bars):
                seen_running = True
            if "EXIT=" in pane:
                break
            time.sleep(0.2)
        with open(f"/tmp/anneal-cli-follow.txt", "w") as f:
            f.write(pane)
        assert "EXIT=0" in pane, pane
        assert seen_running, "no running bar was ever on screen:\n" + pane
        final = [line for line in pane.splitlines() if line.startswith("[██████████████████████████████] 100%")]
        assert final and "step 12/12" in final[-1] and "loss" in final[-1] and "succeeded" in final[-1], pane
        assert f"Job {job} succeeded: ft:all-MiniLM-L6-v2::{job}" in pane, pane
        assert "The job has successfully completed" in pane, pane
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@check("jobs follow without a terminal prints plain lines; list and get show the job")
def _():
    status, out, err = anneal("jobs", "follow", state["job"])
    assert status == 0 and "\x1b[" not in out and "progress: 100%" in out and "succeeded" in out.splitlines()[-1], (status, out, err)
    status, out, err = anneal("jobs", "list", "--limit", "5")
    assert status == 0 and out.splitlines()[0].split()[:2] == ["ID", "STATUS"] and state["job"] in out, out
    status, out, err = anneal("jobs", "get", state["job"])
    assert status == 0 and json.loads(out)["status"] == "succeeded", out


@check("predict through the server matches /predict; cancel of a finished job is a clear error")
def _():
    model = f"ft:all-MiniLM-L6-v2::{state['job']}"
    status, out, err = anneal("predict", "--model", model, stdin=b"A sharp, funny film.\nDull.\n")
    assert status == 0 and len(out.splitlines()) == 2, (status, out, err)
    assert {r["label"] for r in json.loads(out.splitlines()[0])} == {"fresh", "rotten"}, out
    status, out, err = anneal("jobs", "cancel", state["job"])
    assert status == 1 or status == 2, (status, out, err)
    assert "409" in err and "Cannot cancel a job that is succeeded" in err, err


@check("a cancelled job's follow exits 3; no key is a one-line error")
def _():
    status, out, err = anneal("jobs", "create", "--model", "all-MiniLM-L6-v2", "--training-file", state["file"],
                              "--hyperparameters", json.dumps({"n_epochs": 50, "batch_size": 4, "max_seq_length": 32}))
    job = out.strip()
    follower = subprocess.Popen([BIN, "jobs", "follow", job], env=CLIENT_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    assert anneal("jobs", "cancel", job)[0] == 0
    out, err = follower.communicate(timeout=60)
    assert follower.returncode == 3 and b"was cancelled" in out, (follower.returncode, out, err)
    env = dict(CLIENT_ENV)
    env.pop("ANNEAL_API_KEY")
    status, out, err = anneal("jobs", "list", env=env)
    assert status == 2 and "ANNEAL_API_KEY" in err and err.count("\n") == 1, (status, err)


worker.send_signal(signal.SIGTERM)
worker.wait(timeout=60)
finish("cli")
