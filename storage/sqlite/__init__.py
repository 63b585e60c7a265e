"""The embedded SQLite store: one connection (`connection`), the schema, and the store's three
parts (`executions`, `errors`, `catalogue` with its `writes`) put together in `store`."""
