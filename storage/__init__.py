"""Persistence: the `ProductStore` protocol, SQLite and MongoDB stores, the data lake."""
