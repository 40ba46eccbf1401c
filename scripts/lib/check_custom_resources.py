"""Checks what kubernetes-validate cannot: it has no schemas for custom resources, so the KEDA
(keda.sh/v1alpha1) and Kubeflow MPI Operator (kubeflow.org/v2beta1) objects in the rendered
manifests are held here to the fields their projects document, and the pod templates inside an
MPIJob are written out as PodTemplates for kubernetes-validate. Usage (scripts/check-deploy):
    python check_custom_resources.py RENDERED_DIR OUT_DIR
Prints problems and exits 1 when there are any."""
import pathlib
import sys

import yaml

# https://keda.sh/docs/2.16/reference/scaledobject-spec/
SCALED_OBJECT_SPEC = {"scaleTargetRef", "pollingInterval", "cooldownPeriod", "initialCooldownPeriod", "idleReplicaCount",
                      "minReplicaCount", "maxReplicaCount", "fallback", "advanced", "triggers"}
SCALE_TARGET = {"apiVersion", "kind", "name", "envSourceContainerName"}
TRIGGER = {"type", "metadata", "name", "useCachedMetrics", "metricType", "authenticationRef"}
# https://keda.sh/docs/2.16/scalers/postgresql/
POSTGRESQL_METADATA = {"connectionFromEnv", "host", "port", "userName", "passwordFromEnv", "dbName", "sslmode", "query",
                       "targetQueryValue", "activationTargetQueryValue", "metricName"}
POSTGRESQL_AUTH = {"connection", "password", "host", "port", "userName", "dbName", "sslmode"}
TRIGGER_AUTH_SPEC = {"secretTargetRef", "env", "podIdentity", "hashiCorpVault", "azureKeyVault", "awsSecretManager",
                     "gcpSecretManager", "configMapTargetRef", "boundServiceAccountToken"}
# https://github.com/kubeflow/mpi-operator (v2beta1 MPIJobSpec)
MPIJOB_SPEC = {"slotsPerWorker", "runPolicy", "mpiReplicaSpecs", "sshAuthMountPath", "launcherCreationPolicy", "mpiImplementation"}
RUN_POLICY = {"cleanPodPolicy", "ttlSecondsAfterFinished", "activeDeadlineSeconds", "backoffLimit", "schedulingPolicy", "suspend",
              "managedBy"}
REPLICA_SPEC = {"replicas", "template", "restartPolicy"}


