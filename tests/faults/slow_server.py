"""`python -m tests.faults.slow_server PORT`: the chat API as `supersmart serve` runs it
(settings from the environment, uvicorn with the same options) but answering with the scripted
model, one word every 0.1 s: an answer long enough to kill the process in the middle of it.

`supersmart serve` can only load a real model (llama.cpp) or none (data-only, one composed
answer at once); a test passes its fake in through `create_app`, here in a process of its own.
"""

from __future__ import annotations

import sys

import uvicorn

from app.api import create_app
from app.server import server_options
from core.settings import load_settings
from tests.fakes.chat_model import ScriptedChatModel

MORE = "Y hay más aceites en oferta en muchas tiendas de la ciudad esta misma semana. "
REPLY = "El más barato es {1.name} [1], a {1.price}. " + MORE * 20  # ~30 s word by word


def main(port: int) -> None:
    settings = load_settings()
    model = ScriptedChatModel(default=REPLY, delay_s=0.1)
    app = create_app(settings, model=model)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **server_options(settings))


if __name__ == "__main__":
    main(int(sys.argv[1]))
