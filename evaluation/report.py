"""The evaluation report: `results.json` (every figure, with the questions behind it),
`REPORT.md`, and `report.html` (self-contained: charts are inline SVG from `core.charts`, no
script, no CDN).

Every number in the Markdown and HTML is read from the same summary dict that `results.json`
holds, so a reader can trace any figure to the JSON.
"""

from __future__ import annotations

import html
import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core import charts

_METRICS = (  # (key in a score, label, share of questions where it applies)
    ("right", "right answers"),
    ("price", "price correct"),
    ("allergen", "allergens correct"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("refusal", "refusal accuracy"),
    ("false_refusal", "false refusals"),
    ("trend", "price change direction"),
    ("wrong_claim", "answers with a wrong claim (independent check)"),
    ("own_text", "right answers in the model's own words"),
    ("grounded", "service's own check passes"),
    ("spanish", "in Spanish"),
)
_VERDICTS = ("verified", "repaired", "replaced", "composed")
# Text no model wrote: the composed answerer, and the service when it replaced or composed.
_NOT_MODEL_TEXT = {"replaced", "composed"}
_WORST = 3


def summarise(
    lines: Sequence[dict[str, Any]], order: Sequence[str], retrieval: list[dict[str, Any]]
) -> dict[str, Any]:
    by_answerer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_answerer[line["answerer"]].append(line)
    answerers = {}
    for name in [n for n in order if n in by_answerer]:
        rows = sorted(by_answerer[name], key=lambda r: r["question_id"])
        answerers[name] = {
            "questions": len(rows),
            "errors": sum(1 for r in rows if r["error"]),
            "metrics": {key: _metric(name, rows, key) for key, _ in _METRICS},
            "families": _families(rows),
            "parts": _parts(rows),
            "latency_ms": _percentiles([r["latency_ms"] for r in rows]),
            "completion_tokens_mean": round(
                statistics.mean(r["completion_tokens"] for r in rows), 1
            ),
            "verdicts": _counts(r["verdict"] for r in rows if r["verdict"]),
            "worst": [_failure(r) for r in rows if not r["score"]["right"]][:_WORST],
        }
    return {"answerers": answerers, "retrieval": retrieval}


def _metric(answerer: str, rows: Sequence[dict[str, Any]], key: str) -> dict[str, Any]:
    if key == "wrong_claim":  # answers scored before the independent checker existed: n/a
        values = [float(bool(r["score"]["wrong_claims"])) for r in rows
                  if "wrong_claims" in r["score"]]  # fmt: skip
    elif key == "own_text":  # of the right answers, those whose text the model wrote
        values = [float(answerer != "composed" and r["verdict"] not in _NOT_MODEL_TEXT)
                  for r in rows if r["score"]["right"]]  # fmt: skip
    else:
        values = [float(r["score"][key]) for r in rows if r["score"].get(key) is not None]
    total = sum(values)
    metric: dict[str, Any] = {
        "value": round(total / len(values), 3) if values else None,
        "n": len(values),
    }
    if all(v in (0.0, 1.0) for v in values):  # a count of answers, not an average of fractions
        metric["count"] = int(total)
    return metric


def _families(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        family = out.setdefault(r["family"], {"right": 0, "n": 0})
        family["n"] += 1
        family["right"] += bool(r["score"]["right"])
    return dict(sorted(out.items()))


def _parts(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Right answers and answers with a wrong claim per part of the set (dev, held-out)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        part = out.setdefault(r.get("part", "dev"), {"right": 0, "wrong_claim": 0, "n": 0})
        part["n"] += 1
        part["right"] += bool(r["score"]["right"])
        part["wrong_claim"] += bool(r["score"].get("wrong_claims"))
    return dict(sorted(out.items()))


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if len(ordered) < 2:
        return {"p50": ordered[0] if ordered else 0.0, "p95": ordered[0] if ordered else 0.0}
    cut = statistics.quantiles(ordered, n=20, method="inclusive")
    return {"p50": round(statistics.median(ordered), 1), "p95": round(cut[18], 1)}


def _counts(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _failure(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "question_id": row["question_id"],
        "family": row["family"],
        "question": row["question"],
        "answer": row["answer"][:400],
        "why": row["score"]["why"][:3],
        "context": row["context"][:3],
    }


# Markdown ------------------------------------------------------------------------------------
def markdown(title: str, summary: dict[str, Any], meta: dict[str, Any]) -> str:
    answerers = summary["answerers"]
    names = list(answerers)
    out = [f"# {title}", "", _meta_line(meta), ""]
    out += ["## Techniques", "", "| metric | " + " | ".join(names) + " |",
            "|---|" + "---|" * len(names)]  # fmt: skip
    for key, label in _METRICS:
        cells = [_cell(answerers[n]["metrics"][key], key) for n in names]
        if any(cell != "-" for cell in cells):  # a metric no question of this set asks for: none
            out.append(f"| {label} | " + " | ".join(cells) + " |")
    out.append("| latency p50 / p95 (ms) | " + " | ".join(
        f"{a['latency_ms']['p50']:.0f} / {a['latency_ms']['p95']:.0f}" for a in answerers.values()
    ) + " |")  # fmt: skip
    out.append("| generated tokens (mean) | " + " | ".join(
        f"{a['completion_tokens_mean']:.0f}" for a in answerers.values()) + " |")  # fmt: skip
    out.append("| errors | " + " | ".join(str(a["errors"]) for a in answerers.values()) + " |")
    out.append("| verdicts: " + " / ".join(_VERDICTS) + " | " + " | ".join(
        " / ".join(str(a["verdicts"].get(v, 0)) for v in _VERDICTS) if a["verdicts"] else "-"
        for a in answerers.values()) + " |")  # fmt: skip
    out += ["", "Each cell: share (number of questions it applies to). *False refusals* and "
            "*wrong claims*: lower is better. A wrong claim is what `evaluation/claims.py`, "
            "written apart from the service, finds false against the data (a name that is not "
            "the cited product's, a price, trend, date, allergen or safety claim the data does "
            "not hold, a false cheapest or \"no encuentro\"); an answer with one is never right. "
            "*In the model's own words*: right answers not replaced or composed from the data. "
            "*Verdicts*: the service's own label for each answer.", ""]  # fmt: skip
    out += _parts_table(answerers)
    out += ["## Right answers by question family", ""]
    families = sorted({f for a in answerers.values() for f in a["families"]})
    out += ["| family | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for family in families:
        cells = []
        for n in names:
            f = answerers[n]["families"].get(family)
            cells.append(f"{f['right']}/{f['n']}" if f else "-")
        out.append(f"| {family} | " + " | ".join(cells) + " |")
    if summary["retrieval"]:
        out += ["", "## Retrieval variants", "", "| variant | recall@5 | MRR | questions |",
                "|---|---|---|---|"]  # fmt: skip
        for r in summary["retrieval"]:
            out.append(f"| {r['variant']} | {r['recall_at_5']:.3f} | {r['mrr']:.3f} | {r['n']} |")
    out += ["", "## Worst failures", ""]
    for name, a in answerers.items():
        if not a["worst"]:
            continue
        out.append(f"### {name}")
        for f in a["worst"]:
            out.append(f"- **{f['family']}** «{f['question']}»")
            out.append(f"  - answer: «{_one_line(f['answer'])}»")
            out.append(f"  - why: {'; '.join(f['why']) or '-'}")
            if f["context"]:
                out.append(f"  - context: {' / '.join(f['context'])}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _parts_table(answerers: dict[str, Any]) -> list[str]:
    """Development and held-out parts side by side (only for sets that have both)."""
    names = list(answerers)
    parts = sorted({p for a in answerers.values() for p in a["parts"]})
    if len(parts) < 2:
        return []
    out = ["## By part of the question set", "", "| part | " + " | ".join(names) + " |",
           "|---|" + "---|" * len(names)]  # fmt: skip
    for part in parts:
        cells = []
        for n in names:
            c = answerers[n]["parts"].get(part)
            cells.append(f"{c['right']}/{c['n']} right, {c['wrong_claim']} with a wrong claim"
                         if c else "-")  # fmt: skip
        out.append(f"| {part} | " + " | ".join(cells) + " |")
    return [*out, ""]


def _cell(metric: dict[str, Any], key: str) -> str:
    if metric["value"] is None:
        return "-"
    n, count = metric["n"], metric.get("count")
    if count is not None:  # a count of answers: "99.8% (404/405)"
        return f"{share(count, n)} ({count}/{n})"
    return f"{share(metric['value'] * n, n)} ({n})"  # an average, e.g. citation precision


def share(part: float, whole: int) -> str:
    """A percentage that never rounds to a promise: 404 of 405 is "99.8%", not "100%", and 1
    of 405 is "0.2%", not "0%"; only all or none reads "100%" or "0%"."""
    if whole == 0:
        return "-"
    ratio = part / whole
    for digits in range(4):
        text = f"{ratio:.{digits}%}"
        if (float(text[:-1]) in (0.0, 100.0)) == (part in (0, whole)):
            return text
    return "<0.001%" if ratio < 0.5 else ">99.999%"


def _meta_line(meta: dict[str, Any]) -> str:
    when = (
        f"answers recorded earlier and scored again on {meta['generated']} (`--rescore`)"
        if meta.get("rescored")
        else f"generated {meta['generated']}"
    )
    lead = {
        "data": " The service's answers open with the data's lead and the model goes on from it "
        "(`chat.lead = data`).",
        "model": " The model writes the service's whole reply (`chat.lead = model`).",
    }.get(meta.get("lead", ""), "")
    return (
        f"Question set `{meta['questions']}` ({meta['question_count']} questions), model "
        f"`{meta['model']}`, adapter `{meta['adapter']}`, {when}. Numbers: `results.json`.{lead}"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(vacía)"


# HTML ------------------------------------------------------------------------------------------
def html_page(title: str, summary: dict[str, Any], meta: dict[str, Any], md: str) -> str:
    figures = [_chart_techniques(summary), _chart_families(summary), _chart_latency(summary)]
    images = "".join(f"<figure>{svg}</figure>" for svg in figures)
    body = _md_to_html(md)
    return (
        "<!doctype html><html lang='es'><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style><body>"
        f"<h1>{html.escape(title)}</h1><p>{_inline(_meta_line(meta))}</p>{images}{body}"
        "</body></html>\n"
    )


_CSS = (
    "body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
    "text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1em 0}"
    "svg{max-width:100%;height:auto}li{margin:.3em 0}.chart text{font:11px system-ui,sans-serif}"
    ".chart .title{font-size:13px;font-weight:600}"
)


def _markdown_html() -> Any:
    """CommonMark with tables (markdown-it-py); raw HTML in the text is escaped, never passed
    through: answers quote product names, and a name may hold "<script>"."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _md_to_html(md: str) -> str:
    """The Markdown body (after its title line) as HTML."""
    body = "\n".join(md.splitlines()[3:])
    return str(_markdown_html().render(body))


def _inline(text: str) -> str:
    return str(_markdown_html().renderInline(text))


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _chart_techniques(summary: dict[str, Any]) -> str:
    answerers = summary["answerers"]
    keys = [("right", "right"), ("price", "price"), ("citation_recall", "citation recall"),
            ("refusal", "refusal"), ("grounded", "grounded")]  # fmt: skip
    series = [
        (label, [_percent(a["metrics"][key]["value"]) for a in answerers.values()])
        for key, label in keys
    ]
    return charts.grouped_bar_chart(
        list(answerers), series, "Techniques compared: % of questions", " %", top=100
    )


def _chart_families(summary: dict[str, Any]) -> str:
    answerers = summary["answerers"]
    families = sorted({f for a in answerers.values() for f in a["families"]})
    series = [
        (
            name,
            [
                _percent(a["families"][f]["right"] / a["families"][f]["n"])
                if f in a["families"]
                else None
                for f in families
            ],
        )
        for name, a in answerers.items()
    ]
    return charts.grouped_bar_chart(
        families, series, "Right answers by question family: %", " %", top=100
    )


def _chart_latency(summary: dict[str, Any]) -> str:
    answerers = summary["answerers"]
    series = [(p, [float(a["latency_ms"][p]) for a in answerers.values()]) for p in ("p50", "p95")]
    return charts.grouped_bar_chart(list(answerers), series, "Latency per answer", " ms")


def write_report(
    out: Path,
    title: str,
    lines: Sequence[dict[str, Any]],
    order: Sequence[str],
    meta: dict[str, Any],
    retrieval: list[dict[str, Any]],
    with_answers: bool = True,
) -> dict[str, Path]:
    """`with_answers=False` leaves every answer's record out of results.json (a report kept in
    the repository about data that is not ours to copy keeps its figures and a few examples)."""
    summary = summarise(lines, order, retrieval)
    md = markdown(title, summary, meta)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "results.json",
        "markdown": out / "REPORT.md",
        "html": out / "report.html",
    }
    payload = {"meta": meta, **summary} | ({"answers": list(lines)} if with_answers else {})
    paths["json"].write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    paths["markdown"].write_text(md, encoding="utf-8")
    paths["html"].write_text(html_page(title, summary, meta, md), encoding="utf-8")
    return paths
