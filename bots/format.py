"""An answer as a phone shows it: the text, then each cited product with its price, the date of
that price, the chain and a link; split into messages under the channel's limit at clean
boundaries (between products, then sentences, then words), never inside an escape.

The answer and the product names are plain text, whatever they hold: escaped for Telegram's
MarkdownV2, and for WhatsApp, which has no escape, with its formatting characters `*_~``
replaced by look-alikes, so a name such as `*Oferta* _nueva_` cannot format the message; only
the formatter's own markup (the bold product name) formats. Both lose bidi controls (an
override in a name would reverse the price after it) and line breaks (a name holding
"\n0,01 € en Dia" would forge a price line)."""

from __future__ import annotations

import re
from urllib.parse import quote

from chat.answer import ChatAnswer
from chat.facts import ProductFacts, day, money, reference
from core.chains import chain_name
from core.text import one_line

TELEGRAM_LIMIT = 4096
WHATSAPP_LIMIT = 4096
_TELEGRAM_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
_URL_DROPPED = str.maketrans("", "", "\t\n\r")
_URL_SAFE = "%:/?#[]@!$&'()*+,;=~"
# asterisk operator, modifier letter low macron, tilde operator, modifier letter grave accent
_WHATSAPP_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})


def plain(text: str) -> str:
    """Text from the data or the model as one line: no bidi controls, whitespace runs (line
    breaks included) as one space."""
    return one_line(text)


def whatsapp_plain(text: str) -> str:
    """`plain`, with WhatsApp's formatting characters as look-alikes (it has no escape)."""
    return plain(text).translate(_WHATSAPP_LOOKALIKES)


def telegram_escape(text: str) -> str:
    """MarkdownV2: every special character escaped (Telegram rejects the message otherwise)."""
    return _TELEGRAM_SPECIAL.sub(r"\\\1", text)


def _address(url: str) -> str:
    """A product's address as one token: tabs and line breaks dropped (as browsers read it),
    spaces and other characters that cannot be in an address percent-encoded."""
    return quote(url.translate(_URL_DROPPED), safe=_URL_SAFE)


def _telegram_product(f: ProductFacts, limit: int) -> str:
    p = f.product
    name = telegram_escape(plain(p.name))
    if p.url:
        url = _address(p.url).replace("\\", "\\\\").replace(")", "\\)")  # link rules
        name = f"[{name}]({url})"
    block = f"\\[{f.ref}\\] *{name}*\n" + telegram_escape(_details(f))
    if len(block) <= limit:
        return block
    # too long for one message: without markup, which cannot span two messages
    return telegram_escape(f"[{f.ref}] {plain(p.name)}\n{_details(f)}")


def _whatsapp_product(f: ProductFacts, limit: int) -> str:
    p = f.product
    name = whatsapp_plain(p.name)
    line = f"[{f.ref}] *{name}*\n{_details(f)}"
    if len(line) > limit:  # cut into two messages: no bold, which would show as stray stars
        line = f"[{f.ref}] {name}\n{_details(f)}"
    return f"{line}\n{_address(p.url)}" if p.url else line


def _details(f: ProductFacts) -> str:
    p = f.product
    price = money(p.price)
    if (unit := reference(p)) is not None:
        price += f" ({unit})"
    chain = chain_name(p.chain)
    return f"{price} en {chain}, precio a {day(p.observed_at)}"


def telegram_messages(answer: ChatAnswer, limit: int = TELEGRAM_LIMIT) -> list[str]:
    blocks = [telegram_escape(plain(s)) for s in _sentences(answer.answer)]
    return _pack(blocks, [_telegram_product(f, limit) for f in answer.cited], limit)


def whatsapp_messages(answer: ChatAnswer, limit: int = WHATSAPP_LIMIT) -> list[str]:
    blocks = [whatsapp_plain(s) for s in _sentences(answer.answer)]
    return _pack(blocks, [_whatsapp_product(f, limit) for f in answer.cited], limit)


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
            escapes = len(part[:limit]) - len(part[:limit].rstrip("\\"))
            cut = limit - escapes % 2  # an odd run of backslashes ends in an open escape
            out.append(part[:cut])
            part = part[cut:]
        out.append(part)
    return out
