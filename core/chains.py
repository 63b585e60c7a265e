"""The supermarket chains SuperSmart knows: the id products are stored under, the name shown
to shoppers and the online shop its scraper reads. One table for every floor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chain:
    id: str
    name: str
    site: str
    scraped: bool  # an adapter in `ingestion/scrapers/` reads `site` (others come from files)


CHAINS: dict[str, Chain] = {
    chain.id: chain
    for chain in (
        Chain("mercadona", "Mercadona", "https://tienda.mercadona.es", scraped=True),
        Chain("dia", "Dia", "https://www.dia.es", scraped=True),
        Chain("consum", "Consum", "https://tienda.consum.es", scraped=True),
        Chain("alcampo", "Alcampo", "https://www.compraonline.alcampo.es", scraped=True),
        Chain("carrefour", "Carrefour", "https://www.carrefour.es", scraped=True),
        Chain(
            "supermercados-mas",
            "Supermercados Más",
            "https://www.supermercadosmas.com",
            scraped=False,
        ),
    )
}
SCRAPED = tuple(chain.id for chain in CHAINS.values() if chain.scraped)


def chain_name(chain_id: str) -> str:
    """The name shown for a chain id ("dia" -> "Dia"); an id we do not know, title-cased."""
    known = CHAINS.get(chain_id)
    return known.name if known else chain_id.replace("-", " ").title()