def main():
    rendered, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    problems = []
    for path in sorted(rendered.glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        where = path.stem
        by_kind = lambda kind: [d for d in docs if d["kind"] == kind]
        deployments = {d["metadata"]["name"]: d for d in by_kind("Deployment")}
        auths = {d["metadata"]["name"]: d for d in by_kind("TriggerAuthentication")}
        for so in by_kind("ScaledObject"):
            problems += scaled_object(f"{where} ScaledObject/{so['metadata']['name']}", so, deployments, auths)
        for auth in auths.values():
            problems += trigger_authentication(f"{where} TriggerAuthentication/{auth['metadata']['name']}", auth)
        for job in by_kind("MPIJob"):
            problems += mpijob(f"{where} MPIJob/{job['metadata']['name']}", job, out)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


def unknown(where, got, allowed):
    return [f"{where}: unknown field {k!r}" for k in sorted(set(got) - allowed)]


def scaled_object(where, so, deployments, auths):
    problems = []
    if so["apiVersion"] != "keda.sh/v1alpha1":
        problems.append(f"{where}: apiVersion {so['apiVersion']}")
    spec = so.get("spec", {})
    problems += unknown(where, spec, SCALED_OBJECT_SPEC)
    target = spec.get("scaleTargetRef", {})
    problems += unknown(f"{where} scaleTargetRef", target, SCALE_TARGET)
    deployment = deployments.get(target.get("name"))
    if target.get("kind", "Deployment") != "Deployment" or deployment is None:
        problems.append(f"{where}: scaleTargetRef names no Deployment in the same manifests")
    elif "replicas" in deployment["spec"]:
        problems.append(f"{where}: Deployment/{target['name']} sets replicas, which would undo KEDA's scaling on apply")
    for key in ("pollingInterval", "cooldownPeriod", "minReplicaCount", "maxReplicaCount"):
        if not isinstance(spec.get(key), int) or spec[key] < 0:
            problems.append(f"{where}: {key} must be a non-negative integer")
    if spec.get("minReplicaCount") != 0:
        problems.append(f"{where}: minReplicaCount is not 0 (workers must scale to zero)")
    if isinstance(spec.get("maxReplicaCount"), int) and spec["maxReplicaCount"] < 1:
        problems.append(f"{where}: maxReplicaCount below 1")
    triggers = spec.get("triggers") or []
    if len(triggers) != 1 or triggers[0].get("type") != "postgresql":
        problems.append(f"{where}: expected exactly one postgresql trigger")
    for trigger in triggers:
        problems += unknown(f"{where} trigger", trigger, TRIGGER)
        metadata = trigger.get("metadata", {})
        problems += unknown(f"{where} postgresql metadata", metadata, POSTGRESQL_METADATA)
        problems += [f"{where}: metadata {k} must be a string" for k, v in metadata.items() if not isinstance(v, str)]
        for key in ("query", "targetQueryValue"):
            if not metadata.get(key):
                problems.append(f"{where}: postgresql metadata lacks {key}")
        try:
            float(metadata.get("targetQueryValue", "x"))
            float(metadata.get("activationTargetQueryValue", "0"))
        except ValueError:
            problems.append(f"{where}: targetQueryValue and activationTargetQueryValue must be numbers")
        has_connection = "connectionFromEnv" in metadata or "host" in metadata
        ref = trigger.get("authenticationRef")
        if ref:
            auth = auths.get(ref.get("name"))
            if auth is None or ref.get("kind", "TriggerAuthentication") != "TriggerAuthentication":
                problems.append(f"{where}: authenticationRef names no TriggerAuthentication in the same manifests")
            else:
                has_connection |= any(s.get("parameter") == "connection" for s in auth["spec"].get("secretTargetRef", []))
        if not has_connection:
            problems.append(f"{where}: the trigger has no connection (connectionFromEnv, host, or an authentication's connection)")
    return problems


def trigger_authentication(where, auth):
    problems = []
    if auth["apiVersion"] != "keda.sh/v1alpha1":
        problems.append(f"{where}: apiVersion {auth['apiVersion']}")
    problems += unknown(where, auth.get("spec", {}), TRIGGER_AUTH_SPEC)
    for ref in auth.get("spec", {}).get("secretTargetRef", []):
        problems += unknown(f"{where} secretTargetRef", ref, {"parameter", "name", "key"})
        if ref.get("parameter") not in POSTGRESQL_AUTH:
            problems.append(f"{where}: parameter {ref.get('parameter')!r} is not one the postgresql scaler reads")
        if (ref.get("name"), ref.get("key")) != ("anneal-database", "url"):
            problems.append(f"{where}: the connection must come from the workers' Secret anneal-database, key url")
    return problems


def mpijob(where, job, out):
    problems = []
    if job["apiVersion"] != "kubeflow.org/v2beta1":
        problems.append(f"{where}: apiVersion {job['apiVersion']}")
    spec = job.get("spec", {})
    problems += unknown(where, spec, MPIJOB_SPEC)
    problems += unknown(f"{where} runPolicy", spec.get("runPolicy", {}), RUN_POLICY)
    if spec.get("mpiImplementation", "OpenMPI") != "OpenMPI":
        problems.append(f"{where}: mpiImplementation must be OpenMPI (Anneal links libmpi from libopenmpi-dev)")
    if not isinstance(spec.get("slotsPerWorker"), int) or spec["slotsPerWorker"] < 1:
        problems.append(f"{where}: slotsPerWorker must be a positive integer")
    replicas = spec.get("mpiReplicaSpecs", {})
    if set(replicas) != {"Launcher", "Worker"}:
        problems.append(f"{where}: mpiReplicaSpecs must have exactly Launcher and Worker")
    for role, replica in replicas.items():
        problems += unknown(f"{where} {role}", replica, REPLICA_SPEC)
        if replica.get("restartPolicy", "Never") not in ("Always", "OnFailure", "Never", "ExitCode"):
            problems.append(f"{where} {role}: restartPolicy {replica.get('restartPolicy')}")
        if role == "Launcher" and replica.get("replicas", 1) != 1:
            problems.append(f"{where}: the Launcher must have one replica")
        if role == "Worker" and (not isinstance(replica.get("replicas"), int) or replica["replicas"] < 1):
            problems.append(f"{where}: Worker replicas must be a positive integer")
        pod = replica.get("template", {}).get("spec", {})
        if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
            problems.append(f"{where} {role}: runAsNonRoot is not true")
        for c in pod.get("containers", []):
            if not {"cpu", "memory"} <= set(c.get("resources", {}).get("limits", {})):
                problems.append(f"{where} {role}/{c['name']}: resources.limits needs cpu and memory")
            if c.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where} {role}/{c['name']}: readOnlyRootFilesystem is not true")
        # The pod template itself is core Kubernetes: written out for kubernetes-validate.
        name = f"{job['metadata']['name']}-{role.lower()}"
        template = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": name}, "template": replica.get("template", {})}
        (out / f"podtemplate-{where.split()[0]}-{name}.yaml").write_text(yaml.safe_dump(template))
    problems += anneal_gang(where, spec)
    return problems


