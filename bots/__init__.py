"""Telegram and WhatsApp adapters over the chat service (issue #8).

Not built yet: this package holds nothing until its issue lands."""
