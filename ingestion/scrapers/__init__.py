"""Supermarket adapters, one module per chain; `registry.discover_scrapers()` finds them."""
