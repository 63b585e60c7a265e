"""Retrieval: product passages, embeddings, the FAISS index and hybrid search (issue #4).

Not built yet: this package holds nothing until its issue lands."""
