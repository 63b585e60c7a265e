"""What a product's name says: the product asked for, a product of the kind asked for, and how
a misspelt word is read. Tables of real-looking names, accepted and rejected."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import Product, ReferenceUnit
from core.text import search_terms
from retrieval import names
from retrieval.lexical import LexicalIndex
from retrieval.query import understand
from tests.factories import make_product

CATALOGUE = LexicalIndex(
    [f"{name}. en Mercadona" for name in (
        "Aceite de oliva virgen extra Hacendado", "Aceite de oliva suave Hacendado",
        "Aceitunas verdes", "Leche entera Hacendado", "Galletas María Hacendado",
        "Vino fino Montilla-Moriles", "Mantequilla sin sal", "Chocolate negro 70%",
        "Aceite de girasol",
    )] * 3  # "oliva" in more passages than "olia" (added below once)
    + ["Bebida olia"]
)  # fmt: skip


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("aceite de olvia virgen extra", "aceite oliva virgen extra"),  # swapped pair
        ("galetas maria", "galleta maria"),  # one letter missing
        ("mantequila", "mantequilla"),
        ("chocolte negro", "chocolate negro"),
    ],
)
def test_a_misspelt_word_is_read_as_the_catalogues_nearest(written: str, read: str) -> None:
    query = names.correct(understand(written), CATALOGUE)
    assert query.text == read
    assert query.written == understand(written).text  # "No encuentro «...»" says what was written


@pytest.mark.parametrize(
    "written",
    ["el mejor móvil", "turrón de durián", "leche de yak", "pera"],  # another word, or none near
)
def test_a_word_with_nothing_near_stays_as_written(written: str) -> None:
    query = names.correct(understand(written), CATALOGUE)
    assert query.text == understand(written).text and query.said == ""


def _p(name: str, **extra: object) -> Product:
    return make_product(chain_product_id=name, name=name, brand=None, **extra)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("jamón serrano", "Jamón serrano reserva Hacendado lonchas"),
        ("alubia cocida", "Alubias blancas cocidas"),  # plural, another word between
        ("aceite de oliva virgen extra", "Aceite de oliva virgen extra Hacendado"),
        ("pizza", "Pizza barbacoa"),
    ],
)
def test_products_of_the_kind(kind: str, name: str) -> None:
    assert names.of_kind(_p(name), search_terms(kind))


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("jamón serrano", "Patatas fritas onduladas sabor jamón serrano"),  # a flavour
        ("jamón serrano", "Hueso garrón"),  # filed under jamón
        ("pizza", "Gazpacho suave Hacendado"),
        ("mantequilla", "Leche desnatada"),
        ("chocolate negro", "Cacahuetes Hacendado chocolate negro"),
        ("aceite de oliva virgen extra", "Aceite de oliva suave"),
    ],
)
def test_products_of_another_kind(kind: str, name: str) -> None:
    assert not names.of_kind(_p(name), search_terms(kind))


def test_a_question_that_says_a_whole_name_among_chatter_names_it() -> None:
    terms = search_terms("hago la compra para mi madre, ¿cuánto vale Mortadela Clásica?")
    assert names.said_whole(_p("Mortadela Clásica"), terms)
    assert not names.said_whole(_p("Mortadela con aceitunas"), terms)
    assert not names.said_whole(_p("Compra"), terms)  # one word


def test_the_cheapest_of_each_chain_follows_the_cheapest_of_all() -> None:
    def oil(chain: str, per_litre: str) -> Product:
        price = Decimal(per_litre)
        return make_product(chain=chain, chain_product_id=f"{chain}{per_litre}", price=price,
                            reference_price=price)  # fmt: skip

    products = [oil("dia", "9.10"), oil("dia", "8.10"), oil("consum", "8.50"), oil("dia", "7.90")]
    ordered = names.cheapest_first(products, None, across_chains=True)
    assert [(p.chain, str(p.reference_price)) for p in ordered] == [
        ("dia", "7.90"), ("consum", "8.50"), ("dia", "8.10"), ("dia", "9.10")]  # fmt: skip
    in_one = names.cheapest_first(products, None, across_chains=False)
    assert [str(p.reference_price) for p in in_one] == ["7.90", "8.10", "8.50", "9.10"]


def test_the_unit_asked_for_is_compared_first() -> None:
    per_kg = make_product(chain_product_id="kg", reference_price=Decimal("5.76"),
                          reference_unit=ReferenceUnit.KG)  # fmt: skip
    per_l = make_product(chain_product_id="l", reference_price=Decimal("3.94"),
                         reference_unit=ReferenceUnit.L)  # fmt: skip
    assert names.cheapest_first([per_l, per_kg], ReferenceUnit.KG, False)[0] is per_kg
    assert names.common_unit([per_l, per_l, per_kg], None) is ReferenceUnit.L


@pytest.mark.parametrize(
    ("name", "asked", "written"),
    [
        ("Mandarinas", "mandarinas", True),
        ("Mandarina", "mandarinas", False),  # the same stem, another product
        ("Salmón a rodajas", "salmon a rodajas", True),
        ("Rodajas de salmón", "salmon a rodajas", False),  # the same words, another order
        ("Leche entera Hacendado", "leche entera de hacendado", True),  # stopwords aside
    ],
)
def test_a_name_written_as_asked(name: str, asked: str, written: bool) -> None:
    assert names.as_written(make_product(name=name), asked) is written
