"""The grounding check catches what a user would be misled by: prices, sizes, EANs, dates and
allergen claims the cited products do not hold, and prompt echoes; it lets true ones through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chat.compose import describe
from chat.facts import ProductFacts
from chat.grounding import Grounder, StreamingCheck
from chat.prompt import RULES
from core.allergens import Allergen, AllergenInfo
from core.text import search_terms
from tests.factories import make_price, make_product

OIL = make_product()  # 8,95 €, 1 l, 8,95 €/l, EAN 8480000042411, free of gluten per label
BISCUITS = make_product(
    chain="dia",
    chain_product_id="77",
    name="Galletas María sin gluten Dia",
    brand="Dia",
    price=Decimal("1.85"),
    reference_price=Decimal("9.25"),
    unit_size=0.2,
    size_unit="kg",
    reference_unit="kg",
    ean=None,
    allergens=AllergenInfo(),  # nothing declared: unknown
)
FACTS = [
    ProductFacts(
        1, OIL, (make_price(OIL.id, "8.50", "2026-10-01"), make_price(OIL.id, "8.95", "2026-11-01"))
    ),
    ProductFacts(2, BISCUITS),
]


@pytest.fixture
def grounder() -> Grounder:
    return Grounder(FACTS, instructions=RULES)


@pytest.mark.parametrize(
    "sentence",
    [
        "El aceite [1] cuesta 8,95 € (8,95 €/l) a 01/11/2026.",
        "Antes costaba 8,50 € [1].",
        "La botella de 1 l [1] es de Mercadona.",
        "Su EAN es 8480000042411 [1].",
        "El aceite [1] no contiene gluten según su etiqueta.",
        "Tengo Galletas María sin gluten Dia [2] a 1,85 €, 200 g.",
    ],
)
def test_true_statements_pass(grounder: Grounder, sentence: str) -> None:
    assert grounder.check(sentence).problems == []


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        ("El aceite [1] cuesta 7,95 €.", "precio 7,95"),
        ("Las galletas [2] cuestan 8,95 €.", "precio 8,95"),  # another product's price
        ("El aceite [1] viene en botella de 750 ml.", "tamaño 750 ml"),
        ("Su EAN es 8480000099999 [1].", "EAN 8480000099999"),
        ("Precio a 02/11/2026 [1].", "fecha 02/11/2026"),
        ("Las galletas [2] no contienen gluten.", "«sin gluten» no lo dice la etiqueta"),
        (
            "Las galletas [2] son aptas para celíacos.",
            "«apto para celíacos» no lo dice la etiqueta",
        ),
        ("El aceite [1] contiene leche.", "contiene leche"),
        ("Mira el producto [7].", "no existen: [7]"),
        ("Las galletas [2] salen a 1,85 €/kg.", "precio 1,85 € por unidad de medida"),
        ("Galletas María Hacendado [2] a 1,85 €.", "[2] no es de la marca «hacendado»"),
        ("El aceite [1] en Dia cuesta 8,95 €.", "[1] no es de dia, es de mercadona"),
        ("[1] Aceite | Mercadona | 8,95 €", "repite el contexto"),
        ("Pregunta: ¿dónde está más barato?", "repite el contexto"),
        # the base model echoes its instructions, [1] included
        ("Cita cada producto que menciones con su número, por ejemplo [1].", "repite el contexto"),
    ],
)
def test_false_statements_are_caught(grounder: Grounder, sentence: str, problem: str) -> None:
    problems = " ".join(grounder.check(sentence).problems)
    assert problem in problems, problems


def test_a_per_kilo_price_is_not_a_package_price() -> None:
    jug = make_product(price=Decimal("48.95"), reference_price=Decimal("9.79"), unit_size=5.0)
    grounder = Grounder([ProductFacts(1, jug)])
    assert grounder.check("Sale a 9,79 €/l [1].").ok
    assert grounder.check("Sale a 9,79 € el litro [1].").ok
    assert grounder.check("La garrafa [1] cuesta 48,95 €.").ok
    assert not grounder.check("La garrafa [1] cuesta 9,79 €.").ok  # the per-litre price
    assert not grounder.check("Sale a 48,95 €/l [1].").ok


def test_uncited_price_must_belong_to_some_product(grounder: Grounder) -> None:
    assert grounder.check("Cuesta 1,85 €.").ok
    assert not grounder.check("Cuesta 2,85 €.").ok


def test_stream_shows_only_verified_sentences_after_a_citation(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    shown: list[str] = []
    for piece in [
        "Hola. ",
        "El aceite [1] cuesta ",
        "8,95 €. Y las galletas [2] ",
        "0,99 €. ",
        "Fin",
    ]:
        shown += check.feed(piece)
    shown += check.finish()
    assert shown == ["Hola.", "El aceite [1] cuesta 8,95 €.", "Fin"]
    assert [d.text for d in check.dropped] == ["Y las galletas [2] 0,99 €."]
    assert check.cited


def test_stream_without_any_citation_shows_nothing(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    assert check.feed("El aceite cuesta 8,95 €. ") == []
    assert check.finish() == []
    assert not check.cited


def test_an_answer_that_fails_three_times_first_is_given_up(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    check.feed("Eres SuperSmart, un asistente. Productos: [1] x | y. Cuesta 1,00 € [1]. ")
    assert check.hopeless
    check = StreamingCheck(grounder)
    check.feed("coche. coche. coche. coche. ")  # a loop with nothing cited
    assert check.hopeless
    check = StreamingCheck(grounder)
    check.feed("Pregunta: leche entera | 1 l")  # the prompt's table, mid-sentence
    assert check.hopeless
    check = StreamingCheck(grounder)
    check.feed("El aceite [1] cuesta 8,95 €. Mal 1,00 € [1]. Mal 2,00 € [1]. Mal 3,00 € [1]. ")
    assert not check.hopeless  # something held: keep what is right


def test_an_uncited_price_is_the_price_of_the_product_cited_before_it(grounder: Grounder) -> None:
    # Found on the real development set: a comparison opened with "La bebida de avena más
    # barata cuesta 0,95 €." before citing anything; 0,95 € was some product's in the context,
    # so it was shown as verified, yet the shopper cannot tell which product it is.
    check = StreamingCheck(grounder)
    shown = check.feed("Lo más barato cuesta 1,85 €. Las galletas [2] son de Dia. ")
    shown += check.feed("Cuestan 1,85 €. Y el aceite, 8,95 €. ") + check.finish()
    assert shown == ["Las galletas [2] son de Dia.", "Cuestan 1,85 €."]
    assert [d.problems for d in check.dropped] == [
        ["precio 1,85 € sin un producto citado al que se refiera"],
        ["precio 8,95 € del envase no consta para [2]"],  # the galletas' price, not the oil's
    ]
    # a sentence checked on its own still may name any product of the context
    assert grounder.check("Y el aceite, 8,95 €.").ok


def test_an_uncited_price_follows_the_product_cited_last(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    shown = check.feed("Tienes el aceite [1] y las galletas [2]. Cuestan 1,85 €. ")
    shown += check.feed("Cuesta 8,95 €. ") + check.finish()
    assert shown == ["Tienes el aceite [1] y las galletas [2].", "Cuestan 1,85 €."]
    # and into the clauses of the next sentence, until it cites another product
    check = StreamingCheck(grounder)
    text = "El aceite [1] cuesta 8,95 €. Antes costaba 8,50 €; ahora las galletas [2], 1,85 €. "
    assert check.feed(text) + check.finish() == [
        "El aceite [1] cuesta 8,95 €.",
        "Antes costaba 8,50 €; ahora las galletas [2], 1,85 €.",
    ]


@pytest.mark.parametrize(
    ("sentence", "problems"),
    [
        ("El aceite [1] cuesta 8,95 € y las galletas [2], 1,85 €.", []),
        ("Las galletas [2] a 1,85 € y el aceite [1] a 8,95 €.", []),
        ("Por 8,95 € tienes el aceite [1]; por 1,85 €, las galletas [2].", []),
        (  # the history answer the service composes: the price after ";" is still [1]'s
            "El aceite [1] ha subido de 8,50 € a 8,95 € el 01/11/2026; a 01/11/2026: 8,95 €.",
            [],
        ),
        (
            "El aceite [1] cuesta 1,85 € y las galletas [2], 8,95 €.",
            [
                "precio 1,85 € del envase no consta para [1]",
                "precio 8,95 € del envase no consta para [2]",
            ],
        ),
        (  # "respectively": a shopper cannot be sure which is which; the checker cannot either
            "Tienes el aceite [1] y las galletas [2] a 8,95 € y 1,85 €.",
            ["precio 8,95 € del envase no consta para [2]"],
        ),
    ],
)
def test_each_price_is_said_of_the_product_cited_next_to_it(
    grounder: Grounder, sentence: str, problems: list[str]
) -> None:
    # The brief's "right price of the wrong product": both prices are in the context, so
    # checking them against every cited product let a swapped pair through as verified.
    assert grounder.check(sentence).problems == problems


def test_repeated_sentences_are_dropped(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    shown = check.feed("El aceite [1] cuesta 8,95 €. El aceite [1] cuesta 8,95 €. ")
    assert shown == ["El aceite [1] cuesta 8,95 €."]
    assert check.dropped[0].problems == ["repite una frase anterior"]


def test_a_list_of_products_from_several_chains_passes_its_own_check() -> None:
    # Found by the evaluation: "...Plátano Dia [1] en Dia, ...; Plátano Consum [2]" read "Dia"
    # (the previous item's chain) as the brand claimed for [2].
    dia = make_product(chain="dia", brand="Dia", name="Plátano de Canarias Dia")
    consum = make_product(chain="consum", brand="Consum", name="Plátano de Canarias Consum",
                          chain_product_id="2")  # fmt: skip
    facts = [ProductFacts(1, dia), ProductFacts(2, consum)]
    answer = "Tengo " + "; ".join(describe(f) for f in facts) + "."
    assert Grounder(facts).check(answer).problems == []
    assert Grounder(facts).check("Plátano de Canarias Dia [2] en Consum.").problems


def test_allergens_are_checked_per_listed_product_and_quoted_words_are_not_claims() -> None:
    has_milk = AllergenInfo(declared=True, contains=frozenset({Allergen.MILK}))
    no_milk = AllergenInfo(declared=True, free=frozenset({Allergen.MILK}))
    milk = make_product(name="Leche entera Hacendado", allergens=has_milk)
    cola = make_product(name="Refresco de cola", chain_product_id="2", allergens=no_milk)
    grounder = Grounder([ProductFacts(1, milk), ProductFacts(2, cola)])
    assert grounder.check("Según la etiqueta: [1] contiene leche; [2] sin leche.").ok
    assert not grounder.check("Según la etiqueta: [1] sin leche; [2] contiene leche.").ok
    assert grounder.check("No encuentro exactamente «yogur pack 8 x 125 g» [1].").ok
    assert not grounder.check("Viene en 125 g [1].").ok


def test_the_cheapest_claim_must_name_the_cheapest_per_kilo_or_litre() -> None:
    # Found in the demo: "El más barato por litro es ... Dia [2]: 9,95 €/l" with a 9,79 €/l
    # garrafa in context; every figure was [2]'s own, only the claim was false.
    jug = make_product(name="Aceite garrafa Hacendado", price=Decimal("48.95"),
                       reference_price=Decimal("9.79"), unit_size=5.0)  # fmt: skip
    bottle = make_product(chain="dia", chain_product_id="2", name="Aceite Dia", brand="Dia",
                          price=Decimal("9.95"), reference_price=Decimal("9.95"))  # fmt: skip
    grounder = Grounder([ProductFacts(1, jug), ProductFacts(2, bottle)])
    wrong = grounder.check("El más barato por litro es Aceite Dia [2] en Dia: 9,95 €/l.")
    assert "[2] no es el más barato" in " ".join(wrong.problems)
    assert grounder.check("El más barato por litro es Aceite garrafa Hacendado [1]: 9,79 €/l.").ok
    assert grounder.check("Aceite Dia [2] es más barato por botella: 9,95 €.").ok  # no superlative


@pytest.mark.parametrize(
    ("sentence", "problem"),
    [
        # Found in the demo: the adapter's "Donde menos cuesta es en Carrefour: ... [1]" passed
        # while a cheaper Dia product was in context.
        ("Donde menos cuesta es en Dia: Aceite Dia [2] a 9,95 €/l.", "[2] no es el más barato"),
        ("La opción más económica es Aceite Dia [2], a 9,95 €.", "[2] no es el más barato"),
        ("Aceite Dia [2] es el más barato: 9,95 €/l.", "[2] no es el más barato"),
        ("El precio más bajo lo tiene Aceite Dia [2].", "[2] no es el más barato"),
        ("Tengo [1] y [2]; el más barato es Aceite Dia [2].", "[2] no es el más barato"),
        ("Aceite Dia [2] es más barato que la garrafa [1].", "[2] no es más barato que [1]"),
        ("Aceite Dia [2] cuesta menos que la garrafa [1].", "[2] no es más barato que [1]"),
        ("Donde menos cuesta es en Mercadona: Aceite garrafa Hacendado [1].", None),
        ("Tengo [1] y [2]; el más barato es Aceite garrafa Hacendado [1].", None),
        ("La garrafa [1] es más barata que Aceite Dia [2].", None),
        ("El segundo más barato es Aceite Dia [2], a 9,95 €/l.", None),
        ("Aceite Dia [2] sale más barato por botella que por garrafa.", None),
    ],
)
def test_every_way_of_saying_cheapest_is_checked(sentence: str, problem: str | None) -> None:
    jug = make_product(name="Aceite garrafa Hacendado", price=Decimal("48.95"),
                       reference_price=Decimal("9.79"), unit_size=5.0)  # fmt: skip
    bottle = make_product(chain="dia", chain_product_id="2", name="Aceite Dia", brand="Dia",
                          price=Decimal("9.95"), reference_price=Decimal("9.95"))  # fmt: skip
    check = Grounder([ProductFacts(1, jug), ProductFacts(2, bottle)]).check(sentence)
    if problem is None:
        assert check.ok, check.problems
    else:
        assert problem in " ".join(check.problems)


def test_a_product_with_no_price_per_unit_cannot_be_called_the_cheapest() -> None:
    """Seen on the real catalogue: the adapter opens price answers with "Donde menos cuesta es
    en Consum: X [1] a 3,90 €" where X has no price per kilo (nothing to compare it by) and
    cheaper products per kilo are beside it."""
    bar = make_product(chain="consum", chain_product_id="7", name="Chocolate Puro con Almendras",
                       brand=None, price=Decimal("3.90"), reference_price=None,
                       reference_unit=None)  # fmt: skip
    other = make_product(chain="consum", chain_product_id="8", name="Chocolate con leche",
                         brand=None, price=Decimal("1.20"), reference_price=Decimal("8.00"),
                         reference_unit="kg")  # fmt: skip
    claim = "Donde menos cuesta es en Consum: Chocolate Puro con Almendras [1] a 3,90 €."
    two = Grounder([ProductFacts(1, bar), ProductFacts(2, other)]).check(claim)
    assert "[1] no tiene precio por kilo, litro o unidad" in " ".join(two.problems)
    assert Grounder([ProductFacts(1, bar)]).check(claim).ok  # alone, nothing says otherwise


ICE = make_product(chain_product_id="h", name="Helado de fresa Hacendado", price=Decimal("2.30"),
                   reference_price=Decimal("2.88"), category_path=("Congelados",))  # fmt: skip
JELLY = make_product(chain_product_id="g", name="Gelatina sabor limón Hacendado",
                     price=Decimal("1.10"), reference_price=Decimal("2.75"))  # fmt: skip


@pytest.mark.parametrize(
    ("sentence", "asked", "ok"),
    [
        ("Helado de fresa Hacendado [1] cuesta 2,30 €.", "helado fresa", True),
        ("El helado de fresa [1] cuesta 2,30 €.", "helado fresa", True),
        ("Tengo Helado de fresa Hacendado [1] en Mercadona, 2,30 €.", "helado", True),
        ("Sí, el helado [1] está a 2,30 €.", "helado fresa hacendado", True),
        ("Gelatina sabor limón Hacendado [2] cuesta 1,10 €.", "gelatina", True),
        # a word of another product's name said of [1]
        ("Gelatina de fresa Hacendado [1] cuesta 2,30 €.", "gelatina fresa", False),
        ("Helado sabor limón Hacendado [1] cuesta 2,30 €.", "helado limon", False),
        # a word of the question the product lacks: a product nobody sells, sold
        ("Turrón de wasabi Hacendado [1] cuesta 2,30 €.", "turron wasabi hacendado", False),
        ("Sí, tenemos helado de wasabi [1] a 2,30 €.", "helado wasabi", False),
    ],
)
def test_the_name_said_before_a_citation_is_the_cited_products(
    sentence: str, asked: str, ok: bool
) -> None:
    check = Grounder([ProductFacts(1, ICE), ProductFacts(2, JELLY)], asked=asked).check(sentence)
    assert check.ok is ok, check.problems
    if not ok:
        assert "no se llama así" in " ".join(check.problems)


RINSE = make_product(chain="consum", chain_product_id="r", brand="Consum", price=Decimal("1.99"),
                     name="Enjuague Bucal Dientes y Encías Sens.")  # fmt: skip


def _named(name: str, brand: str = "Hacendado") -> Any:
    return make_product(chain="mercadona", chain_product_id=name, name=name, brand=brand,
                        price=Decimal("1.99"))  # fmt: skip


@pytest.mark.parametrize(
    ("name", "sentence", "misspelt"),
    [
        (RINSE.name, "Enjuague Bucal Dientes y Encías Sens. [1] cuesta 1,99 €.", None),
        (RINSE.name, "El enjuague bucal [1] cuesta 1,99 €.", None),
        (RINSE.name, "Enjuague Bucal Dientes y Encías Sensitive [1] cuesta 1,99 €.", None),
        (RINSE.name, "Enjuague Buc. [1] cuesta 1,99 €.", None),  # shortened
        (RINSE.name, "enjuague bucal dientes y encias sens [1] cuesta 1,99 €.", None),
        # the same letters spaced otherwise: read as the same name
        (RINSE.name, "En Juague Bucal Dientes y Encías Sens. [1] cuesta 1,99 €.", None),
        ("Leche semidesnatada Hacendado", "Leche semi desnatada Hacendado [1]: 1,99 €.", None),
        ("Salchichas Frankfurt ElPozo", "Salchichas Frankfurt El Pozo [1]: 1,99 €.", None),
        ("Champú Elvive L'Oréal", "Champú Elvive Loreal [1] cuesta 1,99 €.", None),
        ("Codornices", "La codorniz [1] cuesta 1,99 €.", None),  # inflected
        # only the name as said is read, not the words before it ("cuesta" is no "cesta")
        ("Cesta de fruta", "Lo que menos cuesta es la Cesta de fruta [1], 1,99 €.", None),
        (
            "Enjuague Bucal Dientes y Encías Sens.",
            "Enjuague Bucal Dientes y Encias Sena [1].",
            None,
        ),
        # the model's own spelling of a name it was given: the shopper reads a wrong name
        (
            RINSE.name,
            "Enjuage Bucal Dientes y Encías Sens. [1] cuesta 1,99 €.",
            "«enjuage» por «enjuague»",
        ),
        (
            "Cereales rellenos de crema Hacendado",
            "Ceroales rellenos Hacendado [1]: 1,99 €.",
            "«ceroales» por «cereales»",
        ),
        (
            "Tomate frito Hacendado",
            "Tomate frito Hacendada [1] cuesta 1,99 €.",
            "«hacendada» por «hacendado»",
        ),
    ],
)
def test_a_name_the_model_misspells_is_not_shown(
    name: str, sentence: str, misspelt: str | None
) -> None:
    product = RINSE if name == RINSE.name else _named(name)
    check = Grounder([ProductFacts(1, product)]).check(sentence)
    assert check.ok is (misspelt is None), check.problems
    if misspelt:
        assert check.problems == [f"[1] con el nombre mal escrito: {misspelt}"]


def test_a_name_ending_in_a_full_stop_is_not_the_end_of_a_sentence() -> None:
    stream = StreamingCheck(Grounder([ProductFacts(1, RINSE)]))
    text = "Tengo Enjuague Bucal Dientes y Encías Sens. [1] a 1,99 €. Con 20 € compras 10."
    shown = [s for piece in text.split(" ") for s in stream.feed(piece + " ")] + stream.finish()
    assert shown[0] == "Tengo Enjuague Bucal Dientes y Encías Sens. [1] a 1,99 €."
    # a sentence may begin with a citation: it is still a sentence of its own, checked alone
    fruit = make_product(chain="mercadona", chain_product_id="c", name="Cesta de fruta",
                         price=Decimal("0.89"))  # fmt: skip
    stream = StreamingCheck(Grounder([ProductFacts(1, RINSE), ProductFacts(2, fruit)]))
    text = "El enjuague [1] me gusta. Cuesta 1,99 €. [2] cuesta 0,89 €. "
    assert stream.feed(text) + stream.finish() == [
        "El enjuague [1] me gusta.",
        "Cuesta 1,99 €.",
        "[2] cuesta 0,89 €.",
    ]


def test_a_word_of_another_catalogue_name_said_of_a_product_fails() -> None:
    """Found on the real development set: "Tiras wraps Old El Paso [1]" for the Tortillas
    wraps, verified because "tiras" was in no name in context; the catalogue's names know it."""
    wraps = make_product(chain="dia", chain_product_id="w", brand="Old El Paso",
                         name="Tortillas wraps Old El Paso", price=Decimal("3.39"))  # fmt: skip
    catalogue = search_terms("Tiras de pollo Hacendado Cesta de fruta Pack ahorro Precio justo "
                             "Le Petit Es Lo Que Hay")  # fmt: skip
    grounder = Grounder([ProductFacts(1, wraps)], catalogue=catalogue)
    wrong = grounder.check("Tiras wraps Old El Paso [1] cuesta 3,39 €.")
    assert wrong.problems == ["[1] no se llama así: tira no está en su nombre"]
    for said in [  # its own name, and answer words some product's name also holds
        "Tortillas wraps Old El Paso [1] cuesta 3,39 €.",
        "El precio más barato es el de Tortillas wraps Old El Paso [1]: 3,39 €.",
        "Te sale en pack: Tortillas wraps Old El Paso [1] cuesta 3,39 €.",
        "Lo que más barato sale es Tortillas wraps Old El Paso [1], a 3,39 €.",  # short words
    ]:
        assert grounder.check(said).ok, (said, grounder.check(said).problems)


def test_after_the_datas_lead_the_model_must_name_something_new(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    lead = "El aceite [1] cuesta 8,95 € (8,95 €/l) a 01/11/2026."
    assert check.lead(lead) == [lead]
    assert check.cited and not check.hopeless
    said = check.feed(" Cuesta 8,95 € en Mercadona: el aceite [1]. Sigue Galletas María sin ")
    said += check.feed("gluten Dia [2] a 1,85 €. No lo sé. ")
    assert said == ["Sigue Galletas María sin gluten Dia [2] a 1,85 €."]
    problems = [(d.text, d.problems) for d in check.dropped]
    assert problems == [
        ("Cuesta 8,95 € en Mercadona: el aceite [1].",
         ["repite lo que ya dice la frase de los datos"]),
        ("No lo sé.", ["tras la frase de los datos, no cita ningún producto"]),
    ]  # fmt: skip
    assert check.hopeless  # two failures after the lead: the rest is not worth waiting for


def test_a_lead_that_fails_the_check_is_not_shown(grounder: Grounder) -> None:
    check = StreamingCheck(grounder)
    assert check.lead("El aceite [1] cuesta 7,95 €.") == []
    assert not check.cited and check.led == 0  # the model answers alone, as before
