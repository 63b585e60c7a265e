"""Fine-tuning: training data from the catalogue, LoRA training and GGUF export (issue #6).

Not built yet: this package holds nothing until its issue lands."""
