"""The admin API (`X-Admin-Key`): start, list and abort pipeline runs ("run now"), promote or
roll back the adapter. The dashboard's buttons do the same through `app/dashboard/actions`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.dashboard import actions
from app.routes.deps import ERRORS
from app.schemas import STRICT
from core.errors import NotFoundError
from core.runs import STEPS, PipelineRun
from ingestion.scrapers.registry import discover_scrapers


def admin(request: Request) -> None:
    request.app.state.admin_guard.check(request)


router = APIRouter(prefix="/admin/api", tags=["operations"], dependencies=[Depends(admin)])
RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    403: ERRORS[401] | {"description": "No admin key configured: the admin routes are closed."},
    404: ERRORS[401] | {"description": "No such pipeline run or adapter version."},
    409: ERRORS[401]
    | {"description": "A pipeline run is already in progress, or no promotion to roll back."},
}


def _steps(schema: dict[str, Any]) -> None:
    """The pipeline's steps, listed (checked by the pipeline, whose message names the unknown)."""
    names = list(STEPS)
    schema["anyOf"] = [
        {"type": "array", "items": {"type": "string", "enum": names}},
        {"type": "null"},
    ]


def _scraped_chains(schema: dict[str, Any]) -> None:
    """The chains there is a scraper for (plugins add some), as the schema is built."""
    schema["items"] = {"type": "string", "enum": list(discover_scrapers())}


class RunRequest(BaseModel):
    """Steps and chains are checked by the pipeline (its message names the unknown ones); the
    schema lists them."""

    model_config = STRICT

    steps: list[str] | None = Field(
        None,
        description=f"Steps to run, among {', '.join(STEPS)} (always in that order). "
        "Default (omitted or empty): the scheduled steps.",
        examples=[["scrape", "index"]],
        json_schema_extra=_steps,
    )
    chains: list[str] = Field(
        default_factory=list,
        description="Chains the scrape step scrapes; empty: every chain.",
        json_schema_extra=_scraped_chains,
    )
    force: bool = Field(False, description="Rebuild the index even if the store did not change.")


@router.post("/runs", status_code=202, response_model=PipelineRun, responses=RESPONSES)
async def run_now(request: Request, body: RunRequest | None = None) -> PipelineRun:
    """Run the pipeline now (in the background): 202 with the run record, 409 if one runs.
    Without a body: the scheduled steps."""
    body = body or RunRequest()
    steps = body.steps or request.app.state.settings.pipeline.steps
    return await actions.start_run(request, steps, "api", body.chains, body.force)


@router.get("/runs", response_model=list[PipelineRun], responses=RESPONSES)
async def list_runs(request: Request, limit: int = 20) -> list[PipelineRun]:
    """Pipeline runs, newest first, with every step's record."""
    return await actions.operations(request).records.list_runs(min(max(limit, 1), 200))


@router.get("/runs/{run_id}", response_model=PipelineRun, responses=RESPONSES)
async def get_run(run_id: str, request: Request) -> PipelineRun:
    run = await actions.operations(request).records.get_run(run_id)
    if run is None:
        raise NotFoundError(f"No pipeline run {run_id!r}: see GET /admin/api/runs.")
    return run


@router.post("/abort", responses=RESPONSES)
async def abort(request: Request) -> JSONResponse:
    """Stop the run in progress; scrapes stop after the products in flight (kept)."""
    return JSONResponse(await actions.abort(request))


@router.post("/adapters/{version}/promote", responses=RESPONSES)
async def promote(version: str, request: Request) -> JSONResponse:
    """Put an adapter version in service now (no evaluation gate: the operator decides)."""
    return JSONResponse({"in_service": actions.promote(request, version)})


@router.post("/adapters/rollback", responses=RESPONSES)
async def rollback(request: Request) -> JSONResponse:
    """Back to the adapter in service before the last promotion."""
    return JSONResponse({"in_service": actions.rollback(request)})
