"""The chat service as a library: retrieval results and the model turned into grounded, cited
answers (`service`), the grounding check, answers composed from the data, the prompts, the
model seam and its llama.cpp implementation, the generation gate, and the runtime that opens
them. Depends only on `core`, `storage` and `retrieval`; the web layer (`app`), the bots,
training and evaluation use it."""
