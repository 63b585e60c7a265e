# SuperSmart images. Two targets share one runtime:
#   api    (default): the chat service, dashboard, bots and the scheduler; scrape and index
#          steps run here, training and evaluation are skipped (they would slow answers).
#   worker: the same plus the training stack (CPU torch); `supersmart schedule` runs the whole
#          nightly pipeline, training included, against the same data volume.
#
#   docker build -t supersmart .                      docker build -t supersmart-worker --target worker .
#   docker run -p 8000:8000 -v supersmart-data:/data supersmart demo        # sample catalogue
#   docker run -p 8000:8000 -v supersmart-data:/data -e SUPERSMART_API__ADMIN_KEY=... supersmart
#
# Volume /data (SUPERSMART_DATA_DIR) holds everything that must survive a new image: the SQLite
# store (supersmart.db), the JSONL data lake (datalake/), index versions (index/), the
# assembled model and its training checkpoint (models/), adapter versions (adapters/),
# evaluation runs (eval/) and the scrape lock. Share it between api and worker (compose.yaml).
# No weights are downloaded: the chat model and the embedder come inside Python packages.

FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# llama.cpp built for any x86-64 CPU: the native build emits instructions that many hosts
# advertise but cannot run (SIGILL), and pip's wheel cache would ignore these flags.
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" \
    pip wheel --no-cache-dir --no-deps --wheel-dir /wheels llama-cpp-python==0.3.36
COPY pyproject.toml README.md ./
COPY core core
COPY storage storage
COPY ingestion ingestion
COPY retrieval retrieval
COPY chat chat
COPY app app
COPY cli cli
COPY finetune finetune
COPY bots bots
COPY evaluation evaluation
COPY pipeline pipeline
RUN pip wheel --no-cache-dir --wheel-dir /wheels --find-links /wheels \
    ".[mongo,llm,bots,scrape]"

FROM python:3.11-slim AS runtime
# Debian's chromium renders the chains whose pages need JavaScript (Playwright drives it;
# never `playwright install`). tini reaps chromium's children and forwards Ctrl-C/SIGTERM,
# so a scrape stops after the products in flight and records 'aborted'.
RUN apt-get update && apt-get install -y --no-install-recommends chromium tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home supersmart && mkdir /data && chown supersmart /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels \
    "supersmart[mongo,llm,bots,scrape]" && rm -rf /wheels
ENV SUPERSMART_DATA_DIR=/data SUPERSMART_API__HOST=0.0.0.0 PYTHONUNBUFFERED=1
VOLUME ["/data"]
WORKDIR /data
ENTRYPOINT ["tini", "--", "supersmart"]

FROM runtime AS worker
# CPU torch from PyTorch's CPU index (PyPI's default wheel bundles CUDA: gigabytes unused here).
# On a GPU host build from an NVIDIA CUDA base and add the `qlora` extra instead.
USER root
# The extra's other packages come from PyPI; supersmart itself is already installed.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
    && pip install --no-cache-dir "supersmart[train]"
USER supersmart
ENV SUPERSMART_PIPELINE__SCHEDULE_IN_API=false
CMD ["schedule"]

FROM runtime AS api
USER supersmart
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"
CMD ["serve"]
