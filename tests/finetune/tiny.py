"""A tiny Gemma 3 checkpoint built on the spot: a byte-level BPE tokenizer trained on the
examples (with Gemma's turn markers) and a two-layer model from a config, random weights.
It runs the trainer's real code (load, LoRA, answer-only loss, gradient check, save) in seconds
and needs no download, so the GPU check fits a machine that reaches nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chat.chat_model import Message
from finetune.template import END, render_prompt

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]

EXAMPLES = [
    [
        Message("user", f"¿Cuánto cuesta {name}?"),
        Message("assistant", f"{name} [1] cuesta {price} €."),
    ]
    for name, price in [
        ("Leche entera Hacendado", "0,95"),
        ("Aceite de oliva virgen extra Dia", "8,49"),
        ("Galletas María Gullón", "1,35"),
        ("Café molido natural Marcilla", "4,19"),
        ("Yogur natural Danone", "2,10"),
        ("Pan de molde Bimbo", "2,45"),
        ("Tomate frito Orlando", "1,29"),
        ("Atún claro Calvo", "5,75"),
    ]
]


def build_tiny_gemma(
    path: Path, examples: Sequence[Sequence[Message]] = EXAMPLES, dead_attention: bool = False
) -> Path:
    """Save the tokenizer and the model to `path` (what `finetune.base_model.load_base` reads).
    `dead_attention`: every attention output projection is zero, so LoRA weights on the value
    projections can get no gradient (a trapped model, without 4-bit weights or a GPU)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    texts = [render_prompt(m[:-1]) + m[-1].content + END for m in examples]
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=600,
            special_tokens=SPECIALS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    bos = bpe.token_to_id("<bos>")
    bpe.post_processor = processors.TemplateProcessing(
        single="<bos> $A", special_tokens=[("<bos>", bos)]
    )
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe,
        bos_token="<bos>",
        eos_token="<eos>",
        pad_token="<pad>",
        unk_token="<unk>",
        additional_special_tokens=SPECIALS[4:],
    )
    tokenizer.save_pretrained(path)
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=64,
        max_position_embeddings=512,
        sliding_window=128,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=bos,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    model = Gemma3ForCausalLM(config)
    if dead_attention:  # nothing the attention values carry reaches the output
        with torch.no_grad():
            for layer in model.model.layers:
                layer.self_attn.o_proj.weight.zero_()
    model.save_pretrained(path)
    return path
