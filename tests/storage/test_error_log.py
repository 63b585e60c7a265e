"""The error log's contract on every backend, the part built on its own."""

from __future__ import annotations

from core.domain import ScrapeError
from tests.storage.conftest import Parts


async def test_errors_are_kept_per_execution_and_chain_and_counted(parts: Parts) -> None:
    run = (await parts.executions.start_execution("scrape:dia", "scrape")).id
    other = (await parts.executions.start_execution("scrape:consum", "scrape")).id
    errors = [
        ScrapeError(
            execution_id=run,
            chain="dia",
            reason="missing_price",
            message="no price",
            url="https://dia.example/p/1",
            field="price",
            expected="a number",
            excerpt="{}",
        ),
        ScrapeError(execution_id=run, chain="consum", reason="malformed_json", message="bad"),
    ]
    await parts.errors.record_errors(run, errors)
    await parts.errors.record_errors(other, [])  # nothing to record: nothing written

    kept = await parts.errors.list_errors(execution_id=run)
    assert kept == errors  # every field, in the order recorded
    only_dia = await parts.errors.list_errors(chain="dia")
    assert len(only_dia) == 1 and only_dia[0].url == "https://dia.example/p/1"
    assert len(await parts.errors.list_errors(limit=1)) == 1
    assert await parts.errors.list_errors(execution_id=other) == []
    counted = await parts.executions.get_execution(run)
    assert counted is not None and counted.counts.errors == 2
