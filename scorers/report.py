"""Presenting scores and statistics: summary rows, Markdown, and rich renderables for the terminal.

Everything here works on the plain dicts of ``Score.to_dict()`` and ``scorers.stats``, so the same functions
serve fresh scores and scores read back from the index. Entry text is escaped for rich markup and Markdown.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

SUMMARY_COLUMNS = ["id", "kind", "tier", "points", "verification", "limited_by", "rubric"]
CRITERIA_COLUMNS = ["entry_id", "criterion", "group", "title", "points", "max_points", "evidence_kind", "flag"]


def summary_row(score: dict[str, Any]) -> dict[str, Any]:
    """The one-line view of a score (the same fields the index's score table holds)."""
    return {
        "id": score["entry_id"],
        "kind": score["kind"],
        "tier": score["tier"],
        "tier_rank": score["tier_rank"],
        "points": score["points"],
        "max_points": score["max_points"],
        "verification": score["verification_level"],
        "limited_by": score.get("limited_by"),
        "rubric": score["rubric_version"],
    }


def criteria_rows(score: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for c in score["criteria"]:
        yield {
            "entry_id": score["entry_id"],
            "criterion": c["id"],
            "group": c["group"],
            "title": c["title"],
            "points": c["points"],
            "max_points": c["max_points"],
            "evidence_kind": c["evidence_kind"],
            "flag": c.get("flag"),
        }


def md_escape(text: object) -> str:
    """Escape text for a Markdown table cell or paragraph."""
    s = "" if text is None else str(text)
    for ch in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ")


def md_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "| " + " | ".join(columns) + " |"
    sep = "| " + " | ".join("---" for _ in columns) + " |"
    body = ["| " + " | ".join(md_escape(_fmt(r.get(c))) for c in columns) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def headline(score: dict[str, Any]) -> str:
    limited = f", limited by {score['limited_by']}" if score.get("limited_by") else ""
    return (
        f"{score['entry_id']}: {score['tier']} ({score['points']:g}/{score['max_points']} points, "
        f"{score['verification_level']}, rubric {score['rubric_version']}{limited})"
    )


def next_tier_lines(score: dict[str, Any]) -> list[str]:
    nt = score.get("next_tier")
    if not nt:
        return ["Top tier reached."]
    lines = [f"Next tier: {nt['tier']} (needs {nt['min_points']:g} points; {nt['points_needed']:g} more)."]
    if nt["gates_failing"]:
        lines.append("Failing gates: " + ", ".join(nt["gates_failing"]) + ".")
    if nt["caps_blocking"]:
        lines.append("Caps in the way: " + ", ".join(nt["caps_blocking"]) + ".")
    if "curator" not in nt:  # a plan stored before plans were split by who can act
        verdict = "reaches it" if nt["reachable"] else "is not enough on its own"
        lines.append(f"Cheapest plan (cost {nt['cost']}, {nt['points_after']:g} points after) {verdict}:")
        lines.extend(_action_line(a) for a in nt["actions"])
        return lines
    if nt["curator"]:
        verdict = "reach it" if nt["reachable_by_curator"] else "are not enough on their own"
        lines.append(f"Curator can do now ({nt['points_after_curator']:g} points after these steps, which {verdict}):")
        lines.extend(_action_line(a) for a in nt["curator"])
    else:
        lines.append("Curator can do now: nothing (no missing fact the entry's sources could give, no check to run).")
    if nt["owner"]:
        lines.append("Needs the data owner:")
        lines.extend(_action_line(a) for a in nt["owner"])
    return lines


def _action_line(a: dict[str, Any]) -> str:
    target = f"{a['criterion']} -> {a['to']}" if a["criterion"] else a["action"]
    return f"  - [{a['for']}] {target} (+{a['points']:g}, cost {a['cost']}): {a['how']}"


def explain_markdown(score: dict[str, Any]) -> str:
    out = [f"## {md_escape(score['entry_id'])}", "", md_escape(headline(score)), ""]
    rows = [
        {
            "criterion": c["id"],
            "group": c["group"],
            "points": f"{c['points']:g}/{c['max_points']:g}",
            "evidence": c["evidence_kind"],
            "why it matters": c["why_it_matters"],
            "how to earn": c["how_to_earn"] if c["points"] < c["max_points"] else "",
            "flag": c.get("flag") or "",
        }
        for c in score["criteria"]
    ]
    out.append(md_table(rows, ["criterion", "group", "points", "evidence", "flag", "why it matters", "how to earn"]))
    failing = [g for g in score["gates"] if not g["passed"]]
    applied = [c for c in score["caps"] if c["applies"]]
    if failing or applied:
        out.append("")
        out.extend(
            f"- gate **{md_escape(g['id'])}** ({g['tier']}) fails: {md_escape(g['how_to_pass'])}" for g in failing
        )
        out.extend(
            f"- cap **{md_escape(c['id'])}** (max {c['max_tier']}) applies: {md_escape(c['how_to_lift'])}"
            for c in applied
        )
    for note in score.get("notes") or []:
        out.append(f"- note: {md_escape(note)}")
    out.append("")
    out.extend(
        md_escape(line) if not line.startswith("  - ") else "  - " + md_escape(line[4:])
        for line in next_tier_lines(score)
    )
    return "\n".join(out) + "\n"


def summary_markdown(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of summary rows (see summary_row)."""
    return md_table(rows, SUMMARY_COLUMNS) + "\n"


def explain_rich(score: dict[str, Any]):
    """A rich renderable with the breakdown, gates, caps and next_tier of one score, laid out at the console's width
    when printed: a table where the hints keep a readable column, else one short block per criterion. Lines break
    between words only; an id or a word is never cut."""
    return _Explanation(score)


EXPLAIN_HINT_MIN = 36
"""The narrowest hint column the table layout accepts; below it each criterion is printed as a block."""

_BLOCK_INDENT = "    "


def _hint(c: dict[str, Any]) -> str:
    if c.get("flag"):
        return f"flag: {c['flag']}"
    return c["how_to_earn"] if c["points"] < c["max_points"] else ""


def _points(c: dict[str, Any]) -> str:
    return f"{c['points']:g}/{c['max_points']:g}"


def explain_tail_lines(score: dict[str, Any], width: int) -> list[str]:
    """The lines under the breakdown (failing gates, applying caps, notes, next_tier), wrapped between words."""
    from registry.wrapping import wrap_words

    lines: list[str] = []
    texts = [f"gate {g['id']} ({g['tier']}) fails: {g['how_to_pass']}" for g in score["gates"] if not g["passed"]]
    texts += [
        f"cap {cap['id']} (max {cap['max_tier']}) applies: {cap['how_to_lift']}"
        for cap in score["caps"]
        if cap["applies"]
    ]
    texts += [f"note: {note}" for note in score.get("notes") or []]
    for text in texts:
        lines.extend(wrap_words(text, width, subsequent_indent="  "))
    for line in next_tier_lines(score):
        if line.startswith("  - "):
            lines.extend(wrap_words(line[4:], width, indent="  - ", subsequent_indent=_BLOCK_INDENT))
        else:
            lines.extend(wrap_words(line, width, subsequent_indent="  "))
    return lines


def explain_block_lines(score: dict[str, Any], width: int) -> list[str]:
    """The breakdown as blocks: criterion, group, points and evidence aligned on one line, the flag or how to earn
    wrapped between words under it."""
    from registry.wrapping import wrap_words

    criteria = score["criteria"]
    heads = ["criterion", "group", "points", "evidence"]
    cells = [[c["id"], str(c["group"]), _points(c), c["evidence_kind"]] for c in criteria]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(heads)]

    def line(row: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()

    lines = [line(heads)]
    for c, row in zip(criteria, cells, strict=True):
        lines.append(line(row))
        hint = _hint(c)
        if hint:
            lines.extend(wrap_words(hint, width, indent=_BLOCK_INDENT))
    return lines


class _Explanation:
    """``explain_rich``'s renderable: the layout is chosen when rich gives it the console's width."""

    def __init__(self, score: dict[str, Any]) -> None:
        self.score = score

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.table import Table
        from rich.text import Text

        from registry.wrapping import wrap_words

        score = self.score
        width = options.max_width
        for line in wrap_words(headline(score), width, subsequent_indent="  "):
            yield Text(line, no_wrap=True, overflow="ignore")
        criteria = score["criteria"]
        fixed = [
            max([len("criterion"), *(len(c["id"]) for c in criteria)]),
            max([len("group"), *(len(str(c["group"])) for c in criteria)]),
            max([len("points"), *(len(_points(c)) for c in criteria)]),
            max([len("evidence"), *(len(c["evidence_kind"]) for c in criteria)]),
        ]
        # a rich table with five columns spends 6 border and 10 padding characters
        hint_width = width - sum(fixed) - 16
        if hint_width >= EXPLAIN_HINT_MIN:
            table = Table(show_lines=False)
            for col in ("criterion", "group", "points", "evidence"):
                table.add_column(col, no_wrap=True)
            table.add_column("flag / how to earn", overflow="fold")
            for c in criteria:
                table.add_row(
                    Text(c["id"]), Text(str(c["group"])), Text(_points(c)), Text(c["evidence_kind"]), Text(_hint(c))
                )
            yield table
        else:
            for line in explain_block_lines(score, width):
                yield Text(line, no_wrap=True, overflow="ignore")
        for line in explain_tail_lines(score, width):
            yield Text(line, no_wrap=True, overflow="ignore")
        yield Text("")


def stats_markdown(stats: dict[str, Any]) -> str:
    out = [f"{stats['datasets']} datasets ({stats['collections']} collections), {stats['models']} models", ""]
    for facet, rows in stats["facets"].items():
        columns = [c for c in ("value", "datasets", "models") if any(c in r for r in rows)] or ["value", "datasets"]
        out += [f"### {facet}", "", md_table(rows, columns), ""]
    return "\n".join(out)


def thin_task_rows(gaps: dict[str, Any]) -> list[dict[str, Any]]:
    """The gaps table: anatomies with public datasets whose core tasks are thin, fewest datasets first."""
    rows = [
        {
            "anatomy": r["anatomy"],
            "datasets": r["datasets"],
            "open": r["open"],
            "thin tasks": ", ".join(f"{t} {n}" for t, n in r["thin_tasks"].items()),
        }
        for r in gaps["anatomies"]
        if r["datasets"] > 0 and r["thin_tasks"]
    ]
    rows.sort(key=lambda r: (r["datasets"], r["anatomy"]))
    return rows


def gaps_markdown(gaps: dict[str, Any]) -> str:
    out = [f"Coverage of {gaps['datasets']} public datasets (collections not counted).", ""]
    for facet, rows in gaps["coverage"].items():
        out += [f"### {facet}", "", md_table(rows, ["value", "datasets", "open"]), ""]
    out += ["### Gaps", ""]
    out += [md_escape(n) for n in gaps["notes"]] + [""]
    rows = thin_task_rows(gaps)
    out += [
        f"Anatomies and their core tasks with fewer than {gaps['few']} public datasets:",
        "",
        md_table(rows, ["anatomy", "datasets", "open", "thin tasks"]),
        "",
    ]
    if gaps["no_public_dataset"]:
        out += ["No public dataset: " + md_escape(", ".join(gaps["no_public_dataset"])), ""]
    return "\n".join(out)


def read_paper_map(root: Path) -> list[str]:
    """Entry ids mapped from the reference paper's 72 datasets (``coverage/paper-72-map.csv``; [] when absent)."""
    import csv

    path = Path(root) / "coverage" / "paper-72-map.csv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return [row["entry_id"].strip() for row in csv.DictReader(handle) if (row.get("entry_id") or "").strip()]
    except (OSError, KeyError, UnicodeDecodeError):
        return []


def distribution(rows: list[dict[str, Any]], gate_ids: set[str], paper_ids: list[str] | None = None) -> dict[str, Any]:
    """Tier counts per kind, on the paper mapping, and how many tiers a gate (not the points) decided.

    ``rows`` are summary rows (``summary_row`` or the index's score table); ``gate_ids`` the rubrics' gate ids."""
    from .tiers import TIERS

    def counts(selected: list[dict[str, Any]]) -> dict[str, int]:
        found = {t: 0 for t in reversed(TIERS)}
        for r in selected:
            found[r["tier"]] += 1
        return found

    by_id = {r["id"]: r for r in rows}
    out: dict[str, Any] = {kind: counts([r for r in rows if r["kind"] == kind]) for kind in ("dataset", "model")}
    if paper_ids:
        mapped = [by_id[i] for i in dict.fromkeys(paper_ids) if i in by_id]
        out["paper-72"] = counts(mapped)
    out["limited_by_gate"] = sum(1 for r in rows if r.get("limited_by") in gate_ids)
    out["limited_by"] = {}
    for r in rows:
        if r.get("limited_by"):
            out["limited_by"][r["limited_by"]] = out["limited_by"].get(r["limited_by"], 0) + 1
    return out


def distribution_lines(dist: dict[str, Any]) -> list[str]:
    """The distribution as plain lines: per group, each tier's count and share, highest tier first."""
    lines = []
    paper = "datasets mapped from the reference paper's 72"
    groups = (("dataset", "datasets"), ("model", "models"), ("paper-72", paper))
    for key, label in groups:
        found = dist.get(key)
        if not found:
            continue
        total = sum(found.values())
        if not total:
            continue
        parts = ", ".join(f"{t} {n} ({100 * n / total:.0f}%)" for t, n in found.items() if n)
        lines.append(f"Tiers of {total} {label}: {parts}")
    limited = ", ".join(f"{k} {v}" for k, v in sorted(dist["limited_by"].items(), key=lambda kv: (-kv[1], kv[0])))
    lines.append(f"Tier limited by a gate: {dist['limited_by_gate']} entries" + (f" ({limited})" if limited else ""))
    return lines
