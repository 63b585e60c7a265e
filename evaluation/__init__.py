"""Evaluation harness comparing RAG, LoRA and few-shot answerers (issue #7).

Not built yet: this package holds nothing until its issue lands."""
