"""The period a question names is understood the same way on any day, and placed on the
calendar only with the clock it is given: month start, month end and a year change included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text import fold
from retrieval.period import find_period
from retrieval.query import understand

MONTH_START = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
MONTH_END = datetime(2026, 11, 30, 23, 55, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 2, 9, 0, tzinfo=UTC)
MIDWEEK = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)  # a Thursday


def _bounds(question: str, now: datetime) -> tuple[str, str]:
    period = understand(question).period
    assert period is not None, question
    start, end = period.bounds(now)
    return start.date().isoformat(), end.date().isoformat()


@pytest.mark.parametrize(
    ("question", "now", "start", "end"),
    [
        ("¿Ha subido la leche este mes?", MONTH_START, "2026-12-01", "2026-12-01"),
        ("¿Ha subido la leche este mes?", MONTH_END, "2026-11-01", "2026-11-30"),
        ("¿Ha subido la leche este mes?", NEW_YEAR, "2027-01-01", "2027-01-02"),
        ("¿Ha bajado el aceite esta semana?", MIDWEEK, "2026-11-16", "2026-11-19"),
        ("¿Ha bajado el aceite esta semana?", NEW_YEAR, "2026-12-28", "2027-01-02"),
        ("¿Ha subido el pan este año?", NEW_YEAR, "2027-01-01", "2027-01-02"),
        ("¿Ha subido el pan este año?", MONTH_END, "2026-01-01", "2026-11-30"),
        ("¿Cuánto costaba el pan el mes pasado?", MONTH_START, "2026-11-01", "2026-12-01"),
        ("¿Cuánto costaba el pan el mes pasado?", NEW_YEAR, "2026-12-01", "2027-01-01"),
        ("¿Cambió el precio el año pasado?", NEW_YEAR, "2026-01-01", "2027-01-01"),
        ("¿Ha subido la leche hoy?", MONTH_START, "2026-12-01", "2026-12-01"),
        ("¿Ha subido en la última semana?", MONTH_START, "2026-11-24", "2026-12-01"),
        ("¿Ha bajado en los últimos 3 meses?", MONTH_END, "2026-09-01", "2026-11-30"),
        ("¿Ha bajado desde hace dos semanas?", NEW_YEAR, "2026-12-19", "2027-01-02"),
        ("¿Ha subido desde octubre de 2023?", NEW_YEAR, "2023-10-01", "2027-01-02"),
        ("¿Ha subido desde octubre?", NEW_YEAR, "2026-10-01", "2027-01-02"),  # last October
        ("¿Ha subido desde octubre?", MONTH_END, "2026-10-01", "2026-11-30"),
        ("¿Ha subido desde diciembre?", MONTH_START, "2026-12-01", "2026-12-01"),
        ("¿Ha subido desde diciembre?", MONTH_END, "2025-12-01", "2026-11-30"),
        ("¿Ha subido desde el 5 de noviembre de 2026?", NEW_YEAR, "2026-11-05", "2027-01-02"),
        ("¿Cuánto costaba la leche en marzo de 2024?", NEW_YEAR, "2024-03-01", "2024-04-01"),
        ("¿Cuánto costaba la leche en diciembre?", NEW_YEAR, "2026-12-01", "2027-01-01"),
        ("¿Ha subido desde 2024?", NEW_YEAR, "2024-01-01", "2027-01-02"),
        ("¿Cuánto costaba en 2024?", NEW_YEAR, "2024-01-01", "2025-01-01"),
        ("¿Ha subido en lo que va de año?", MONTH_END, "2026-01-01", "2026-11-30"),
    ],
)
def test_a_period_is_placed_on_the_calendar_by_the_clock_given(
    question: str, now: datetime, start: str, end: str
) -> None:
    assert _bounds(question, now) == (start, end)


@pytest.mark.parametrize(
    ("question", "text", "label"),
    [
        ("¿Ha subido la leche desde octubre de 2023?", "leche", "desde octubre de 2023"),
        ("¿Ha subido la leche este mes?", "leche", "este mes"),
        ("¿Ha bajado el aceite de oliva en Mercadona esta semana?", "aceite oliva", "esta semana"),
        ("precio del atún en los últimos 6 meses", "atun", "en los últimos 6 meses"),
        ("¿Cuánto costaba el café en marzo?", "cafe", "en marzo"),
    ],
)
def test_the_period_words_leave_the_product_search(question: str, text: str, label: str) -> None:
    query = understand(question)
    assert query.text == text
    assert query.period is not None and query.period.label == label


@pytest.mark.parametrize(
    "question",
    ["leche entera en Mercadona", "aceite de oliva en botella de 1 l", "galletas en oferta",
     "pan de molde 500 g", "¿Dónde está más barato el aceite?", "turrón de 2024 gramos"],
)  # fmt: skip
def test_questions_without_a_period_have_none(question: str) -> None:
    assert understand(question).period is None


@given(
    year=st.integers(2000, 2099),
    month=st.integers(1, 12),
    now=st.datetimes(datetime(2001, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
)
def test_a_named_month_always_starts_on_its_first_day_before_now_or_in_its_year(
    year: int, month: int, now: datetime
) -> None:
    from retrieval.period import MONTHS

    named, _ = find_period(fold(f"desde {MONTHS[month - 1]} de {year}"))
    bare, _ = find_period(fold(f"desde {MONTHS[month - 1]}"))
    assert named is not None and bare is not None
    start, _ = named.bounds(now)
    assert (start.year, start.month, start.day) == (year, month, 1)
    start, _ = bare.bounds(now)
    assert start <= now and start.month == month and start.day == 1
    assert (now - start).days < 366  # its latest occurrence, not one a year earlier


@pytest.mark.parametrize(
    ("question", "now", "start", "end"),
    [
        ("¿Cuánto costaba el aceite el 30 de enero?", NEW_YEAR, "2026-01-30", "2026-01-31"),
        ("¿Cuánto costaba la leche el 5 de marzo de 2025?", NEW_YEAR, "2025-03-05", "2025-03-06"),
        # a leap day asked in a common year: the month's last day, not a crash
        ("¿Ha subido desde el 29 de febrero?", NEW_YEAR, "2026-02-28", "2027-01-02"),
    ],
)
def test_a_named_day_is_that_day(question: str, now: datetime, start: str, end: str) -> None:
    assert _bounds(question, now) == (start, end)


@pytest.mark.parametrize(
    "question",
    ["¿Cuánto cuesta el atún en mayonesa?", "salsa desde mayonesa casera", "¿Y el 30 de febrero?",
     "Tengo 2 paquetes en 20250"],
)  # fmt: skip
def test_month_names_inside_words_and_impossible_dates_are_no_period(question: str) -> None:
    assert understand(question).period is None
