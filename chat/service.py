"""`ChatService`: the one place that turns a question into a grounded, cited answer.

question -> understand -> retrieve -> numbered products with their price history -> prompt ->
model (through `ModelGate`) -> sentence-by-sentence grounding check -> answer. When the model's
answer cannot be trusted it is repaired (unsupported sentences dropped) or replaced by the answer
composed from the data (`chat/settle.py`); the result says which (`chat/answer.py`). API routes
and bots are thin adapters over this.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from datetime import timedelta
from typing import Any

from chat import compose, replies
from chat.answer import ChatAnswer, ChatEvent, Delta, Done, Grounding, Prepared
from chat.chat_model import Message, Usage
from chat.facts import ProductFacts, cited
from chat.gate import ModelGate
from chat.grounding import Grounder, StreamingCheck
from chat.prompt import DRAFT_RULES, RULES, build_draft_messages, build_messages, reads_draft
from chat.settle import Said, settle
from core.domain import Clock, ConversationTurn, utcnow
from core.errors import ConfigurationError, InputError, ServiceBusyError
from core.settings import ChatSettings
from core.text import fold, one_line, search_terms
from retrieval.query import Intent, Query, understand
from retrieval.retriever import Hit, Retriever
from storage.base import CatalogueReader
from storage.conversations import ConversationStore

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 600.0  # how often answering also applies the conversations' retention


class ChatService:
    def __init__(
        self,
        retriever: Retriever,
        store: CatalogueReader,
        conversations: ConversationStore,
        gate: ModelGate | None,
        settings: ChatSettings,
        max_tokens: int = 200,
        clock: Clock = utcnow,
    ) -> None:
        """`clock` places the periods questions name ("este mes") on the calendar; tests give a
        fixed one so that answers do not depend on the day they run."""
        self._retriever = retriever
        self._store = store
        self._conversations = conversations
        self._gate = gate
        self._settings = settings
        self._max_tokens = max_tokens
        self._clock = clock
        self._next_prune = 0.0  # the first answer prunes the store
        self._pending: set[asyncio.Future[object]] = set()

    @property
    def model_name(self) -> str:
        return self._gate.model.name if self._gate else "data-only"

    async def ask(
        self,
        question: str,
        conversation_id: str | None = None,
        history: Sequence[Message] | None = None,
        owner: str = "",
    ) -> ChatAnswer:
        async for event in self.stream(question, conversation_id, history, owner):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("stream() always ends with Done")

    async def forget(self, conversation_id: str, owner: str = "") -> bool:
        return await self._conversations.forget(_stored_id(conversation_id, owner))

    async def conversation(self, conversation_id: str, owner: str = "") -> list[ConversationTurn]:
        """The stored messages of a conversation, oldest first (at most `turns_kept`)."""
        return await self._conversations.recent(
            _stored_id(conversation_id, owner), self._settings.turns_kept
        )

    async def stream(
        self,
        question: str,
        conversation_id: str | None = None,
        history: Sequence[Message] | None = None,
        owner: str = "",
    ) -> AsyncIterator[ChatEvent]:
        """Verified answer text as it is produced, then the whole answer with its evidence.

        `history` (an OpenAI-style client sends its own) replaces the stored conversation and
        is not saved; otherwise the conversation `conversation_id` is read and extended. With an
        `owner` (an API key's identity) conversations are private to it: another key using the
        same id gets a conversation of its own.
        """
        question = self._validate(question)
        if self._gate is not None:
            self._gate.admit()  # a full queue refuses before any work is done
        started = time.perf_counter()
        conversation_id = conversation_id or uuid.uuid4().hex
        stored_id = _stored_id(conversation_id, owner)
        turns, asked = list(history or ()), None
        if history is None:  # the question is kept even if the answer never comes
            turns, asked = await self._turns(stored_id)
            await self._remember(stored_id, ConversationTurn(role="user", content=question))
        said = Said()
        answered = False
        try:
            answering = self._answer(question, conversation_id, turns, said, started, asked)
            async for event in answering:
                if isinstance(event, Done):
                    answered = True
                    if history is None:
                        reply = ConversationTurn(role="assistant", content=event.answer.answer)
                        await self._remember(stored_id, reply)
                yield event
        finally:
            if not answered and history is None:  # cut off, busy or failed: say so after it
                self._remember_later(stored_id, said.interrupted())

    async def _answer(
        self,
        question: str,
        conversation_id: str,
        turns: list[Message],
        said: Said,
        started: float,
        asked: str | None = None,
    ) -> AsyncIterator[ChatEvent]:
        prepared = await self.prepare(question, turns, asked)
        query, facts = prepared.query, prepared.facts
        retrieved = time.perf_counter()
        usage = Usage()
        if Intent.CHAT in query.intents:  # a greeting or thanks: nothing to look up
            said.settle([compose.conversation(query)], Grounding("composed"))
        elif not facts:
            facts = await self._alternatives(query)
            said.settle(
                [compose.not_found(query, facts)],
                Grounding("composed", ["ningún producto cumple la pregunta"]),
            )
        elif self._gate is None:
            said.settle([compose.compose(query, facts, self._clock())], Grounding("composed"))
        else:
            async for delta in self._from_model(self._gate, question, prepared, usage, said):
                yield delta
        for delta in said.unseen():
            yield delta
        answer = " ".join(said.parts)
        finished = time.perf_counter()
        yield Done(
            ChatAnswer(
                conversation_id=conversation_id,
                question=question,
                answer=answer,
                cited=cited(answer, facts),
                context=facts,
                grounding=said.grounding,
                timings_ms={
                    "retrieval": _ms(started, retrieved),
                    "first_text": _ms(started, said.first or finished),
                    "generation": _ms(retrieved, finished),
                    "total": _ms(started, finished),
                },
                usage=usage,
                model=self.model_name,
                index_version=prepared.index_version,
            )
        )

    async def _from_model(
        self, gate: ModelGate, question: str, prepared: Prepared, usage: Usage, said: Said
    ) -> AsyncIterator[Delta]:
        """The model's answer, checked sentence by sentence; sentences are shown as soon as
        they agree with the data (cite what the data points to), and what the data must
        decide at the end (replace, refuse, add totals and allergens) is `_settle`'s. With
        `chat.lead = "data"` and an adapter that phrases the data, the answer opens with the
        data's lead (`chat/replies.py`), shown before the model is asked (even while it is
        busy with another answer, which then costs the shopper nothing: the lead stands
        alone); the model goes on from it."""
        query, facts = prepared.query, prepared.facts
        asked = f"{query.text} {query.said}"  # a misspelling said back is no product's name
        now = self._clock()
        messages, rules = prepared.messages, RULES
        prompt = gate.model.prompt_format
        if reads_draft(prompt):  # the data decides, the model phrases
            rules = DRAFT_RULES  # what the reply may say, whether or not the prompt shows them
            messages = build_draft_messages(question, compose.compose(query, facts, now), prompt)
        days = compose.period_days(query, now)
        grounder = Grounder(facts, rules, asked, days, catalogue=self._retriever.index().name_words)
        check = StreamingCheck(grounder)
        # Shown only once it agrees with the data (cites what the data points to; a history's
        # direction is known at the end): a wrong first sentence never streams.
        hold = compose.leads(query, facts) is None or Intent.HISTORY in query.intents
        opening = None
        if self._settings.lead == "data" and reads_draft(prompt):
            opening = replies.lead(query, facts, now)
        if opening and (led := check.lead(opening)):
            said.parts += led  # the data's words, at once; the model goes on from them
            messages, hold = [*messages, Message("assistant", opening)], False
            for delta in said.unseen():
                yield delta
        stopped = None
        try:
            async for piece in gate.stream(messages, self._max_tokens, usage):
                said.parts += check.feed(piece)
                if (
                    not hold
                    and compose.disagreement(query, facts, " ".join(said.parts), now) is None
                ):
                    for delta in said.unseen():
                        yield delta
                if check.full or check.hopeless:
                    break
        except (ServiceBusyError, ConfigurationError, InputError) as exc:
            if not check.led:  # nothing shown yet: the client is told what to do
                raise
            log.warning("The model did not go on from the data's lead: %s", exc)
            stopped = f"el modelo no siguió ({exc}): la respuesta es la de los datos"
        said.parts += check.finish(cut=usage.completion_tokens >= self._max_tokens)
        said.settle(*settle(query, facts, said, check, now))
        if stopped:
            said.grounding.issues.append(stopped)

    async def _remember(self, stored_id: str, turn: ConversationTurn) -> None:
        await self._conversations.append(stored_id, [turn], keep=self._settings.turns_kept)
        if time.monotonic() >= self._next_prune:  # retention, at most every PRUNE_EVERY_S,
            self._next_prune = time.monotonic() + PRUNE_EVERY_S  # beside the answer
            days = timedelta(days=self._settings.conversation_days)
            prune = self._conversations.prune(utcnow() - days, self._settings.max_conversations)
            self._later(prune)

    def _remember_later(self, stored_id: str, turn: ConversationTurn) -> None:
        """Store a turn from a stream being closed, which cannot wait for it."""
        self._later(self._remember(stored_id, turn))

    def _later(self, work: Coroutine[Any, Any, object]) -> None:
        """Run `work` in a task of its own, which neither delays the answer nor is cancelled
        with it (kept referenced until done; its failure is logged)."""
        task = asyncio.ensure_future(work)
        self._pending.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Future[object]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Storing a conversation failed", exc_info=task.exception())

    async def prepare(
        self, question: str, turns: Sequence[Message] = (), asked: str | None = None
    ) -> Prepared:
        """Retrieval, numbered products and the exact messages the model gets. The fine-tune
        layer builds its training examples with this, so training and serving see one format.
        `asked`: the previous question, answered or not (default: the last one in `turns`)."""
        query = understand(question)
        if Intent.CHAT in query.intents:
            return Prepared(query, [], [], "")
        query, hits, index_version = await self._retrieve(question, turns, asked)
        facts = await self._facts(hits)
        messages = build_messages(
            question,
            facts,
            turns[-self._settings.turns_in_prompt :] if self._settings.turns_in_prompt else (),
            with_history=Intent.HISTORY in query.intents,
            with_ingredients=bool(replies.INGREDIENTS.search(fold(question))),
        )
        return Prepared(query, facts, messages, index_version)

    # steps ----------------------------------------------------------------------------------
    def _validate(self, question: str) -> str:
        # control characters (NUL, terminal escapes, text-direction overrides) are never kept
        question = one_line(question)
        if not question:
            raise InputError("The message is empty: ask about a product, e.g. «leche sin lactosa».")
        if len(question) > self._settings.max_message_chars:
            raise InputError(
                f"The message has {len(question)} characters; the limit is "
                f"{self._settings.max_message_chars}. Ask a shorter question."
            )
        return question

    async def _turns(self, conversation_id: str) -> tuple[list[Message], str | None]:
        """The last messages, user and assistant in turn: a question whose answer never came
        (the server stopped first) is left out, so a chat template that wants them to
        alternate still reads the conversation. And the last question, answered or not: a
        follow-up («¿y en Dia?») after an answer the server died writing is about it."""
        keep = self._settings.turns_in_prompt
        stored = await self._conversations.recent(conversation_id, keep + 1)
        turns: list[Message] = []
        for t in stored:
            if turns and turns[-1].role == "user" and t.role == "user":
                turns.pop()
            turns.append(Message("user" if t.role == "user" else "assistant", t.content))
        if turns and turns[-1].role == "user":  # the question now asked comes next
            turns.pop()
        if not keep:
            return [], None
        return turns[-keep:], next((t.content for t in reversed(stored) if t.role == "user"), None)

    async def _retrieve(
        self, question: str, turns: Sequence[Message], asked: str | None = None
    ) -> tuple[Query, list[Hit], str]:
        search = question
        if not search_terms(understand(question).text):
            # A follow-up ("¿y en Dia?") searches for what the previous question asked about.
            previous = asked or next((t.content for t in reversed(turns) if t.role == "user"), None)
            if previous:
                search = f"{previous} {question}"
        result = await self._retriever.search(search, limit=self._settings.products_in_context)
        return result.query, result.hits, result.index_version

    async def _facts(self, hits: Sequence[Hit]) -> list[ProductFacts]:
        facts = []
        for ref, hit in enumerate(hits, 1):
            history = await self._store.price_history(hit.product.id)
            facts.append(ProductFacts(ref, hit.product, tuple(history), hit.verdict.flags))
        return facts

    async def _alternatives(self, query: Query) -> list[ProductFacts]:
        """What exists without the question's limits (chain, price, allergens), if anything."""
        if not query.constrained or not search_terms(query.text):
            return []
        result = await self._retriever.search(query.text, limit=3)
        return await self._facts(result.hits)


def _stored_id(conversation_id: str, owner: str) -> str:
    return f"{owner}/{conversation_id}" if owner else conversation_id


def _ms(start: float, end: float) -> float:
    return round((end - start) * 1000, 1)
