"""The one settings object, read from `SUPERSMART_*` environment variables (and `.env`).

Nested sections use a double underscore: `SUPERSMART_STORE__BACKEND=mongodb`.
Read once at the process edge (`load_settings()`) and passed down through constructors; a
child process gets its parent's as one file (`write_settings`).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal, get_args

import pydantic_core
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class StoreSettings(BaseModel):
    """Where products, price history, executions and errors are kept."""

    backend: Literal["auto", "sqlite", "mongodb"] = Field(
        "auto",
        description="Store implementation. 'auto' uses MongoDB when `mongodb_uri` is set, "
        "else the embedded SQLite file.",
    )
    sqlite_path: Path | None = Field(
        None, description="SQLite database file. Default: `<data_dir>/supersmart.db`."
    )
    mongodb_uri: SecretStr | None = Field(
        None,
        description="MongoDB connection string (e.g. `mongodb://localhost:27017`). "
        "Setting it selects the MongoDB store when backend is 'auto'.",
    )
    mongodb_database: str = Field("supersmart", description="MongoDB database name.")
    timeout_s: float = Field(
        10.0, gt=0, description="How long to wait for the store (connect, busy lock) in seconds."
    )


class DataLakeSettings(BaseModel):
    """The append-only JSONL mirror of everything ingested."""

    enabled: bool = Field(True, description="Write every ingested record to the JSONL data lake.")
    path: Path | None = Field(None, description="Data-lake folder. Default: `<data_dir>/datalake`.")
    fsync: bool = Field(
        True, description="fsync each batch before it is stored, so a crash loses nothing."
    )


class ImportSettings(BaseModel):
    """Validation of imported rows."""

    batch_size: int = Field(500, ge=1, description="Products written per store transaction.")
    max_price_to_reference_ratio: float = Field(
        50.0,
        gt=1,
        description="Reject a product whose package price is more than this many times its "
        "price per kg/l times its size (an upstream per-piece price bug).",
    )


class ScrapeSettings(BaseModel):
    """How scrapers treat supermarket sites (politeness) and when a run counts as degraded."""

    user_agent: str = Field(
        "SuperSmartBot/0.1 (+https://github.com/supersmart-es/supersmart; price comparison)",
        description="User-Agent sent to every site: says who we are and where to read more.",
    )
    concurrency: int = Field(4, ge=1, le=32, description="Requests in flight per host at most.")
    delay_s: float = Field(0.5, ge=0, description="Minimum pause between requests to a host.")
    timeout_s: float = Field(15.0, gt=0, description="Seconds before a request counts as hung.")
    retries: int = Field(3, ge=0, le=10, description="Retries on 429, 5xx, timeouts, resets.")
    backoff_s: float = Field(1.0, ge=0, description="First retry wait; doubles each retry.")
    max_wait_s: float = Field(
        60.0, ge=0, description="Longest wait for one retry, a site's Retry-After included."
    )
    respect_robots: bool = Field(True, description="Honour each site's robots.txt.")
    max_products: int | None = Field(
        None, ge=1, description="Stop each chain after this many products (for trial runs)."
    )
    batch_size: int = Field(50, ge=1, description="Products stored per write during a scrape.")
    degraded_error_rate: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of products with errors above which a run is marked 'degraded'.",
    )
    render_pages: bool = Field(
        True,
        description="Use the browser (Playwright + Chromium) for chains whose pages need "
        "JavaScript; false fetches their HTML over plain HTTP.",
    )
    chromium_path: Path = Field(
        Path("/usr/lib/chromium/chromium"), description="Chromium binary (Debian's `chromium`)."
    )
    base_urls: dict[str, str] = Field(
        default_factory=dict,
        description='Per-chain site address overrides, e.g. {"dia": "http://127.0.0.1:8765/dia"}.',
    )
    abort_poll_s: float = Field(
        1.0, gt=0, description="How often a running scrape checks for an abort request."
    )


class RetrievalSettings(BaseModel):
    """How products are turned into passages, embedded, indexed and searched."""

    embedder: Literal["use", "sentence-transformers", "hash"] = Field(
        "use",
        description="'use': the packaged multilingual Universal Sentence Encoder (default); "
        "'sentence-transformers': a local model directory (`model_path`); 'hash': a "
        "deterministic character n-gram embedder (tests, or no model at all).",
    )
    model_path: Path | None = Field(
        None, description="Local sentence-transformers model folder (never downloaded)."
    )
    metric: Literal["cosine", "ip", "l2"] = Field(
        "cosine",
        description="Vector similarity: cosine (normalised inner product), raw inner "
        "product, or Euclidean (L2) distance.",
    )
    mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="Ranking: dense and lexical fused (RRF), or one of them alone."
    )
    threads: int = Field(
        1,
        ge=1,
        description="Threads for embedding and FAISS (1 is fastest on 2 shared cores, measured).",
    )
    chunk_chars: int = Field(
        400, ge=50, description="Longest extra passage (ingredients, instructions), in characters."
    )
    chunk_overlap: int = Field(80, ge=0, description="Characters shared by consecutive chunks.")
    candidates: int = Field(50, ge=1, description="Passages each ranking contributes to fusion.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    min_similarity: float = Field(
        0.35,
        ge=-1,
        le=1,
        description="Hybrid mode, when no word of the question matches: "
        "the cosine similarity a passage needs to be returned at all.",
    )
    index_path: Path | None = Field(None, description="Index folder. Default: <data_dir>/index.")
    keep_versions: int = Field(3, ge=1, description="Index versions kept on disk (rollback).")


class ModelSettings(BaseModel):
    """The local chat model that words the answers (llama.cpp, 4-bit GGUF)."""

    backend: Literal["llama-cpp", "data-only"] = Field(
        "llama-cpp",
        description="'llama-cpp': a GGUF model through llama-cpp-python; 'data-only': no "
        "language model, every answer composed from the data (fast, always grounded).",
    )
    path: Path | None = Field(
        None,
        description="GGUF model file. Default: the packaged Gemma 3 270M (Q4_K_M), assembled "
        "into `<data_dir>/models/` on first use. Any chat GGUF works (e.g. a 7B instruct).",
    )
    lora_path: Path | None = Field(
        None, description="GGUF LoRA adapter applied on top of the model (from `finetune/`)."
    )
    use_adapter: bool = Field(
        True,
        description="Apply the adapter in service (promoted with `supersmart adapters`, else "
        "the one shipped in the package) when `lora_path` is not set.",
    )
    chat_format: str | None = Field(
        None,
        description="llama-cpp-python chat format. Default: the template inside the GGUF, "
        "or 'gemma' when it has none (the packaged base model).",
    )
    threads: int = Field(2, ge=1, description="CPU threads for generation.")
    context_tokens: int = Field(2048, ge=256, description="Context window in tokens.")
    max_tokens: int = Field(200, ge=1, le=4096, description="Longest answer in tokens.")
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    seed: int = Field(7, description="Sampling seed (answers repeat for the same prompt).")
    queue_size: int = Field(
        8, ge=0, description="Requests that may wait for the model; more get 503 at once."
    )
    queue_timeout_s: float = Field(
        30.0, gt=0, description="Longest wait for the model before answering 503 + Retry-After."
    )


class ChatSettings(BaseModel):
    """How the chat service builds prompts, keeps conversations and checks answers."""

    products_in_context: int = Field(
        5, ge=1, le=20, description="Retrieved products numbered in the prompt."
    )
    turns_in_prompt: int = Field(
        4, ge=0, description="Previous messages of the conversation given to the model."
    )
    turns_kept: int = Field(
        40, ge=2, description="Messages kept per conversation in the store (oldest dropped)."
    )
    conversation_days: float = Field(
        30, gt=0, description="A conversation silent for longer is deleted from the store."
    )
    max_conversations: int = Field(
        100_000, ge=1, description="Conversations kept in the store; the least recent go first."
    )
    max_message_chars: int = Field(
        1000, ge=10, description="Longest question accepted, in characters."
    )
    lead: Literal["data", "model"] = Field(
        "data",
        description="Who opens an answer. `data`: its first sentence, composed from the data in "
        "the words the adapter learned, is shown as soon as the products are found, and the "
        "model (an adapter trained on the `draft` or `brief` prompt) goes on from it. `model`: "
        "nothing is shown before the model's own first sentence has passed the check.",
    )


MIN_ADMIN_KEY = 16  # characters


class ApiSettings(BaseModel):
    """The HTTP service (`supersmart serve`)."""

    host: str = Field("127.0.0.1", description="Address to listen on (0.0.0.0 for all).")
    port: int = Field(8000, ge=1, le=65535, description="TCP port.")
    api_keys: list[SecretStr] = Field(
        default_factory=list,
        description=f"Accepted API keys (JSON list), at least {MIN_ADMIN_KEY} characters each. "
        "Empty: no key needed. "
        "Sent as `Authorization: Bearer <key>` or `X-API-Key`.",
    )
    rate_limit_per_minute: int = Field(
        30, ge=0, description="Chat requests per minute per API key (or client IP); 0: no limit."
    )
    max_body_bytes: int = Field(16_384, ge=256, description="Largest request body accepted.")
    header_timeout_s: float = Field(
        10.0, gt=0, description="A connection whose request headers take longer is closed."
    )
    body_timeout_s: float = Field(
        15.0, gt=0, description="A request body that takes longer to arrive gets 408."
    )
    max_connections: int = Field(
        1000, ge=1, description="Connections served at once; over it, requests get 503."
    )
    keep_alive_s: float = Field(
        10.0,
        ge=2,
        description="An idle kept-alive connection is closed after this; a busy "
        "model's Retry-After stays below it.",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front (JSON list, e.g. "
        '["10.0.0.5", "172.18.0.0/16"]): only their `X-Forwarded-For` / `X-Forwarded-Proto` '
        "are believed, for the rate limits, the login throttle and HTTPS cookies. Empty: "
        "none is, every client is its own connection's address.",
    )
    admin_key: SecretStr | None = Field(
        None,
        description="Key for the operator dashboard (`/admin`) and the pipeline routes "
        f"(`X-Admin-Key`), at least {MIN_ADMIN_KEY} characters. Unset: they are closed.",
    )

    @field_validator("api_keys")
    @classmethod
    def _keys_long_enough(cls, value: list[SecretStr]) -> list[SecretStr]:
        # wrong API keys are not throttled (a shopper's app retries): length is their guard
        if any(len(k.get_secret_value()) < MIN_ADMIN_KEY for k in value):
            raise ValueError(
                f"every API key must be at least {MIN_ADMIN_KEY} characters (a short one is "
                "guessed in a few thousand requests): generate one with "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        """Each entry as uvicorn compares it: an address, or a network by its first address."""
        checked = []
        for entry in value:
            try:
                if "/" in entry:
                    checked.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
                else:
                    checked.append(str(ipaddress.ip_address(entry.strip())))
            except ValueError:
                raise ValueError(
                    f"{entry!r} in trusted_proxies is not an IP address or network: give the "
                    "proxy's address as seen by this server (e.g. 10.0.0.5 or 172.18.0.0/16)"
                ) from None
        return checked

    @field_validator("admin_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_ADMIN_KEY:
            raise ValueError(
                f"the admin key must be at least {MIN_ADMIN_KEY} characters (it guards every "
                "operator action): generate one with "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`"
            )
        return value


class BotSettings(BaseModel):
    """Telegram and WhatsApp (`supersmart bot telegram`, the `/whatsapp/webhook` route)."""

    telegram_token: SecretStr | None = Field(
        None, description="Telegram bot token from @BotFather (secret; no default)."
    )
    telegram_webhook_url: str | None = Field(
        None,
        description="Public HTTPS URL Telegram posts updates to (webhook mode); unset: polling.",
    )
    telegram_secret_token: SecretStr | None = Field(
        None,
        description="Secret Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (webhook mode; "
        "required there).",
    )
    telegram_api_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (a local Bot API server, or a test server).",
    )
    whatsapp_token: SecretStr | None = Field(
        None, description="WhatsApp Cloud API access token (secret). Unset: no WhatsApp route."
    )
    whatsapp_phone_id: str | None = Field(None, description="WhatsApp business phone number id.")
    whatsapp_verify_token: SecretStr | None = Field(
        None, description="Token Meta sends back in the webhook handshake (`hub.verify_token`)."
    )
    whatsapp_app_secret: SecretStr | None = Field(
        None, description="App secret that signs webhook posts (`X-Hub-Signature-256`)."
    )
    whatsapp_api_url: str = Field(
        "https://graph.facebook.com", description="Graph API base URL (a test server in tests)."
    )
    messages_per_minute: int = Field(
        6, ge=1, description="Questions per minute per chat or phone; more get a polite wait."
    )


StepName = Literal["scrape", "index", "dataset", "train", "evaluate", "promote"]


class PipelineSettings(BaseModel):
    """The nightly refresh: scrape -> index -> dataset -> train -> evaluate -> promote."""

    schedule: str | None = Field(
        "30 4 * * *",
        description="When the pipeline runs, as a crontab line (minute hour day month "
        "weekday) in `timezone`. Empty: never on its own.",
    )
    timezone: str = Field("Europe/Madrid", description="Time zone of `schedule`.")
    schedule_in_api: bool = Field(
        True,
        description="Run the scheduler inside `supersmart serve` (false: run `supersmart "
        "schedule` as its own process, or on another machine).",
    )
    steps: list[StepName] = Field(
        default_factory=lambda: list(get_args(StepName)),
        description="Steps of a scheduled run, in this order.",
    )
    chains: list[str] = Field(
        default_factory=list, description="Chains the scrape step scrapes. Empty: every chain."
    )
    train_while_serving: bool = Field(
        False,
        description="Let the API process train and evaluate adapters (minutes of every core): "
        "slows answers down. False: those steps are skipped there; run them with `supersmart "
        "schedule` or `supersmart pipeline run` where no answers are served.",
    )
    train_config: Path | None = Field(
        None, description="Training YAML for the train step (default: the packaged one)."
    )
    evaluate_questions: int | None = Field(
        None,
        ge=1,
        description="Held-out questions the evaluate step asks each model (None: all of them; "
        "fewer is faster on small machines, and noisier).",
    )
    misfire_grace_s: int = Field(
        6 * 3600,
        ge=1,
        description="A run missed (service down or busy) by up to this many seconds still runs "
        "once when the service is back; several missed runs count as one.",
    )
    lease_s: float = Field(
        120.0,
        gt=1,
        description="How long the pipeline lock lasts without renewal (a crashed holder "
        "frees it after this).",
    )


class Settings(BaseSettings):
    """Everything configurable in SuperSmart."""

    model_config = SettingsConfigDict(
        env_prefix="SUPERSMART_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Field(
        Path("data"), description="Folder for the database, data lake, indexes and models."
    )
    shared_data_dir: Path = Field(
        Path("../shared/data"),
        description="The real catalogues, price histories and recorded pages (`../shared/data` "
        "beside the checkout): the real-data evaluation and training questions read them.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info",
        description="Log level of the long-running commands (`serve`, `bot telegram`, "
        "`schedule`); other commands log warnings. Configured secrets never reach the log.",
    )
    store: StoreSettings = Field(default_factory=StoreSettings)
    datalake: DataLakeSettings = Field(default_factory=DataLakeSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    scrape: ScrapeSettings = Field(default_factory=ScrapeSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    bots: BotSettings = Field(default_factory=BotSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value  # "INFO" as Python writes it

    @property
    def sqlite_path(self) -> Path:
        return self.store.sqlite_path or self.data_dir / "supersmart.db"

    @property
    def datalake_path(self) -> Path:
        return self.datalake.path or self.data_dir / "datalake"

    @property
    def index_path(self) -> Path:
        return self.retrieval.index_path or self.data_dir / "index"

    @property
    def model_path(self) -> Path:
        return self.model.path or self.data_dir / "models" / "gemma-3-270m-q4_k_m.gguf"

    @property
    def store_backend(self) -> Literal["sqlite", "mongodb"]:
        if self.store.backend == "auto":
            return "mongodb" if self.store.mongodb_uri is not None else "sqlite"
        return self.store.backend


# A child process (the pipeline's training and evaluation) gets its parent's settings as one
# JSON file named by this variable, not as one environment variable per field.
SETTINGS_FILE = "SUPERSMART_SETTINGS_FILE"


def load_settings() -> Settings:
    """The settings at a process edge: the file a parent process passed (`SETTINGS_FILE`),
    else the environment and `.env`."""
    passed = os.environ.get(SETTINGS_FILE)
    if passed:
        return Settings.model_validate_json(Path(passed).read_text(encoding="utf-8"))
    return Settings()


def write_settings(settings: Settings, path: Path) -> Path:
    """These settings, secrets included, as JSON readable by this user only (for a child)."""

    def reveal(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, dict):
            return {key: reveal(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [reveal(item) for item in value]
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(pydantic_core.to_json(reveal(settings.model_dump())))
    return path
