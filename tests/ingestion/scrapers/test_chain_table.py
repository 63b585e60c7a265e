"""`core.chains` is the one table of chains: every scraper shipped here is one of its scraped
chains, reads the site it names, and every scraped chain has its scraper."""

from __future__ import annotations

from core.chains import CHAINS, SCRAPED, chain_name
from ingestion.scrapers.registry import discover_scrapers


def test_the_scrapers_are_the_tables_scraped_chains_on_its_sites() -> None:
    scrapers = discover_scrapers()
    assert sorted(scrapers) == sorted(SCRAPED)
    for chain, scraper in scrapers.items():
        assert scraper.default_base_url == CHAINS[chain].site


def test_names_shown_for_known_and_unknown_chains() -> None:
    assert [chain_name(c) for c in ("dia", "supermercados-mas", "lidl", "bon-preu")] == [
        "Dia",
        "Supermercados Más",
        "Lidl",
        "Bon Preu",
    ]
