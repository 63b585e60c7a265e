"""The nightly refresh (scrape -> index -> dataset -> train -> evaluate -> promote), its
scheduler and the controller the API and the dashboard use to start and stop runs."""
