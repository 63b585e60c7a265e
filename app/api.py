"""`create_app(settings)`: the FastAPI composition root of the chat service.

Everything heavy (store, index, model) opens in the lifespan and is kept on `app.state`;
`model` and `embedder` may be given to replace the configured ones (tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app import errors
from app.dashboard import pages as dashboard
from app.headers import SecurityHeaders
from app.limits import BodyLimit
from app.metrics import Metrics, RequestCounting
from app.routes import admin, chat, openai, ops
from app.security import AdminGuard, Guard
from chat.chat_model import ChatModel
from chat.runtime import Runtime, open_runtime
from core.domain import Clock, utcnow
from core.settings import Settings
from finetune.registry import AdapterRegistry
from pipeline.operations import open_operations
from pipeline.training import AdapterEvaluator, AdapterTrainer
from retrieval.embedder import Embedder

DESCRIPTION = """
Ask about products of Spanish supermarkets; answers come from the store's current data, cite the
products they use (`[n]` in the text, `products` in the response) with their price and its date,
and are checked: a price, size, EAN or allergen the data does not hold never reaches the user.
Errors always have the shape `{"error": {"type", "message"}}`.
"""


def create_app(
    settings: Settings,
    model: ChatModel | None = None,
    embedder: Embedder | None = None,
    trainer: AdapterTrainer | None = None,
    evaluator: AdapterEvaluator | None = None,
    clock: Clock = utcnow,
) -> FastAPI:
    """`trainer`/`evaluator` replace the pipeline's training processes and `clock` the time
    the answers go by (tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            runtime = await open_runtime(
                settings, model=model, embedder=embedder, clock=clock,
                adapter=AdapterRegistry.of(settings).current,
            )  # fmt: skip
            stack.push_async_callback(runtime.close)
            app.state.runtime = runtime
            app.state.ops = await open_operations(
                settings,
                runtime.store,
                serving=True,
                schedule=settings.pipeline.schedule_in_api,
                embedder=runtime.retriever.embedder,
                trainer=trainer,
                evaluator=evaluator,
            )
            stack.push_async_callback(app.state.ops.close)
            app.state.bots = await _bots(settings, runtime)
            stack.push_async_callback(app.state.bots.stop)
            yield

    app = FastAPI(
        title="SuperSmart",
        version="0.1.0",
        summary="A shopping assistant grounded in Spanish supermarket data.",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI from a CDN: served locally below
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.guard = Guard(settings.api)
    app.state.admin_guard = AdminGuard(settings.api)
    errors.install(app)
    app.include_router(chat.router)
    app.include_router(openai.router)
    app.include_router(ops.router)
    app.include_router(admin.router)
    app.include_router(dashboard.router)
    if settings.bots.whatsapp_token is not None or settings.bots.telegram_webhook_url:
        from bots.webhooks import router as bot_routes

        app.include_router(bot_routes)
    static = files("app") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse((static / "index.html").read_text(encoding="utf-8"))

    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Interactive API docs, working offline (Swagger UI from the `swagger-ui-bundle`
        package, not a CDN)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="SuperSmart API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
        )
    app.add_middleware(
        BodyLimit, max_bytes=settings.api.max_body_bytes, timeout_s=settings.api.body_timeout_s
    )
    app.add_middleware(RequestCounting, metrics=app.state.metrics)
    app.add_middleware(SecurityHeaders)
    return app


async def _bots(settings: Settings, runtime: Runtime) -> Any:
    """The Telegram (webhook mode) and WhatsApp channels when configured, else nothing to do."""
    if settings.bots.whatsapp_token is None and not settings.bots.telegram_webhook_url:
        return _NoBots()
    from bots.webhooks import start_bots

    return await start_bots(settings, runtime)


class _NoBots:
    async def stop(self) -> None:
        return None
