"""What an operator can do, shared by the dashboard's forms and the admin JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from core.errors import InputError
from core.runs import PipelineRun
from finetune.registry import AdapterRegistry
from ingestion.scrapers.registry import discover_scrapers
from pipeline.operations import Operations


def operations(request: Request) -> Operations:
    ops: Operations = request.app.state.ops
    return ops


def registry(request: Request) -> AdapterRegistry:
    return AdapterRegistry(request.app.state.settings.data_dir / "adapters")


async def start_run(
    request: Request,
    steps: list[str],
    trigger: str,
    chains: list[str] | None = None,
    force: bool = False,
) -> PipelineRun:
    known = discover_scrapers()
    unknown = sorted(set(chains or ()) - set(known))
    if unknown:
        raise InputError(
            f"Unknown chain(s) {', '.join(unknown)}: choose among {', '.join(sorted(known))}."
        )
    options: dict[str, Any] = {}
    if chains:
        options["chains"] = chains
    if force:
        options["force"] = True
    return await operations(request).controller.start(steps, trigger, options)


async def abort(request: Request) -> dict[str, Any]:
    """Stop the pipeline run of this process, and ask any scrape running anywhere (another
    process, another host on a shared store) to stop after the products in flight."""
    stopped = operations(request).controller.abort()
    store = request.app.state.runtime.store
    scrapes = 0
    for chain in discover_scrapers():  # scrapes only: an import run by hand goes on
        scrapes += await store.request_abort(chain)
    return {"pipeline": stopped, "scrapes": scrapes}


def promote(request: Request, version: str) -> str:
    registry(request).promote(version, reason="by the operator (dashboard)")
    return version


def rollback(request: Request) -> str:
    return registry(request).rollback()
