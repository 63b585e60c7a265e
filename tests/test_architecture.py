"""The house's floors: which package may import which (the table below, explained in the
README's "Packages" section), and no import cycle between modules, deferred imports included.
Read from the source with `ast`, so a new import anywhere is checked without running it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> the packages it may import. Lower floors never import higher ones.
ALLOWED: dict[str, set[str]] = {
    "core": set(),  # settings, domain types, errors, text: shared by all
    "storage": {"core"},  # the stores, on the domain types
    "ingestion": {"core", "storage"},  # scrapers and importers write to a store
    "retrieval": {"core", "storage"},  # the index is built from a store
    "chat": {"core", "storage", "retrieval"},  # the chat service library, no web, no training
    "finetune": {"core", "storage", "retrieval", "chat"},  # trains on the chat service's prompts
    "bots": {"core", "storage", "retrieval", "chat"},  # Telegram/WhatsApp over the chat service
    "evaluation": {"core", "storage", "ingestion", "retrieval", "chat", "finetune"},
    "pipeline": {"core", "storage", "ingestion", "retrieval", "finetune"},  # nightly jobs
    "app": {"core", "storage", "ingestion", "retrieval", "chat", "finetune", "pipeline", "bots"},
}
ALLOWED["cli"] = set(ALLOWED) - {"cli"}  # the other composition root: anything
# Where a package may use only part of another: the web layer knows which adapter is in
# service (the registry) but nothing else of training.
ONLY: dict[tuple[str, str], set[str]] = {("app", "finetune"): {"finetune.registry"}}


def _modules() -> dict[str, Path]:
    found = {}
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    """Every module named by an import statement, at the top or deferred inside a function."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


MODULES = _modules()
GRAPH = {
    name: {target for target in _imports(path) if target in MODULES and target != name}
    for name, path in MODULES.items()
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_floors_below_it(package: str) -> None:
    wrong = []
    for name, targets in GRAPH.items():
        if name.split(".")[0] != package:
            continue
        for target in sorted(targets):
            other = target.split(".")[0]
            if other == package:
                continue
            if other not in ALLOWED[package]:
                wrong.append(f"{name} imports {target}")
            elif (package, other) in ONLY and not any(
                target == allowed or target.startswith(allowed + ".")
                for allowed in ONLY[package, other]
            ):
                wrong.append(f"{name} imports {target} (only {ONLY[package, other]} allowed)")
    assert wrong == [], "\n".join(wrong)


def test_the_allowed_table_itself_has_no_cycle() -> None:
    assert _cycles({p: set(allowed) for p, allowed in ALLOWED.items()}) == []


def test_no_module_imports_itself_back() -> None:
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
