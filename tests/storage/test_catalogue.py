"""The catalogue's contract (products, versions, price history, search) on every backend,
the part built on its own."""

from __future__ import annotations

from decimal import Decimal

from core.allergens import Allergen, AllergenInfo
from storage.base import Catalogue
from tests.factories import day, make_price, make_product

RUN = "run-1"  # the writing execution; its counters are the whole store's contract


async def test_new_products_round_trip_with_every_field(catalogue: Catalogue) -> None:
    product = make_product(
        allergens=AllergenInfo(
            contains=frozenset({Allergen.MILK}),
            traces=frozenset({Allergen.SOY}),
            declared=True,
            source_text="Contiene leche. Puede contener soja.",
        )
    )
    counts = await catalogue.upsert_products(RUN, [product, make_product(chain_product_id="2")])

    assert (counts.seen, counts.new, counts.updated, counts.unchanged) == (2, 2, 0, 0)
    assert await catalogue.get_product(product.id) == product
    assert await catalogue.get_product("mercadona:missing") is None
    history = await catalogue.price_history(product.id)
    assert [(h.price, h.observed_at) for h in history] == [(Decimal("8.95"), day("2026-11-01"))]


async def test_same_content_again_adds_no_version_and_no_observation(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(RUN, [make_product()])
    later = make_product(observed_at=day("2026-11-08"))

    counts = await catalogue.upsert_products(RUN, [later])

    assert (counts.new, counts.updated, counts.unchanged, counts.price_changes) == (0, 0, 1, 0)
    assert len(await catalogue.price_history(later.id)) == 1
    stored = await catalogue.get_product(later.id)
    assert stored is not None and stored.observed_at == day("2026-11-08")  # "precio a fecha de"
    assert await catalogue.changed_since(day("2026-11-05")) == []


async def test_price_change_adds_exactly_one_observation(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(RUN, [make_product()])

    counts = await catalogue.upsert_products(
        RUN, [make_product(price=Decimal("9.45"), observed_at=day("2026-11-08"))]
    )

    assert (counts.updated, counts.price_changes) == (1, 1)
    history = await catalogue.price_history("mercadona:4241")
    assert [h.price for h in history] == [Decimal("8.95"), Decimal("9.45")]
    assert [p.id for p in await catalogue.changed_since(day("2026-11-05"))] == ["mercadona:4241"]


async def test_history_keeps_only_real_changes_whatever_the_arrival_order(
    catalogue: Catalogue,
) -> None:
    await catalogue.upsert_products(RUN, [make_product(observed_at=day("2026-11-15"))])
    # Older prices arrive later (a history import): they go into the past, not the present.
    await catalogue.add_price_observations(
        RUN,
        [
            make_price("mercadona:4241", "8.50", "2026-11-01"),
            make_price("mercadona:4241", "8.50", "2026-11-05"),  # same price: no new point
            make_price("mercadona:4241", "8.95", "2026-11-10"),
            make_price("mercadona:4241", "8.95", "2026-11-12"),
            make_price("unknown:1", "1.00", "2026-11-12"),  # unknown product: ignored
        ],
    )

    history = await catalogue.price_history("mercadona:4241")
    assert [(h.price, h.observed_at.day) for h in history] == [
        (Decimal("8.50"), 1),
        (Decimal("8.95"), 10),
    ]
    current = await catalogue.get_product("mercadona:4241")
    assert current is not None and current.price == Decimal("8.95")


async def test_newer_dated_price_updates_the_current_product(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(RUN, [make_product()])

    counts = await catalogue.add_price_observations(
        RUN, [make_price("mercadona:4241", "9.85", "2026-11-20")]
    )

    current = await catalogue.get_product("mercadona:4241")
    assert current is not None
    assert (current.price, current.observed_at) == (Decimal("9.85"), day("2026-11-20"))
    assert current.reference_price == Decimal("9.85")  # rescaled with the package price
    assert (counts.prices, counts.price_changes, counts.seen, counts.updated) == (1, 1, 0, 0)


async def test_price_going_back_is_a_change_and_correction_of_same_instant_replaces(
    catalogue: Catalogue,
) -> None:
    for price, at in (("8.95", "2026-11-01"), ("9.45", "2026-11-08"), ("8.95", "2026-11-15")):
        await catalogue.upsert_products(
            RUN, [make_product(price=Decimal(price), observed_at=day(at))]
        )
    assert [h.price for h in await catalogue.price_history("mercadona:4241")] == [
        Decimal("8.95"),
        Decimal("9.45"),
        Decimal("8.95"),
    ]
    # The source corrects the 8 Nov price to what it was before: that change never happened.
    await catalogue.add_price_observations(
        RUN, [make_price("mercadona:4241", "8.95", "2026-11-08")]
    )
    assert [h.price for h in await catalogue.price_history("mercadona:4241")] == [Decimal("8.95")]


async def test_lookups_by_ean_chain_and_category(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(
        RUN,
        [
            make_product(),
            make_product(chain="dia", chain_product_id="77", price=Decimal("8.49")),
            make_product(
                chain="dia",
                chain_product_id="78",
                ean="8410000000001",
                name="Galletas María",
                category_path=("Galletas", "María"),
            ),
        ],
    )

    assert sorted(p.id for p in await catalogue.find_by_ean("8480000042411")) == [
        "dia:77",
        "mercadona:4241",
    ]
    assert await catalogue.count_products() == 3
    assert await catalogue.count_products(chain="dia") == 2
    oils = await catalogue.list_products(category_prefix=["Aceite, especias y salsas"])
    assert sorted(p.id for p in oils) == ["dia:77", "mercadona:4241"]
    assert await catalogue.list_products(category_prefix=["Aceite"]) == []  # whole levels only
    page = await catalogue.list_products(chain="dia", limit=1, offset=1)
    assert len(page) == 1
    categories = {(c.chain, c.path): c.products for c in await catalogue.categories()}
    assert categories[("dia", ("Galletas", "María"))] == 1


async def test_search_is_accent_and_plural_insensitive(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(
        RUN,
        [
            make_product(),
            make_product(
                chain_product_id="2",
                name="Plátano de Canarias",
                brand=None,
                category_path=("Fruta",),
                ingredients=None,
            ),
            make_product(
                chain="dia",
                chain_product_id="3",
                name="Galleta María sin gluten",
                brand="Gullón",
                ingredients="Almidón de maíz, azúcar",
                category_path=("Galletas",),
            ),
        ],
    )

    assert [p.name for p in await catalogue.search("platano")] == ["Plátano de Canarias"]
    assert [p.id for p in await catalogue.search("GALLETAS")] == ["dia:3"]
    assert [p.id for p in await catalogue.search("gullon")] == ["dia:3"]
    assert [p.id for p in await catalogue.search("almidon maiz")] == ["dia:3"]
    assert [p.id for p in await catalogue.search("aceite de oliva")] == ["mercadona:4241"]
    assert await catalogue.search("aceite", chain="dia") == []
    assert await catalogue.search("xylofono") == []
    # No product has both words: fall back to products with any of them.
    assert {p.id for p in await catalogue.search("platano gullon")} == {"mercadona:2", "dia:3"}


async def test_stats_count_products_and_price_changes_per_chain(catalogue: Catalogue) -> None:
    await catalogue.upsert_products(RUN, [make_product(), make_product(chain="dia")])
    await catalogue.upsert_products(
        RUN, [make_product(price=Decimal("9.10"), observed_at=day("2026-11-09"))]
    )

    stats = {s.chain: s for s in await catalogue.stats()}
    assert (stats["mercadona"].products, stats["mercadona"].price_observations) == (1, 2)
    assert stats["mercadona"].products_with_price_changes == 1
    assert stats["dia"].products_with_price_changes == 0
    assert stats["mercadona"].last_observed_at == day("2026-11-09")


async def test_price_changes_since_a_date_pair_each_price_with_the_one_before(
    catalogue: Catalogue,
) -> None:
    await catalogue.upsert_products(
        RUN, [make_product(), make_product(chain_product_id="2", price=Decimal("2.00"))]
    )
    await catalogue.add_price_observations(
        RUN,
        [
            make_price("mercadona:4241", "9.45", "2026-11-08"),  # before the window
            make_price("mercadona:4241", "9.95", "2026-11-15"),
            make_price("mercadona:2", "1.50", "2026-11-16"),
        ],
    )
    changes = await catalogue.price_changes(day("2026-11-10"))
    assert [(c.product_id, c.before, c.after, c.at) for c in changes] == [
        ("mercadona:2", Decimal("2.00"), Decimal("1.50"), day("2026-11-16")),
        ("mercadona:4241", Decimal("9.45"), Decimal("9.95"), day("2026-11-15")),
    ]
    everything = await catalogue.price_changes(day("2026-10-01"))
    assert [(c.before, c.after) for c in everything] == [
        (Decimal("2.00"), Decimal("1.50")),
        (Decimal("9.45"), Decimal("9.95")),
        (Decimal("8.95"), Decimal("9.45")),
    ]  # the first prices (1 November) are not changes
