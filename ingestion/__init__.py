"""Getting products in: importers for files, (later) scrapers for supermarket sites."""
