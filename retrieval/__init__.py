"""Retrieval: product passages, embeddings, the FAISS and lexical indexes, Spanish query
understanding with hard filters, and the hybrid retriever."""
