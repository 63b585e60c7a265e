"""The one settings object, read from `SUPERSMART_*` environment variables (and `.env`).

Nested sections use a double underscore: `SUPERSMART_STORE__BACKEND=mongodb`.
Read once at the process edge (`Settings()`) and passed down through constructors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
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
    store: StoreSettings = Field(default_factory=StoreSettings)
    datalake: DataLakeSettings = Field(default_factory=DataLakeSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)

    @property
    def sqlite_path(self) -> Path:
        return self.store.sqlite_path or self.data_dir / "supersmart.db"

    @property
    def datalake_path(self) -> Path:
        return self.datalake.path or self.data_dir / "datalake"

    @property
    def store_backend(self) -> Literal["sqlite", "mongodb"]:
        if self.store.backend == "auto":
            return "mongodb" if self.store.mongodb_uri is not None else "sqlite"
        return self.store.backend
