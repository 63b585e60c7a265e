"""The web composition root: the FastAPI app and chat page over `chat`'s service, the
operator dashboard, API keys and limits, and the wiring of pipeline, bots and adapters."""
