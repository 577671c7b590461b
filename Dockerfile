# syntax=docker/dockerfile:1
# One image for every Khum process; docker-compose.yml picks the process with `command`
# (python -m services.intake | services.meetings | services.budget | services.notify | gateway).

# --- builder: install the locked runtime dependencies, then the project, into a venv ----
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_NO_CACHE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml requirements.lock ./
# requirements.lock is the one lock (runtime, dev tools, build backend). uv itself is taken
# from it with its hashes; uv then installs only the runtime part of the lock (the project's
# dependencies, constrained to the locked versions, every hash verified), so the image holds
# no test or lint tools and nothing is resolved anew.
RUN awk '/^uv==/{p=1;print;next} p&&/^ /{print;next} {p=0}' requirements.lock > /tmp/uv.txt \
 && pip install --require-hashes --no-deps -r /tmp/uv.txt \
 && uv pip install --python /opt/venv/bin/python -c requirements.lock --verify-hashes \
      -r pyproject.toml setuptools
COPY contracts ./contracts
COPY services ./services
COPY gateway ./gateway
COPY infra ./infra
RUN uv pip install --python /opt/venv/bin/python --no-deps --no-build-isolation . \
 && pip uninstall --yes uv

# --- runtime: slim, no compilers, not root --------------------------------------------
FROM python:3.11-slim AS runtime

RUN groupadd --system --gid 10001 khum \
 && useradd --system --uid 10001 --gid khum --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin khum

COPY --from=builder /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

# The source tree sits at /app as in a checkout: `python -m` puts the working directory
# first on sys.path, so the gateway resolves pwa/ (templates, static, translations)
# relative to the repository root, /app, exactly as it does under `make run`.
WORKDIR /app
COPY --chown=root:root contracts ./contracts
COPY --chown=root:root services ./services
COPY --chown=root:root gateway ./gateway
COPY --chown=root:root infra ./infra
COPY --chown=root:root pwa ./pwa

# Code is owned by root and read-only to the process; only var/ is writable
# (SQLite files and nats data when the embedded defaults are used).
RUN mkdir -p /app/var && chown khum:khum /app/var
USER khum

EXPOSE 8000
CMD ["python", "-m", "gateway"]
