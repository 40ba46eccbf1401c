"""The chaos campaign: see bench/chaos/README.md. Run through bench/chaos/run."""
import argparse
import json
import os
import random
import sys
import time

sys.dont_write_bytecode = True
from database import disk_full, exactly_once, pg_restart  # noqa: E402
from fleet import fleet  # noqa: E402
from harness import ROOT, Anneal, PostgreSQL, free_port  # noqa: E402
from scenarios import api_death, upload_fixtures, worker_death  # noqa: E402

SMALL = {"kills": 1, "api_kills": 1, "modes": ["fast", "immediate"], "submissions": 200, "clients": 16, "claim_jobs": 4, "workers": 2, "fleet_jobs": 40}
FULL = {"kills": 20, "api_kills": 5, "modes": ["fast", "immediate"], "submissions": 1000, "clients": 64, "claim_jobs": 12, "workers": 3, "fleet_jobs": 200}


def main():
    parser = argparse.ArgumentParser(description="kill -9 of workers and the API, PostgreSQL restarts, exactly-once submission.")
    parser.add_argument("--small", action="store_true", help="the configuration scripts/test runs")
    parser.add_argument("--only", help="comma-separated scenarios: workers,api,postgres,disk,once,fleet")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = SMALL if args.small else FULL
    only = set(args.only.split(",")) if args.only else {"workers", "api", "postgres", "disk", "once", "fleet"}
    rng = random.Random(args.seed)
    binary = os.environ.get("ANNEAL_BIN", os.path.join(ROOT, ".build/release/anneal"))

    pg = PostgreSQL()
    pg.start()
    anneal = Anneal(binary, pg.url)
    rows, failures = [], []
    started = time.time()
    try:
        anneal.setup()
        anneal.start_api()
        files = upload_fixtures(anneal)

        def run(name, scenario):
            print(f"chaos: {name}", flush=True)
            t = time.time()
            figures, problems = scenario()
            figures["seconds"] = round(time.time() - t)
            rows.append((name, figures))
            failures.extend(f"{name}: {p}" for p in problems)
            print(f"chaos: {name}: {json.dumps(figures)}" + (f"; {len(problems)} failures" if problems else ""), flush=True)
            for p in problems:
                print(f"  FAIL {p}", flush=True)

        if "workers" in only:
            for kind in ("classification", "lora-lm"):
                run(f"worker kill -9 ({kind})", lambda: worker_death(anneal, pg, kind, files, config["kills"], rng))
        if "api" in only:
            run("API kill -9 during uploads and creations", lambda: api_death(anneal, pg, config["api_kills"], rng))
        if "postgres" in only:
            run("PostgreSQL restarts under load and mid-training", lambda: pg_restart(anneal, pg, files, config["modes"]))
        if "disk" in only:
            run("disk full under a checkpointing job and uploads", lambda: disk_full(binary, None, rng))
        if "once" in only:
            run("exactly once", lambda: exactly_once(anneal, pg, files, config["submissions"], config["clients"],
                                                       config["claim_jobs"], config["workers"]))
        if "fleet" in only:
            run("fleet: 2 APIs, 3 workers killed and drained at random", lambda: fleet(anneal, pg, files, config["fleet_jobs"], rng, free_port))
    finally:
        anneal.stop()
        pg.remove()
    # No key, secret or dataset content in any process's log.
    secrets = [anneal.key, anneal.other_key, "A sharp, funny", "client 0 upload 1 xxxx"]
    with open(os.path.join(ROOT, "Tests", "TrainingTests", "Fixtures", "reviews-train.jsonl")) as f:
        secrets += [json.loads(line)["text"][:40] for line in f if line.strip()][:10]
    leaks = set()
    for name in sorted(os.listdir(anneal.log_dir)):
        with open(os.path.join(anneal.log_dir, name), errors="replace") as f:
            text = f.read()
        leaks.update(f"{name}: {secret[:12]}..." for secret in secrets if secret and secret in text)
    rows.append(("logs of every process", {"files": len(os.listdir(anneal.log_dir)), "keys or dataset text found": len(leaks)}))
    failures.extend(f"a log holds a key or dataset text: {leak}" for leak in sorted(leaks))

    lines = [f"Campaign of {time.strftime('%Y-%m-%d', time.gmtime())} ({'small' if args.small else 'full'}), "
             f"{open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}, {os.cpu_count()} cores, "
             f"{round(time.time() - started)} s in all; logs in {anneal.log_dir}", "",
             "| scenario | figures |", "| --- | --- |"]
    for name, figures in rows:
        lines.append(f"| {name} | " + "; ".join(f"{k}: {v}" for k, v in figures.items()) + " |")
    lines.append("")
    lines.append(f"{len(failures)} failures" + ("" if not failures else ":\n" + "\n".join(f"- {f}" for f in failures)))
    print("\n" + "\n".join(lines))
    if not args.small:
        with open(os.path.join(ROOT, "bench", "chaos", "last-run.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
