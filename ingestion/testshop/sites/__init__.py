"""Each chain's site shape in the test shop, one module per chain (see `common.Site`)."""

from ingestion.testshop.sites.alcampo import AlcampoSite
from ingestion.testshop.sites.carrefour import CarrefourSite
from ingestion.testshop.sites.common import Route, Site
from ingestion.testshop.sites.consum import ConsumSite
from ingestion.testshop.sites.dia import DiaSite
from ingestion.testshop.sites.mercadona import MercadonaSite

SITES: tuple[type[Site], ...] = (MercadonaSite, DiaSite, ConsumSite, AlcampoSite, CarrefourSite)

__all__ = ["SITES", "Route", "Site"]
