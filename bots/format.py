"""An answer as a phone shows it: the text, then each cited product with its price, the date of
that price, the chain and a link; split into messages under the channel's limit at clean
boundaries (between products, then sentences, then words), never inside an escape."""

from __future__ import annotations

import re

from chat.answer import ChatAnswer
from chat.facts import ProductFacts, day, money, reference
from core.chains import chain_name

TELEGRAM_LIMIT = 4096
WHATSAPP_LIMIT = 4096
_TELEGRAM_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


def telegram_escape(text: str) -> str:
    """MarkdownV2: every special character escaped (Telegram rejects the message otherwise)."""
    return _TELEGRAM_SPECIAL.sub(r"\\\1", text)


def _telegram_product(f: ProductFacts) -> str:
    p = f.product
    name = telegram_escape(p.name)
    if p.url:
        url = p.url.replace("\\", "\\\\").replace(")", "\\)")  # MarkdownV2 link rules
        name = f"[{name}]({url})"
    return f"\\[{f.ref}\\] *{name}*\n" + telegram_escape(_details(f))


def _whatsapp_product(f: ProductFacts) -> str:
    p = f.product
    line = f"[{f.ref}] *{p.name.replace('*', '')}*\n{_details(f)}"
    return f"{line}\n{p.url}" if p.url else line


def _details(f: ProductFacts) -> str:
    p = f.product
    price = money(p.price)
    if (unit := reference(p)) is not None:
        price += f" ({unit})"
    chain = chain_name(p.chain)
    return f"{price} en {chain}, precio a {day(p.observed_at)}"


def telegram_messages(answer: ChatAnswer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    blocks = [telegram_escape(s) for s in _sentences(answer.answer)]
    return _pack(blocks, [_telegram_product(f) for f in answer.cited], limit)


def whatsapp_messages(answer: ChatAnswer, limit: int = WHATSAPP_LIMIT) -> list[str]:
    blocks = _sentences(answer.answer)
    return _pack(blocks, [_whatsapp_product(f) for f in answer.cited], limit)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]


def _pack(sentences: list[str], products: list[str], limit: int) -> list[str]:
    """Sentences joined by spaces, then a blank line, then one paragraph per product; each
    message as full as it can be without cutting a block (a block longer than the limit is
    cut between words)."""
    messages: list[str] = []
    current = ""
    pieces = [(s, " ") for s in sentences] + [(p, "\n\n") for p in products]
    for index, (block, joiner) in enumerate(pieces):
        if index == len(sentences) and current:
            joiner = "\n\n"
        for part in _fit(block, limit):
            candidate = f"{current}{joiner}{part}" if current else part
            if len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = part
    if current:
        messages.append(current)
    return messages


def _fit(block: str, limit: int) -> list[str]:
    if len(block) <= limit:
        return [block]
    parts, current = [], ""
    for word in block.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > limit and current:
            parts.append(current)
            current = word
        else:
            current = candidate
    # a single word longer than the limit (a URL): cut it, outside any escape sequence
    out = []
    for part in [*parts, current]:
        while len(part) > limit:
            cut = limit - 1 if part[limit - 1] == "\\" else limit
            out.append(part[:cut])
            part = part[cut:]
        out.append(part)
    return out
