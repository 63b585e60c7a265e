"""What every chat channel shares, so a channel's handlers stay a few lines each.

- one conversation per chat or phone (`telegram-<chat id>`, `whatsapp-<phone>`), kept in the
  store like the API's, and a per-conversation preferred chain (`/cadena dia`);
- a per-user rate limit: a user who floods gets "espera un momento", and cannot starve others;
- one user's messages answered in the order they came (a lock per user), different users
  concurrently (the model gate still runs one generation at a time);
- a busy model is waited for, not reported: a phone cannot "retry later" the way an API client
  can, so a burst is answered late rather than lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from chat.answer import ChatAnswer
from chat.ratelimit import RateLimiter
from chat.service import ChatService
from core.chains import SCRAPED, chain_name
from core.errors import InputError, RateLimitedError, ServiceBusyError
from retrieval.query import understand
from storage.conversations import ConversationStore

log = logging.getLogger(__name__)

# The chains a shopper can pick (those whose shops are scraped each night).
CHAINS = {chain_id: chain_name(chain_id) for chain_id in SCRAPED}
_BUSY_WAIT_S = 180  # the longest a bot message waits for a free model before giving up
SORRY = "Lo siento, algo ha fallado al responder. Inténtalo de nuevo en un momento."
UNUSABLE = (
    "No puedo usar ese mensaje: escribe una pregunta corta sobre productos, por ejemplo "
    "«¿Qué leche sin lactosa hay en Dia?»."
)


def polite(exc: Exception) -> str | None:
    """What to tell a user about an error they can act on; None for anything else (a bug or
    an outage: logged by the channel's error handler, which says SORRY)."""
    if isinstance(exc, RateLimitedError):
        return f"Vas muy rápido: espera {exc.retry_after_s} s y pregunta otra vez."
    if isinstance(exc, InputError):
        return UNUSABLE
    if isinstance(exc, ServiceBusyError):
        return "Hay mucha gente preguntando ahora: inténtalo en un minuto."
    return None


class ChatRelay:
    def __init__(
        self,
        service: ChatService,
        conversations: ConversationStore,
        messages_per_minute: int,
        max_users: int = 10_000,
    ) -> None:
        self._service = service
        self._conversations = conversations
        self._limiter = RateLimiter(messages_per_minute)
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._max_users = max_users

    @staticmethod
    def conversation(channel: str, user: str) -> str:
        return f"{channel}-{user}"

    async def ask(self, channel: str, user: str, text: str) -> ChatAnswer:
        """The answer to one message. Raises `RateLimitedError` (say "wait") and `InputError`."""
        key = self.conversation(channel, user)
        self._limiter.take(key)
        async with self._lock(key):
            chain = await self._conversations.setting(key, "chain")
            question = text
            if chain and not understand(text).chains:
                question = f"{text.rstrip(' ?¿.')} en {CHAINS.get(chain, chain)}"
            return await self._patiently(question, key, channel)

    async def _patiently(self, question: str, conversation_id: str, channel: str) -> ChatAnswer:
        waited = 0
        while True:
            try:
                # owned by the channel: no API client can read a phone's conversation
                return await self._service.ask(question, conversation_id, owner=channel)
            except ServiceBusyError as exc:
                if waited >= _BUSY_WAIT_S:
                    raise
                log.info("Model busy; %s waits %d s", conversation_id, exc.retry_after_s)
                await asyncio.sleep(exc.retry_after_s)
                waited += exc.retry_after_s

    async def reset(self, channel: str, user: str) -> bool:
        return await self._service.forget(self.conversation(channel, user), owner=channel)

    async def set_chain(self, channel: str, user: str, name: str) -> str | None:
        """The preferred chain by name ("dia", "Mercadona"); "todas"/"ninguna" clears it.
        Returns the chain's display name, None when cleared; ValueError when unknown."""
        wanted = name.strip().lower()
        key = self.conversation(channel, user)
        if wanted in ("", "todas", "ninguna", "cualquiera"):
            await self._conversations.set_setting(key, "chain", None)
            return None
        if wanted not in CHAINS:
            raise ValueError(f"No conozco «{name}». Cadenas: {', '.join(CHAINS.values())}.")
        await self._conversations.set_setting(key, "chain", wanted)
        return CHAINS[wanted]

    async def chain(self, channel: str, user: str) -> str | None:
        value = await self._conversations.setting(self.conversation(channel, user), "chain")
        return CHAINS.get(value, value) if value else None

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.pop(key, None) or asyncio.Lock()
        self._locks[key] = lock
        while len(self._locks) > self._max_users:  # bounded memory: forget idle users' locks
            oldest, idle = next(iter(self._locks.items()))
            if idle.locked():
                break
            del self._locks[oldest]
        return lock


__all__ = ["CHAINS", "ChatRelay", "RateLimitedError"]
