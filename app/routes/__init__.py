"""HTTP routes: thin adapters over `ChatService` and the runtime's health."""
