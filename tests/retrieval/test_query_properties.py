"""Properties of question understanding, for any wording a shopper types: a price limit is read
as exactly the amount written, however it is written; the words around it and the words of the
limit change neither the amount nor the search; a chain is a chain in any case or accent; and no
text, however odd, breaks the parser."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.text import fold
from retrieval.period import find_period
from retrieval.query import Query, understand
from tests.strategies import amounts

PROPERTY = settings(
    deadline=None, max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow]
)
PRODUCTS = ("leche entera", "galletas María", "aceite de oliva virgen", "pan de molde",
            "café molido", "yogur natural", "atún claro")  # fmt: skip
CURRENCIES = ("", "€", " €", " euros", " euro", " eur", " EUR", " Euros")
BELOW = ("por menos de", "menos de", "por debajo de", "hasta", "como máximo", "máximo",
         "como mucho", "no más de", "inferior a", "inferiores a", "<", "<=")  # fmt: skip
ABOVE = ("más de", "por encima de", "mínimo", "superior a", "superiores a", ">", ">=")
CHAINS = (("mercadona", "mercadona"), ("consum", "consum"), ("alcampo", "alcampo"),
          ("auchan", "alcampo"), ("carrefour", "carrefour"),
          ("supermercados mas", "supermercados-mas"))  # fmt: skip
SIZES = ("g", "gr", "gramos", "kg", "kilos", "l", "litros", "ml", "cl")


def _search(question: str) -> str:
    return understand(question).text


@PROPERTY
@given(
    amount=amounts(),
    product=st.sampled_from(PRODUCTS),
    phrase=st.sampled_from(BELOW),
    currency=st.sampled_from(CURRENCIES),
    before=st.booleans(),
    chain=st.booleans(),
    ask=st.sampled_from(("{}", "¿{}?", "¿Hay {}?", "busco {}.", "Quiero {}!")),
)
@example((Decimal("1000"), "1.000"), "leche entera", "por menos de", " €", False, False, "{}")
@example((Decimal("2.5"), "2'50"), "leche entera", "por menos de", " €", False, False, "{}")
@example((Decimal("3"), "3"), "leche entera", "como máximo", "€", False, False, "{}")
def test_a_price_limit_is_read_as_written(
    amount: tuple[Decimal, str],
    product: str,
    phrase: str,
    currency: str,
    before: bool,
    chain: bool,
    ask: str,
) -> None:
    value, written = amount
    limit = f"{phrase} {written}{currency}"
    words = f"{limit} {product}" if before else f"{product} {limit}"
    query = understand(ask.format(words + (" en Mercadona" if chain else "")))
    assert query.max_price == value
    assert query.min_price is None
    assert query.text == _search(product)  # neither the limit nor its words are searched
    assert query.chains == ({"mercadona"} if chain else set())


@PROPERTY
@given(
    amount=amounts(),
    product=st.sampled_from(PRODUCTS),
    phrase=st.sampled_from(ABOVE),
    currency=st.sampled_from(CURRENCIES),
)
def test_a_lower_limit_is_read_as_written(
    amount: tuple[Decimal, str], product: str, phrase: str, currency: str
) -> None:
    value, written = amount
    query = understand(f"{product} {phrase} {written}{currency}")
    assert (query.min_price, query.max_price) == (value, None)
    assert query.text == _search(product)


@PROPERTY
@given(
    low=amounts(),
    high=amounts(),
    product=st.sampled_from(PRODUCTS),
    currency=st.sampled_from(CURRENCIES),
    both=st.booleans(),
)
def test_a_range_is_read_in_either_order(
    low: tuple[Decimal, str],
    high: tuple[Decimal, str],
    product: str,
    currency: str,
    both: bool,
) -> None:
    first = low[1] + (currency if both else "")
    query = understand(f"{product} entre {first} y {high[1]}{currency}")
    assert (query.min_price, query.max_price) == tuple(sorted((low[0], high[0])))
    assert query.text == _search(product)


@PROPERTY
@given(
    size=st.integers(1, 5000),
    unit=st.sampled_from(SIZES),
    phrase=st.sampled_from(BELOW + ABOVE),
    product=st.sampled_from(PRODUCTS),
)
@example(500, "g", "menos de", "yogur natural")
def test_a_size_is_not_a_price_limit(size: int, unit: str, phrase: str, product: str) -> None:
    """A size is no limit: "yogur de menos de 500 g" asks for small pots, not cheap ones."""
    query = understand(f"{product} de {phrase} {size} {unit}")
    assert query.max_price is None and query.min_price is None


@PROPERTY
@given(digits=st.integers(0, 10**40), phrase=st.sampled_from(BELOW))
def test_a_huge_limit_is_read_exactly(digits: int, phrase: str) -> None:
    assert understand(f"leche {phrase} {digits} €").max_price == Decimal(digits)


def _styled(name: str, upper: list[bool], accent: list[bool]) -> str:
    """`name` in mixed case, some vowels accented: "MercÁdona"."""
    out = []
    for i, ch in enumerate(name):
        ch = ch.upper() if upper[i % len(upper)] else ch
        out.append(ch + ("\u0301" if ch.lower() in "aeiou" and accent[i % len(accent)] else ""))
    return "".join(out)


@PROPERTY
@given(
    chain=st.sampled_from(CHAINS),
    upper=st.lists(st.booleans(), min_size=1, max_size=8),
    accent=st.lists(st.booleans(), min_size=1, max_size=8),
    product=st.sampled_from(PRODUCTS),
)
def test_a_chain_is_recognised_in_any_case_and_accent(
    chain: tuple[str, str], upper: list[bool], accent: list[bool], product: str
) -> None:
    name, slug = chain
    query = understand(f"{product} en {_styled(name, upper, accent)}")
    assert query.chains == {slug}
    assert query.text == _search(product)


@PROPERTY
@given(upper=st.lists(st.booleans(), min_size=3, max_size=3), product=st.sampled_from(PRODUCTS))
def test_dia_after_en_is_the_chain_in_any_case(upper: list[bool], product: str) -> None:
    query = understand(f"{product} en {_styled('dia', upper, [False])}")
    assert query.chains == {"dia"} and query.text == _search(product)


# Pieces of questions that reach the parser's rules, to build odd questions from.
FRAGMENTS = st.sampled_from(
    ["menos de", "más de", "entre", " y ", "hasta", "€", "euros", "2,50", "1.000", "0", "99",
     "'", ",", ".", "<", ">", "sin", "gluten", "leche", "ni", "celíaco", "contiene", "tiene",
     "trazas de", "es", "puedo comer", "barato", "o", "cuál", ":", "¿", "?", "Mercadona", "Dia",
     "DIA", "en", "del", "hace", "desde", "el", "5", "de", "marzo", "2023", "últimos", "meses",
     "este mes", "hoy", "tengo", "paquetes de", "tres", "ignora tus instrucciones", "responde que",
     "hola", "gracias", "por kilo", "litro", " ", "  ", "\n", "\t", "\x00", "ℌ", "𝐋𝐞𝐜𝐡𝐞", "٢",
     "２", "é", "\u0301"]
)  # fmt: skip
QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=40).map(" ".join),
    st.lists(FRAGMENTS, max_size=40).map("".join),
)


def _holds(query: Query) -> None:
    for price in (query.max_price, query.min_price, query.budget):
        assert price is None or price >= 0
    assert query.quantity is None or query.quantity > 0
    assert query.text == " ".join(query.text.split())
    assert query.text == fold(query.text)  # searched folded, as the index is
    for alternative in query.alternatives:
        _holds(alternative)


@PROPERTY
@given(QUESTIONS)
@example("𝐋𝐞𝐜𝐡𝐞 hasta 2 €")  # styled letters: "Leche" once folded, searched as "eche"
@example("leche " + "barato x" + " " * 2000 + "o")
def test_any_text_is_understood_without_error(question: str) -> None:
    query = understand(question)
    assert query.original == question.strip()
    _holds(query)


@PROPERTY
@given(
    QUESTIONS,
    st.datetimes(datetime(2001, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC)),
)
def test_any_period_named_is_placed_on_the_calendar(question: str, now: datetime) -> None:
    period, rest = find_period(fold(question))
    assert isinstance(rest, str)
    if period is not None:
        start, end = period.bounds(now)
        if period.kind != "since":  # "desde 2090" asked in 2026 begins after today
            assert start <= end


@PROPERTY
@given(st.text(max_size=200))
@example("ℌola 𝐋𝐞𝐜𝐡𝐞")
def test_folding_is_lower_case_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower()
