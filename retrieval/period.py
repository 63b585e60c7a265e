"""The stretch of time a shopping question asks about: "este mes", "la semana pasada",
"desde octubre de 2023", "en marzo", "los últimos 3 meses".

Understanding a question must not depend on today's date (the same question is parsed the same
way on any day), so a `Period` stays relative until `bounds(now)` places it on the calendar with
the clock the caller holds. A month named without a year is its latest occurrence that has begun
("desde octubre" asked in January means October of the year before). Times are UTC, as stored.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip
_MONTH = "(" + "|".join((*MONTHS, "setiembre")) + ")"
_UNITS = {"dia": "day", "dias": "day", "semana": "week", "semanas": "week", "mes": "month",
          "meses": "month", "ano": "year", "anos": "year"}  # fmt: skip
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_SPANISH = {"day": "día", "week": "semana", "month": "mes", "year": "año"}
_NUMBERS = {"un": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
            "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12}  # fmt: skip
Unit = Literal["day", "week", "month", "year"]


@dataclass(frozen=True)
class Period:
    """`kind`: "this" (the calendar day/week/month/year so far), "previous" (the whole one
    before it), "last" (the `amount` units up to now, "los últimos 3 meses"), "since" (from a
    date until now), "during" (a named month or year)."""

    kind: Literal["this", "previous", "last", "since", "during"]
    label: str  # how an answer says it: "este mes", "desde octubre de 2023"
    unit: Unit = "month"
    amount: int = 1
    year: int | None = None
    month: int | None = None
    day: int | None = None

    def bounds(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) of the period on the calendar, given the current time."""
        now = now.astimezone(UTC)
        if self.kind == "this":
            return _calendar_start(now, self.unit), now
        if self.kind == "previous":
            end = _calendar_start(now, self.unit)
            return _calendar_start(end - timedelta(microseconds=1), self.unit), end
        if self.kind == "last":
            return now - timedelta(days=_DAYS[self.unit] * self.amount), now
        start = self._named_start(now)
        if self.kind == "since":
            return start, now
        if self.day is not None:  # "el 5 de marzo": that day
            return start, start + timedelta(days=1)
        if self.month is None:
            return start, start.replace(year=start.year + 1)
        return start, _next_month(start)

    def _named_start(self, now: datetime) -> datetime:
        month, day = self.month or 1, self.day or 1
        year = self.year if self.year is not None else now.year
        start = _date(year, month, day)
        if self.year is None and start > now:  # "desde octubre" in January: last October
            start = _date(year - 1, month, day)
        return start


def find_period(text: str) -> tuple[Period | None, str]:
    """The period a folded question names, and the question with those words taken out (so
    that "desde octubre de 2023" does not pollute the product search)."""
    for pattern, build in _PATTERNS:
        for match in pattern.finditer(text):
            period = build(match)
            if period is not None:
                return period, text[: match.start()] + " " + text[match.end() :]
    return None, text


def _date(year: int, month: int, day: int) -> datetime:
    """That day, or the month's last when it has fewer days (29 February in a common year)."""
    return datetime(year, month, min(day, monthrange(year, month)[1]), tzinfo=UTC)


def _calendar_start(moment: datetime, unit: Unit) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())  # weeks start on Monday in Spain
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _next_month(start: datetime) -> datetime:
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else (start.replace(month=start.month + 1))
    )


def _month_number(name: str) -> int:
    return 9 if name == "setiembre" else MONTHS.index(name) + 1


def _named(kind: Literal["since", "during"], match: re.Match[str]) -> Period | None:
    groups = match.groupdict()
    day = int(groups["day"]) if groups.get("day") else None
    month = _month_number(groups["month"]) if groups.get("month") else None
    year = int(groups["year"]) if groups.get("year") else None
    if month is None and year is None:
        return None
    if day is not None and not 1 <= day <= (monthrange(2024, month)[1] if month else 31):
        return None  # "30 de febrero": not a date
    words = []
    if day is not None:
        words.append(f"el {day} de")
    if month is not None:
        words.append(MONTHS[month - 1])
    if year is not None:
        words.append(f"de {year}" if month is not None else str(year))
    label = ("desde " if kind == "since" else "en ") + " ".join(words)
    return Period(kind, label, unit="month" if month else "year", year=year, month=month, day=day)


