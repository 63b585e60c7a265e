"""SQLite schema of the embedded store (FTS5 with accent folding, WAL)."""

SCHEMA_VERSION = 2

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '{SCHEMA_VERSION}');

CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    chain TEXT NOT NULL,
    chain_product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    brand TEXT,
    ean TEXT,
    category TEXT NOT NULL DEFAULT '',
    price REAL NOT NULL,
    reference_price REAL,
    reference_unit TEXT,
    data TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version INTEGER NOT NULL,
    observed_at TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_execution_id TEXT
);
CREATE INDEX IF NOT EXISTS products_chain_category ON products(chain, category);
CREATE INDEX IF NOT EXISTS products_ean ON products(ean);
CREATE INDEX IF NOT EXISTS products_updated_at ON products(updated_at);

CREATE TABLE IF NOT EXISTS product_versions (
    product_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    data TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    execution_id TEXT,
    PRIMARY KEY (product_id, version)
);

CREATE TABLE IF NOT EXISTS price_observations (
    product_id TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    price REAL NOT NULL,
    reference_price REAL,
    execution_id TEXT,
    PRIMARY KEY (product_id, observed_at)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    price_changes INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    abort_requested INTEGER NOT NULL DEFAULT 0,
    prices INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS executions_source ON executions(source, started_at);

CREATE TABLE IF NOT EXISTS scrape_errors (
    id INTEGER PRIMARY KEY,
    execution_id TEXT NOT NULL,
    chain TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    url TEXT,
    field TEXT,
    expected TEXT,
    excerpt TEXT,
    occurred_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scrape_errors_execution ON scrape_errors(execution_id);
CREATE INDEX IF NOT EXISTS scrape_errors_chain ON scrape_errors(chain, occurred_at);

CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(
    name, brand, category, ingredients,
    tokenize = "unicode61 remove_diacritics 2"
);
"""

# Columns added after a table first shipped: (table, column, definition). Applied when missing.
MIGRATIONS = (
    ("executions", "abort_requested", "INTEGER NOT NULL DEFAULT 0"),
    ("executions", "prices", "INTEGER NOT NULL DEFAULT 0"),
)
