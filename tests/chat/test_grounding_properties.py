"""Properties of the grounding check, for any product and any way an answer writes a figure: the
product's own price, size and date pass however they are written, any other one fails, the
context's own rendering always verifies, no text breaks the check, and a stream cut anywhere
shows what the whole answer would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chat.compose import describe
from chat.facts import ProductFacts
from chat.grounding import Grounder, StreamingCheck
from core.domain import Product, ReferenceUnit
from retrieval.period import MONTHS
from tests.factories import make_product
from tests.strategies import amounts

PROPERTY = settings(
    deadline=None, max_examples=150, database=None, suppress_health_check=[HealthCheck.too_slow]
)
NAME = "Aceite de oliva virgen extra Hacendado"
PRICED = datetime(2026, 11, 1, tzinfo=UTC)
EURO = st.sampled_from(["{} €", "{}€", "{} euros", "{} EUR", "{} eur", "€{}", "€ {}"])
PER_UNIT = {
    ReferenceUnit.KG: ("€/kg", " €/kg", " € el kilo", " € por kilo", " €/kilo", " euros cada kilo"),
    ReferenceUnit.L: (
        "€/l",
        " € / l",
        " € el litro",
        " € por litro",
        " €/litro",
        " euros el litro",
    ),
}


def _product(cents: int, grams: int, unit: ReferenceUnit) -> Product:
    """A product of `grams` thousandths of a kg or l at `cents`, priced on 1 November 2026."""
    price = Decimal(cents) / 100
    size = grams / 1000
    return make_product(
        name=NAME,
        price=price,
        reference_price=(price * 1000 / grams).quantize(Decimal("0.01")),
        reference_unit=unit,
        unit_size=size,
        size_unit=unit,
        observed_at=PRICED,
    )


PRODUCTS = st.builds(
    _product,
    cents=st.integers(1, 99_999),
    grams=st.integers(1, 25_000),
    unit=st.sampled_from([ReferenceUnit.KG, ReferenceUnit.L]),
)


def _check(product: Product, sentence: str) -> list[str]:
    return Grounder([ProductFacts(1, product)]).check(sentence).problems


def _reference(product: Product) -> Decimal:
    assert product.reference_price is not None
    return product.reference_price


Case = tuple[Product, tuple[Decimal, str]]


def _saying(price: Callable[[Product], Decimal]) -> st.SearchStrategy[Case]:
    """A product, and its `price` written in any way, or any other amount written in any way."""

    def said(product: Product) -> st.SearchStrategy[Case]:
        cents = int(price(product) * 100)
        return st.tuples(st.just(product), st.one_of(amounts(cents, cents), amounts(1, 10**7)))

    return PRODUCTS.flatmap(said)


OIL = _product(895, 1000, ReferenceUnit.L)


@PROPERTY
@given(case=_saying(lambda p: p.price), euro=EURO)
@example((OIL, (Decimal("2008.95"), "2.008,95")), "{} €")  # was read as 8,95 €
@example((OIL, (Decimal("1008.95"), "1\u00a0008,95")), "{} €")  # was read as 8,95 €
@example((OIL, (Decimal("7.95"), "7,95")), "€{}")  # was not read at all
@example((OIL, (Decimal("8.95"), "8'95")), "{} €")  # was read as 95 €
def test_a_package_price_passes_only_if_it_is_the_products(case: Case, euro: str) -> None:
    product, (value, written) = case
    problems = _check(product, f"{NAME} [1] cuesta {euro.format(written)}.")
    assert (problems == []) == (value == product.price), problems


def test_a_figure_no_one_writes_is_no_price() -> None:
    assert _check(OIL, f"{NAME} [1] cuesta 008,95 €.")  # was read as 8,95 €


@PROPERTY
@given(case=_saying(_reference), per=st.integers(0, 5))
@example((_product(1, 1, ReferenceUnit.KG), (Decimal("0.1"), "0'10")), 0)  # was read as 10 €/kg
@example((_product(10_000, 1, ReferenceUnit.KG), (Decimal("100000"), "100000,00")), 0)
def test_a_price_per_kilo_or_litre_passes_only_if_it_is_the_products(case: Case, per: int) -> None:
    product, (value, written) = case
    assert product.reference_unit is not None
    suffix = PER_UNIT[product.reference_unit][per]
    problems = _check(product, f"{NAME} [1] sale a {written}{suffix}.")
    held = {product.reference_price} | ({product.price} if product.unit_size == 1 else set())
    assert (problems == []) == (value in held), problems


def _sizes(grams: int, unit: ReferenceUnit) -> list[str]:
    """Every way of writing `grams` thousandths of a kg (or l)."""
    whole, rest = divmod(grams, 1000)
    big, small = ("kg", "g") if unit is ReferenceUnit.KG else ("l", "ml")
    decimals = f"{whole},{rest:03d}".rstrip("0").rstrip(",")
    ways = [f"{decimals} {big}", f"{decimals.replace(',', '.')}{big}", f"{grams} {small}"]
    if unit is ReferenceUnit.KG:
        ways += [f"{decimals} kilos", f"{decimals} kilogramos", f"{grams} gramos", f"{grams}g"]
    else:
        ways += [f"{decimals} litros", f"{grams} mililitros", f"{grams}ml"]
        ways += [f"{grams // 10} cl", f"{grams // 10} centilitros"] if grams % 10 == 0 else []
    return ways


@PROPERTY
@given(product=PRODUCTS, grams=st.integers(1, 25_000), way=st.integers(0, 7))
@example(OIL, 750, 4)  # "750 mililitros" was not read: any size in those words passed
def test_a_size_passes_only_if_it_is_the_products(product: Product, grams: int, way: int) -> None:
    assert product.size_unit is not None and product.unit_size is not None
    ways = _sizes(grams, product.size_unit)
    problems = _check(product, f"{NAME} [1] viene en {ways[way % len(ways)]}.")
    assert (problems == []) == (grams == round(product.unit_size * 1000)), problems


def _dates(day: date) -> list[str]:
    return [
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day.year}",
        f"{day:%d-%m-%Y}",
        f"{day:%d.%m.%Y}",
        f"{day.day} de {MONTHS[day.month - 1]} de {day.year}",
        f"{day:%Y-%m-%d}",
    ]


@PROPERTY
@given(
    day=st.one_of(
        st.just(PRICED.date()),
        st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    ),
    way=st.integers(0, 5),
)
@example(PRICED.date() + timedelta(days=1), 1)  # 2/11/2026: not the day it was priced
def test_a_date_passes_only_if_it_is_the_day_the_product_was_priced(day: date, way: int) -> None:
    said = _dates(day)[way]
    problems = _check(OIL, f"{NAME} [1] cuesta 8,95 €, precio a {said}.")
    assert (problems == []) == (day == PRICED.date()), problems


@PROPERTY
@given(product=PRODUCTS)
def test_what_the_context_says_of_a_product_always_verifies(product: Product) -> None:
    assert _check(product, describe(ProductFacts(1, product)) + ".") == []


SENTENCES = st.sampled_from(
    [f"{NAME} [1] cuesta 8,95 €.", f"{NAME} [1] cuesta 7,95 €.", "Hola.", "Viene en 1 l [1].",
     "Viene en 750 ml [1].", "Sale a 8,95 €/l [1]!", "¿Quieres algo más?", "Mira [7].",
     "El más barato es [1].", "Sin gluten [1].", "Contiene leche [1].", "Precio a 01/11/2026.",
     "Cuesta 9,95 € [1].", "Eres SuperSmart | x", "Aceite Sens. [1] es bueno.", "\n", "\n\n",
     "Adiós"]
)  # fmt: skip
SPACES = st.sampled_from([" ", "  ", "\n", " \n ", "\n\n", "\t"])
ANSWERS = st.one_of(
    st.lists(st.tuples(SENTENCES, SPACES).map("".join), max_size=12).map("".join),
    st.lists(st.one_of(SENTENCES, SPACES, st.text(max_size=20)), max_size=8).map("".join),
)
GROUNDER = Grounder([ProductFacts(1, OIL)])


def _stream(pieces: list[str]) -> tuple[list[str], list[str], list[str]]:
    check = StreamingCheck(GROUNDER)
    shown = [s for piece in pieces for s in check.feed(piece)] + check.finish()
    return shown, [k.text for k in check.kept], [d.text for d in check.dropped]


@PROPERTY
@given(answer=ANSWERS, cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_a_stream_cut_anywhere_shows_what_the_whole_answer_shows(
    answer: str, cuts: list[int]
) -> None:
    at = sorted({c % (len(answer) + 1) for c in cuts})
    pieces = [answer[i:j] for i, j in zip([0, *at], [*at, len(answer)], strict=True)]
    assert _stream(pieces) == _stream([answer])


@PROPERTY
@given(st.one_of(st.text(max_size=300), ANSWERS))
def test_any_text_is_checked_without_error(text: str) -> None:
    sentences = GROUNDER.sentences(text)
    assert "".join("".join(sentences).split()) == "".join(text.split())  # only spaces are cut
    for sentence in sentences:
        GROUNDER.check(sentence)
    _stream([text])
