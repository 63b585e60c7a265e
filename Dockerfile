# SuperSmart service image. The data directory (SQLite store, data lake, indexes, models,
# adapters) is a volume:
#   docker run -p 8000:8000 -v supersmart-data:/data supersmart                # demo, then serve
#   docker run -p 8000:8000 -v supersmart-data:/data supersmart serve --host 0.0.0.0
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
COPY app app
COPY cli cli
COPY finetune finetune
COPY bots bots
COPY evaluation evaluation
RUN pip wheel --no-cache-dir --wheel-dir /wheels --find-links /wheels ".[mongo,llm,bots]"

FROM python:3.11-slim
RUN useradd --create-home supersmart
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels supersmart[mongo,llm,bots] \
    && rm -rf /wheels
USER supersmart
ENV SUPERSMART_DATA_DIR=/data SUPERSMART_API__HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"
ENTRYPOINT ["supersmart"]
CMD ["demo"]