def _last(match: re.Match[str]) -> Period:
    raw = match["amount"] or "1"
    amount = int(raw) if raw.isdigit() else _NUMBERS.get(raw, 1)
    unit: Unit = _UNITS[match["unit"]]  # type: ignore[assignment]
    if amount == 1:
        label = f"en {'la última' if unit == 'week' else 'el último'} {_SPANISH[unit]}"
    else:
        plural = {"day": "días", "week": "semanas", "month": "meses", "year": "años"}[unit]
        label = f"en {'las últimas' if unit == 'week' else 'los últimos'} {amount} {plural}"
    return Period("last", label, unit=unit, amount=amount)


def _this(match: re.Match[str]) -> Period:
    unit: Unit = _UNITS.get(match["unit"], "day")  # type: ignore[assignment]
    label = {"day": "hoy", "week": "esta semana", "month": "este mes", "year": "este año"}[unit]
    return Period("this", label, unit=unit)


def _previous(match: re.Match[str]) -> Period:
    unit: Unit = _UNITS[match["unit"]]  # type: ignore[assignment]
    label = {"day": "ayer", "week": "la semana pasada", "month": "el mes pasado",
             "year": "el año pasado"}[unit]  # fmt: skip
    return Period("previous", label, unit=unit)


_DATE = (
    rf"(?:(?:el\s+)?(?P<day>\d{{1,2}})\s+de\s+)?(?:(?P<month>{_MONTH})\b)?"
    r"(?:\s+(?:de|del)\s+)?(?:(?P<year>(?:19|20)\d\d)\b)?"
)
_AMOUNT = r"(?P<amount>\d{1,3}|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|doce)?"
_PATTERNS = (
    (
        re.compile(
            rf"\b(?:desde\s+)?hace\s+{_AMOUNT}\s*(?P<unit>dias?|semanas?|mes|meses|anos?)\b"
        ),
        _last,
    ),
    (
        re.compile(
            r"\b(?:en\s+|durante\s+)?(?:(?:el|la|los|las)\s+)?(?:ultim[oa]s?|pasad[oa]s?)\s+"
            rf"{_AMOUNT}\s*(?P<unit>dias?|semanas?|mes|meses|anos?)\b"
        ),
        _last,
    ),
    (
        re.compile(r"\b(?:(?:el|la)\s+)?(?P<unit>semana|mes|ano)\s+pasad[oa]\b"),
        _previous,
    ),
    (re.compile(r"\b(?:en\s+|durante\s+)?(?:est[ea])\s+(?P<unit>semana|mes|ano)\b"), _this),
    (re.compile(r"\b(?:en\s+lo\s+que\s+va\s+de\s+)(?P<unit>semana|mes|ano)\b"), _this),
    (re.compile(r"\b(?P<unit>hoy)\b"), _this),
    (
        re.compile(rf"\bdesde\s+(?:(?:principios|comienzos|inicios?)\s+de\s+)?{_DATE}"),
        lambda m: _named("since", m),
    ),
    (
        re.compile(rf"\b(?:en|durante)\s+(?:el\s+mes\s+de\s+)?{_DATE}"),
        lambda m: _named("during", m),
    ),
    (  # "¿cuánto costaba el 5 de marzo?": that day
        re.compile(
            rf"\bel\s+(?P<day>\d{{1,2}})\s+de\s+(?P<month>{_MONTH})\b"
            r"(?:\s+de\s+(?P<year>(?:19|20)\d\d)\b)?"
        ),
        lambda m: _named("during", m),
    ),
)
