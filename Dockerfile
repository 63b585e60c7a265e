# SuperSmart service image. The data directory (SQLite store, data lake, indexes, adapters) is a
# volume: docker run -v supersmart-data:/data supersmart import /data/file.csv --format ...
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY core core
COPY storage storage
COPY ingestion ingestion
COPY retrieval retrieval
COPY cli cli
RUN pip wheel --no-cache-dir --wheel-dir /wheels ".[mongo]"

FROM python:3.11-slim
RUN useradd --create-home supersmart
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER supersmart
ENV SUPERSMART_DATA_DIR=/data
VOLUME ["/data"]
ENTRYPOINT ["supersmart"]
CMD ["demo"]
