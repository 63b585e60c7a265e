"""Turning a product into the texts that are searched: one main passage (what it is, who sells
it, its size and label facts) and extra passages for long texts, split with overlap.

Prices are deliberately left out of passages: they change daily, and a passage that embeds a
price would be re-embedded on every change; prices are filtered and shown from the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.allergens import ALLERGEN_NAMES_ES
from core.chains import chain_name
from core.domain import Product


@dataclass(frozen=True)
class Passage:
    product_id: str
    kind: str  # "main", "ingredients", "usage", "storage"
    number: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.product_id}#{self.kind}#{self.number}"


def main_text(product: Product) -> str:
    parts = [product.name]
    if product.brand and product.brand.lower() not in product.name.lower():
        parts.append(f"Marca {product.brand}")
    parts.append(f"en {chain_name(product.chain)}")
    if product.category_path:
        parts.append(" > ".join(product.category_path))
    if product.unit_size and product.size_unit:
        parts.append(f"{product.unit_size:g} {product.size_unit}")
    if product.packaging:
        parts.append(product.packaging)
    free = [ALLERGEN_NAMES_ES[a] for a in sorted(product.allergens.free)]
    if free:
        parts.append("sin " + ", sin ".join(free))
    return ". ".join(parts)


def chunks(text: str, size: int, overlap: int) -> list[str]:
    """Word-aligned pieces of at most `size` characters sharing about `overlap` characters."""
    words = text.split()
    pieces: list[str] = []
    start = 0
    while start < len(words):
        end, length = start, 0
        while end < len(words) and (length + len(words[end]) + 1 <= size or end == start):
            length += len(words[end]) + 1
            end += 1
        pieces.append(" ".join(words[start:end]))
        if end >= len(words):
            break
        back, shared = end, 0
        while back > start + 1 and shared + len(words[back - 1]) + 1 <= overlap:
            back -= 1
            shared += len(words[back]) + 1
        start = back
    return pieces


def passages_for(product: Product, chunk_chars: int = 400, overlap: int = 80) -> list[Passage]:
    result = [Passage(product.id, "main", 0, main_text(product))]
    for kind, text in (
        ("ingredients", product.ingredients),
        ("usage", product.usage_instructions),
        ("storage", product.storage_instructions),
    ):
        if not text:
            continue
        label = {"ingredients": "Ingredientes", "usage": "Uso", "storage": "Conservación"}[kind]
        for number, piece in enumerate(chunks(text, chunk_chars, min(overlap, chunk_chars // 2))):
            result.append(Passage(product.id, kind, number, f"{product.name}. {label}: {piece}"))
    return result
