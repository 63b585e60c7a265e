"""`GET /health` (model, index and store) and `GET /metrics` (Prometheus)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.routes.deps import AppMetrics
from app.routes.deps import runtime as get_runtime
from app.schemas import HealthComponent, HealthResponse
from core.errors import SuperSmartError
from retrieval.index import current_version

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
async def health(request: Request) -> JSONResponse:
    """Whether the service can answer: 200 when model, index and store are ready, else 503."""
    runtime = get_runtime(request)
    gate = runtime.gate
    model = HealthComponent(
        ok=True,
        detail=(
            f"{gate.model.name} ({'busy' if gate.busy else 'idle'}, {gate.waiting} waiting)"
            if gate
            else "data-only: answers composed from the data, no language model"
        ),
    )
    version = current_version(runtime.settings.index_path)
    index = HealthComponent(
        ok=version is not None,
        detail=f"version {version}" if version else "missing: run `supersmart index`",
    )
    try:
        count = await runtime.store.count_products()
        store = HealthComponent(ok=count > 0, detail=f"{count} products")
        if count == 0:
            store.detail = "empty: import or scrape products first (`supersmart demo`)"
    except SuperSmartError as exc:
        store = HealthComponent(ok=False, detail=str(exc))
    ok = model.ok and index.ok and store.ok
    body = HealthResponse(status="ok" if ok else "degraded", model=model, index=index, store=store)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response)
async def prometheus(request: Request, metrics: AppMetrics) -> Response:
    """Prometheus text format: requests, answers by grounding verdict, latencies, tokens,
    requests in flight, event-loop tasks, the process's memory and file descriptors."""
    gate = get_runtime(request).gate
    metrics.queue.set(gate.waiting if gate else 0)
    metrics.tasks.set(len(asyncio.all_tasks()))
    return Response(metrics.render(), media_type="text/plain; version=0.0.4")
