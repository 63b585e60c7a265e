"""The FastAPI service and chat page over one ChatService (issue #5).

Not built yet: this package holds nothing until its issue lands."""
