"""Runs the KEDA trigger's query (from the rendered ScaledObject) against a freshly migrated
database holding 100,000 finished and 1,000 queued jobs, plus claimed ones with live and expired
leases. It must return one integer, the right one, in under 5 ms, reading indexes only (no
sequential scan of fine_tuning_job). Usage (scripts/check-deploy):
    python check_queue_query.py POSTGRES_URL RENDERED_YAML MIGRATIONS_DIR"""
import json
import pathlib
import subprocess
import sys
import urllib.parse

import yaml

FINISHED, QUEUED, LIVE, EXPIRED, FUTURE = 100_000, 1_000, 20, 5, 50
LIMIT_MS = 5.0


def psql(url, sql, single=False):
    args = ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At"] + (["--single-transaction"] if single else [])
    return subprocess.run(args, input=sql, capture_output=True, text=True, check=True).stdout.strip()


def main():
    url, rendered, migrations = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    docs = [d for d in yaml.safe_load_all(rendered.read_text()) if d]
    query = next(d for d in docs if d["kind"] == "ScaledObject")["spec"]["triggers"][0]["metadata"]["query"]
    database = "anneal_queue_query_check"
    psql(url, f"DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database};")
    parts = urllib.parse.urlsplit(url)
    check = urllib.parse.urlunsplit(parts._replace(path="/" + database))
    problems = []
    try:
        for migration in sorted(migrations.glob("*.sql")):
            psql(check, migration.read_text(), single=True)
        psql(check, f"""
            INSERT INTO tenant (id) VALUES ('check');
            INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters,
                status, created_at, scheduled_at, finished_at)
            SELECT 'ftjob-done-' || n, 'check', 'base', 'bert', 'file-x', 1, '{{}}', '{{}}',
                (ARRAY['succeeded', 'failed', 'cancelled'])[1 + n % 3], now() - n * interval '1 minute',
                now() - n * interval '1 minute', now() - n * interval '1 minute' + interval '30 seconds'
            FROM generate_series(1, {FINISHED}) AS n;
            INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, scheduled_at)
            SELECT 'ftjob-queued-' || n, 'check', 'base', 'bert', 'file-x', 1, '{{}}', '{{}}',
                CASE WHEN n % 10 = 0 THEN 'validating_files' ELSE 'queued' END, now() - n * interval '1 second'
            FROM generate_series(1, {QUEUED}) AS n;
            INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, scheduled_at)
            SELECT 'ftjob-later-' || n, 'check', 'base', 'bert', 'file-x', 1, '{{}}', '{{}}', 'queued', now() + interval '1 hour'
            FROM generate_series(1, {FUTURE}) AS n;
            INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status,
                locked_by, lease_expires_at, attempt)
            SELECT 'ftjob-claimed-' || n, 'check', 'base', 'bert', 'file-x', 1, '{{}}', '{{}}', 'running', 'worker-' || n,
                CASE WHEN n <= {EXPIRED} THEN now() - interval '5 seconds' ELSE now() + interval '30 seconds' END, 1
            FROM generate_series(1, {LIVE + EXPIRED}) AS n;
            -- Validated jobs for an MPI gang: not a worker pod's work.
            INSERT INTO fine_tuning_job (id, tenant_id, model, architecture, training_file, seed, method, hyperparameters, status, nodes)
            SELECT 'ftjob-gang-' || n, 'check', 'base', 'bert', 'file-x', 1, '{{}}', '{{}}', 'queued', 2
            FROM generate_series(1, 10) AS n;
            VACUUM ANALYZE fine_tuning_job;
            """)
        value = psql(check, query + ";")
        expected = QUEUED + LIVE + EXPIRED
        if value != str(expected):
            problems.append(f"the query returned {value!r}, expected the single integer {expected}")
        best, plan = None, None
        for _ in range(7):
            out = json.loads(psql(check, f"EXPLAIN (ANALYZE, FORMAT JSON) {query};"))[0]
            if best is None or out["Execution Time"] < best:
                best, plan = out["Execution Time"], out["Plan"]
        nodes = []

        def walk(node):
            nodes.append(node)
            for child in node.get("Plans", []):
                walk(child)
        walk(plan)
        scans = {(n["Node Type"], n.get("Index Name")) for n in nodes if "Relation Name" in n}
        print(f"  queue query: {value} jobs want a worker, {best:.2f} ms (best of 7) on {FINISHED:,} finished "
              f"and {QUEUED:,} queued jobs; scans: {sorted(s for s in scans)}")
        if best >= LIMIT_MS:
            problems.append(f"the query took {best:.2f} ms, over {LIMIT_MS} ms")
        if any(kind == "Seq Scan" for kind, _ in scans) or not all(index for _, index in scans):
            problems.append(f"the query scans the table instead of an index: {sorted(scans)}")
    finally:
        psql(url, f"DROP DATABASE IF EXISTS {database};")
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
