"""The prompts the chat model sees, in one of two formats chosen by the adapter in service:

- `products` (the first adapters): rules, numbered products, recent turns, the question; the model
  decides what to say from the products.
- `draft`: the question and the answer composed from the data (`chat/compose.py`); the data has
  decided which products, figures and direction, and the model only phrases a short reply.
- `brief`: `draft` without the rules. An adapter trained on the task has learned what they say
  (its gold replies follow them, and the service checks every reply anyway); they were 18 % of
  every training example's tokens.

These are also the formats the fine-tune layer trains on (`finetune/` builds its examples with
these functions), so a change here is a change to the adapter's input: retrain after it. An
adapter's `config.yaml` says which format it was trained on (`prompt:`; absent: `products`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml

from chat.chat_model import Message
from chat.facts import ProductFacts

log = logging.getLogger(__name__)

RULES = (
    "Eres SuperSmart, un asistente que responde sobre productos de supermercados españoles. "
    "Responde en español, en una a tres frases, usando solo los productos numerados. "
    "Cita cada producto que menciones con su número entre corchetes, por ejemplo [1]. "
    "Copia los precios tal como aparecen y di a qué fecha corresponden. "
    "Si ningún producto responde a la pregunta, di: «No encuentro ese producto». "
    "No inventes precios, tamaños ni alérgenos."
)
DRAFT_RULES = (
    "Eres SuperSmart, un asistente de supermercados españoles. Con los datos, responde a la "
    "pregunta en una o dos frases en español. Copia los nombres, los números entre corchetes, "
    "los precios y las fechas tal como están. Si los datos no lo tienen, di «No encuentro». "
    "No añadas nada que no esté en los datos."
)
PromptFormat = Literal["products", "draft", "brief"]
PROMPT_FORMATS: tuple[PromptFormat, ...] = ("products", "draft", "brief")
CONTEXT_HEADER = "Productos:"
DRAFT_HEADER = "Datos:"
QUESTION_HEADER = "Pregunta:"


def render_context(
    facts: Sequence[ProductFacts], with_history: bool = False, with_ingredients: bool = False
) -> str:
    """One line per product; price changes and ingredients only when the question is about
    them (every token of context costs prompt time: ~3 ms each on 2 cores with this model)."""
    lines = [f.context_line(with_history, with_ingredients) for f in facts] or ["(ninguno)"]
    return "\n".join([CONTEXT_HEADER, *lines])


def build_messages(
    question: str,
    facts: Sequence[ProductFacts],
    turns: Sequence[Message] = (),
    with_history: bool = False,
    with_ingredients: bool = False,
) -> list[Message]:
    """System rules, then earlier turns, then the products and the question as the last turn."""
    context = render_context(facts, with_history, with_ingredients)
    return [
        Message("system", RULES),
        *turns,
        Message("user", f"{context}\n\n{QUESTION_HEADER} {question.strip()}"),
    ]


def reads_draft(prompt: PromptFormat) -> bool:
    """Whether a model on this format phrases the composed answer (`draft`, `brief`)."""
    return prompt != "products"


def build_draft_messages(
    question: str, draft: str, prompt: PromptFormat = "draft"
) -> list[Message]:
    """The `draft` format: the rules, the question and what the data says; the model phrases
    the reply. `brief`: the same without the rules."""
    asked = Message("user", f"{QUESTION_HEADER} {question.strip()}\n{DRAFT_HEADER} {draft.strip()}")
    return [Message("system", DRAFT_RULES), asked] if prompt == "draft" else [asked]


def adapter_prompt_format(adapter: Path | None) -> PromptFormat:
    """The format an adapter was trained on, from the `config.yaml` beside its GGUF (adapters
    from before formats existed, and the bare model, read numbered products)."""
    if adapter is None:
        return "products"
    config = adapter.parent / "config.yaml"
    try:
        values = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        _without_config(config)
        return "products"
    except (OSError, yaml.YAMLError):
        return "products"
    wanted = values.get("prompt", "products") if isinstance(values, dict) else "products"
    return wanted if wanted in PROMPT_FORMATS else "products"


@functools.cache
def _without_config(config: Path) -> None:
    """Once per path: a GGUF copied without its config is read in the first adapters' format,
    and a `draft` adapter asked that way answers badly (every reply replaced by the data's)."""
    log.warning(
        "No %s: the adapter beside it is read as a `products` adapter. If it was trained on "
        "the `draft` or `brief` prompt (every adapter since issue #16), copy its config.yaml "
        "with its GGUF.",
        config,
    )
