"""Finds scrapers without a central list: every `Scraper` subclass defined in a module of this
package, plus those that installed packages register under the `supersmart.scrapers`
entry-point group (`[project.entry-points."supersmart.scrapers"] lidl = "pkg.mod:LidlScraper"`).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib.metadata import entry_points

from core.errors import InputError
from ingestion import scrapers as package
from ingestion.scrapers.base import Scraper

_NOT_ADAPTERS = {"base", "payload", "registry"}


def discover_scrapers() -> dict[str, type[Scraper]]:
    found: dict[str, type[Scraper]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if module_info.name in _NOT_ADAPTERS:
            continue
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for candidate in vars(module).values():
            if (
                inspect.isclass(candidate)
                and issubclass(candidate, Scraper)
                and not inspect.isabstract(candidate)
                and candidate.__module__ == module.__name__
            ):
                found[candidate.chain] = candidate
    for entry in entry_points(group="supersmart.scrapers"):
        candidate = entry.load()
        if inspect.isclass(candidate) and issubclass(candidate, Scraper):
            found[candidate.chain] = candidate
    return dict(sorted(found.items()))


def select(scrapers: dict[str, type[Scraper]], names: list[str] | None) -> list[type[Scraper]]:
    if not names:
        return list(scrapers.values())
    unknown = [n for n in names if n not in scrapers]
    if unknown:
        raise InputError(f"No scraper for {', '.join(unknown)}. Available: {', '.join(scrapers)}.")
    return [scrapers[n] for n in names]
