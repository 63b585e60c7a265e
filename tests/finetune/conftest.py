"""Fine-tune fixtures: the sample catalogue store and index (shared with the chat tests)."""

from __future__ import annotations

from tests.app.conftest import data_dir, sample_data_dir  # noqa: F401  (fixtures)
