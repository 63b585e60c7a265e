"""Which prompt a model gets: the format its adapter was trained on, read from the adapter's
`config.yaml`; the bare model and adapters from before formats existed read numbered products."""

from __future__ import annotations

from pathlib import Path

import pytest

from chat.prompt import DRAFT_RULES, adapter_prompt_format, build_draft_messages


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("rank: 8\nprompt: draft\n", "draft"),
        ("rank: 8\nprompt: brief\n", "brief"),
        ("rank: 8\nprompt: products\n", "products"),
        ("rank: 8\n", "products"),  # trained before formats existed
        ("prompt: poem\n", "products"),  # unknown: the format every model can read
        ("{not yaml: [", "products"),
        (None, "products"),  # no config beside the GGUF
    ],
)
def test_the_adapters_config_says_which_prompt_it_reads(
    tmp_path: Path, config: str | None, expected: str
) -> None:
    gguf = tmp_path / "adapter.gguf"
    gguf.write_bytes(b"GGUF")
    if config is not None:
        (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    assert adapter_prompt_format(gguf) == expected


def test_a_gguf_without_its_config_is_read_as_products_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gguf = tmp_path / "copied" / "adapter.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"GGUF")
    assert [adapter_prompt_format(gguf) for _ in range(3)] == ["products"] * 3
    warned = [r.getMessage() for r in caplog.records if "config.yaml" in r.getMessage()]
    assert len(warned) == 1 and str(gguf.parent / "config.yaml") in warned[0]


def test_the_bare_model_reads_products() -> None:
    assert adapter_prompt_format(None) == "products"


def test_the_draft_prompt_is_the_question_and_the_data() -> None:
    system, user = build_draft_messages("  ¿Cuánto cuesta la leche? ", "Tengo Leche [1] ...")
    assert (system.role, system.content) == ("system", DRAFT_RULES)
    assert user.content == "Pregunta: ¿Cuánto cuesta la leche?\nDatos: Tengo Leche [1] ..."


def test_the_brief_prompt_is_the_draft_prompt_without_the_rules() -> None:
    draft = build_draft_messages("¿Cuánto cuesta la leche?", "Tengo Leche [1] ...", "draft")
    assert build_draft_messages("¿Cuánto cuesta la leche?", "Tengo Leche [1] ...", "brief") == [
        draft[-1]
    ]