def anneal_gang(where, spec):
    """An Anneal gang: the launcher runs `anneal-gang -n N ... anneal mpi-worker` (mpirun) over N worker slots,
    passing the database URL (from the workers' Secret) to the ranks; workers run sshd."""
    problems = []
    replicas = spec.get("mpiReplicaSpecs", {})
    launcher = (replicas.get("Launcher", {}).get("template", {}).get("spec", {}).get("containers") or [{}])[0]
    worker = (replicas.get("Worker", {}).get("template", {}).get("spec", {}).get("containers") or [{}])[0]
    line = launcher.get("command", []) + launcher.get("args", [])
    if line[:1] != ["/app/anneal-gang"] or line[-1:] != ["mpi-worker"]:
        problems.append(f"{where}: the launcher must run /app/anneal-gang (mpirun passing SIGTERM on) ... anneal mpi-worker, not {line}")
    slots = spec.get("slotsPerWorker", 1) * replicas.get("Worker", {}).get("replicas", 0)
    if "-n" not in line or line[line.index("-n") + 1] != str(slots):
        problems.append(f"{where}: mpirun -n must equal the worker slots ({slots})")
    passed = {line[i + 1] for i, arg in enumerate(line[:-1]) if arg == "-x"}
    for name in ("DATABASE_URL", "ANNEAL_MODELS"):
        if name not in passed:
            problems.append(f"{where}: mpirun does not pass {name} to the ranks (-x)")
    env = {e["name"]: e for e in launcher.get("env", [])}
    ref = env.get("DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
    if (ref.get("name"), ref.get("key")) != ("anneal-database", "url"):
        problems.append(f"{where}: the launcher's DATABASE_URL must come from secret anneal-database key url")
    if worker.get("command", [""])[0] != "/usr/sbin/sshd":
        problems.append(f"{where}: workers must run sshd for mpirun to start the ranks")
    if not spec.get("sshAuthMountPath", "").startswith("/app"):
        problems.append(f"{where}: sshAuthMountPath must be the anneal user's home (/app/.ssh)")
    return problems


if __name__ == "__main__":
    main()
