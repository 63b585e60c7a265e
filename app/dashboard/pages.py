"""The dashboard's pages (`/admin`): rendered on the server from Jinja templates, charts as
inline SVG, a form per command. Log in once with the admin key (a cookie keeps the session);
a small script refreshes the "running now" block while something runs."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from app.dashboard import actions, data
from app.security import ADMIN_COOKIE, SESSION_S
from core import charts
from core.domain import web_url
from core.errors import RateLimitedError, SuperSmartError
from core.runs import STEPS
from ingestion.scrapers.registry import discover_scrapers

router = APIRouter(prefix="/admin", include_in_schema=False)
templates = Jinja2Templates(directory=str(files("app") / "templates"))
templates.env.filters["web_url"] = web_url  # a link only to an http(s) page, whatever is stored
COMMANDS: dict[str, tuple[list[str], str]] = {
    "pipeline": (list(STEPS), "pipeline completo"),
    "scrape": (["scrape"], "scraping"),
    "index": (["index"], "reconstrucción del índice"),
    "train": (["dataset", "train", "evaluate", "promote"], "entrenamiento"),
}


def _allowed(request: Request) -> bool:
    return bool(request.app.state.admin_guard.allowed(request))


def _login() -> RedirectResponse:
    return RedirectResponse("/admin/login", status_code=303)


def _back(message: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?msg={quote(message)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, failed: bool = False) -> Response:
    guard = request.app.state.admin_guard
    return templates.TemplateResponse(
        request, "admin_login.html", {"enabled": guard.enabled, "failed": failed}
    )


@router.post("/login")
async def login(request: Request, key: str = Form("")) -> Response:
    guard = request.app.state.admin_guard
    try:
        token = guard.login(request, key)
    except RateLimitedError as exc:
        refused = templates.TemplateResponse(
            request,
            "admin_login.html",
            {"enabled": guard.enabled, "failed": True, "wait_s": exc.retry_after_s},
            status_code=429,
        )
        refused.headers["Retry-After"] = str(exc.retry_after_s)
        return refused
    if token is None:
        return RedirectResponse("/admin/login?failed=1", status_code=303)
    response = RedirectResponse("/admin", status_code=303)
    response.set_cookie(
        ADMIN_COOKIE,
        token,  # this login's session, not the key: it ends at logout
        httponly=True,
        samesite="strict",  # a form on another site cannot post with it
        secure=request.url.scheme == "https",
        max_age=SESSION_S,
        path="/admin",
    )
    response.delete_cookie(ADMIN_COOKIE, path="/")  # an older release's, which would shadow it
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    request.app.state.admin_guard.logout(request)
    response = _login()
    response.delete_cookie(ADMIN_COOKIE, path="/admin")
    response.delete_cookie(ADMIN_COOKIE, path="/")
    return response


async def _status(request: Request) -> dict[str, Any]:
    ops = actions.operations(request)
    runs = await ops.records.list_runs(limit=10)
    running = next((r for r in runs if r.status == "running"), None)
    return {"running": running, "runs": runs, "next_run": ops.scheduler and ops.scheduler.next_run}


@router.get("", response_class=HTMLResponse)
async def dashboard(request: Request, msg: str = "") -> Response:
    if not _allowed(request):
        return _login()
    runtime = request.app.state.runtime
    settings = request.app.state.settings
    facts = await data.gather(settings, runtime.store)
    errors = [
        charts.Series(chain, [(datetime.fromisoformat(day), n) for day, n in sorted(days.items())])
        for chain, days in sorted(facts["errors_per_day"].items())
    ]
    summaries = [c for c in facts["chains"] if c.stats]
    context = {
        **facts,
        **await _status(request),
        "msg": msg,
        "settings": settings,
        "model": runtime.service.model_name,
        "chain_names": sorted(discover_scrapers()),
        "errors_chart": charts.line_chart(errors, "Errores de scraping por día y cadena"),
        "products_chart": charts.bar_chart(
            [c.chain for c in summaries],
            [c.stats.products for c in summaries if c.stats],
            "Productos por cadena",
        ),
    }
    return templates.TemplateResponse(request, "admin_dashboard.html", context)


@router.get("/fragments/status", response_class=HTMLResponse)
async def status_fragment(request: Request) -> Response:
    if not _allowed(request):
        return HTMLResponse("", status_code=401)
    return templates.TemplateResponse(request, "admin_status.html", await _status(request))


@router.get("/products", response_class=HTMLResponse)
async def product_page(request: Request, id: str = "", q: str = "") -> Response:
    if not _allowed(request):
        return _login()
    store = request.app.state.runtime.store
    product = await store.get_product(id) if id else None
    history = await store.price_history(product.id) if product else []
    chart = ""
    if product:
        points = [(h.observed_at, float(h.price)) for h in history]
        chart = charts.line_chart(
            [charts.Series(product.name, points)],
            f"Precio de {charts.isolate(product.name)} ({product.chain})",
            unit=" €",
            step=True,
            ymin_zero=False,
        )
    found = await store.search(q, limit=30) if q and not product else []
    return templates.TemplateResponse(
        request,
        "admin_product.html",
        {"product": product, "history": history, "chart": chart, "q": q, "found": found},
    )


@router.post("/actions/{command}")
async def command(
    request: Request,
    command: str,
    chain: str = Form(""),
    version: str = Form(""),
) -> Response:
    if not _allowed(request):
        return _login()
    try:
        if command in COMMANDS:
            steps, label = COMMANDS[command]
            chains = [chain] if chain else None
            run = await actions.start_run(
                request, steps, "dashboard", chains, force=command == "index"
            )
            return _back(f"Iniciado: {label}{' de ' + chain if chain else ''} (run {run.id}).")
        if command == "abort":
            stopped = await actions.abort(request)
            if stopped["pipeline"] or stopped["scrapes"]:
                return _back("Parando: los productos en curso se guardan.")
            return _back("No hay nada en marcha que parar.")
        if command == "promote":
            return _back(f"En servicio: adaptador {actions.promote(request, version)}.")
        if command == "rollback":
            return _back(f"En servicio: {actions.rollback(request)}.")
    except SuperSmartError as exc:
        return _back(f"No se pudo: {exc}")
    return _back(f"Orden desconocida: {command}.")
