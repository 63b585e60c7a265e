"""Shared kernel: settings, domain types and errors used by every other package."""
