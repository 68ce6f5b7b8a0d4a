"""Render one entry for the terminal: facts, sources, citation, score and links. All entry text is escaped."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from .catalog import Catalog
from .citation import entry_bibtex
from .schema import Dataset, Model
from .schema.common import Publication
from .wrapping import wrap_words


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else key))
    elif isinstance(value, list) and value and all(not isinstance(v, dict | list) for v in value):
        rows.append((prefix, ", ".join(str(v) for v in value)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            rows.extend(_flatten(item, f"{prefix}[{i}]"))
    elif value not in (None, "", [], {}):
        rows.append((prefix, str(value)))
    return rows


def print_wrapped(
    out: Console, text: str, indent: str = "", subsequent_indent: str | None = None, style: str | None = None
) -> None:
    """Print plain ``text`` (never read as markup) wrapped between words at the console's width."""
    for line in wrap_words(text, out.width, indent, subsequent_indent):
        out.print(line, style=style, markup=False, highlight=False, soft_wrap=True)


def print_facts(out: Console, rows: list[tuple[str, str]]) -> None:
    """Field names and their values, the values in one column wrapped between words. The name column takes at most
    a quarter of the width (16 at least), so values keep room to read on a narrow terminal: a longer name, or a value
    whose first word (a URL) cannot fit beside the name, gets a line of its own, the value indented below it."""
    if not rows:
        return
    name_width = min(max(len(name) for name, _ in rows), max(16, out.width // 4))
    indent = " " * (name_width + 2)
    for name, value in rows:
        words = value.split()
        own_line = len(name) > name_width or (bool(words) and len(indent) + len(words[0]) > out.width)
        if own_line:
            out.print(Text(name, style="bold"), soft_wrap=True)
            lines = wrap_words(value, out.width, indent)
        else:
            lines = wrap_words(value, out.width, name.ljust(name_width + 2), indent)
        for i, line in enumerate(lines):
            text = Text(line)
            if i == 0 and not own_line:
                text.stylize("bold", 0, len(name))
            out.print(text, soft_wrap=True)


def version_label(version: str | None) -> str:
    """A source version as shown: ``v1.2`` for ``1.2``; a version that names itself (``V3``, ``v2``, ``latest``)
    as it is."""
    if not version:
        return ""
    return f"v{version}" if version[:1].isdigit() else version


def is_manual(entry: Dataset) -> bool:
    """Every source of the dataset needs a person to download it (then ``usreg fetch ID --from-file PATH``)."""
    from .fetch.hosts import MANUAL_KINDS

    return bool(entry.sources) and all(s.kind in MANUAL_KINDS for s in entry.sources)


def run_hint(entry: Model) -> str:
    """The command that runs a model on a dataset, naming a dataset it was evaluated on when the entry lists one."""
    dataset = (entry.evaluated_on or entry.trained_on or ["DATASET"])[0]
    return f"usreg bench {dataset} --model {entry.id}"


def publication_line(pub: Publication) -> str:
    """One publication in a line: role, title, authors, venue with volume, issue and pages, year, identifiers."""
    authors = [a.name or " ".join(x for x in (a.family, a.given) if x) for a in pub.authors]
    if pub.authors_truncated:
        authors.append("et al")
    venue = pub.journal or pub.venue or ""
    for part, fmt in ((pub.volume, " {}"), (pub.issue, "({})"), (pub.pages or pub.article_number, ", {}")):
        venue += fmt.format(part) if part else ""
    ids = [f"doi:{pub.doi}" if pub.doi else "", f"arXiv:{pub.arxiv}" if pub.arxiv else "", pub.url or ""]
    parts = [pub.title or "", ", ".join(authors), venue, pub.publisher or "", str(pub.year or ""), *ids]
    return f"[{pub.role}] " + ". ".join(p for p in parts if p)


def render_entry(
    out: Console, entry: Dataset | Model, catalog: Catalog, score: dict | None, results: list[dict]
) -> None:
    kind = "dataset" if isinstance(entry, Dataset) else "model"
    print_wrapped(out, f"{entry.name}  ({kind} {entry.id})", subsequent_indent="  ", style="bold")
    if score:
        limited = f", limited by {score.get('limited_by')}" if score.get("limited_by") else ""
        print_wrapped(
            out,
            f"tier {score['tier']}, {score['points']:.1f} points, "
            f"{score['verification_level']}, rubric {score['rubric_version']}{limited}",
            subsequent_indent="  ",
        )
    if isinstance(entry, Model):
        from .bench.runnability import runnable

        verdict = runnable(entry)
        print_wrapped(out, f"runnable by usreg bench: {verdict}", subsequent_indent="  ")
        if verdict.ok:
            print_wrapped(out, f"run it: {run_hint(entry)}", subsequent_indent="  ")
    data = entry.model_dump(mode="json", exclude_none=True)
    skip = {"sources", "evidence", "publications", "id", "name"}
    print_facts(out, _flatten({k: v for k, v in data.items() if k not in skip}))
    if isinstance(entry, Dataset) and entry.sources:
        out.print("\n[bold]Sources[/bold]")
        for source in entry.sources:
            ident = f" {escape(source.id)}" if source.id else ""
            version = f" {escape(version_label(source.version))}" if source.version else ""
            url = f"  {escape(source.url)}" if source.url else ""
            tag = f" tag {escape(source.tag)}" if source.tag else ""
            out.print(f"  - {source.kind}{ident}{version}{tag}{url}")
            if source.instructions:
                print_wrapped(out, f"how: {source.instructions}", indent="      ", subsequent_indent="           ")
            for f in source.files:
                sums = " ".join(
                    x for x in (f"md5:{f.md5}" if f.md5 else "", f"sha256:{f.sha256}" if f.sha256 else "") if x
                )
                line = " ".join(str(x) for x in (f.name, f.size, sums, f.url) if x)
                print_wrapped(out, line, indent="      ", subsequent_indent="        ")
        if is_manual(entry):
            print_wrapped(
                out,
                f"fetch: download by hand as above, then: usreg fetch {entry.id} --from-file PATH",
                indent="  ",
                subsequent_indent="    ",
            )
        else:
            out.print(f"  fetch: usreg fetch {entry.id}", markup=False, highlight=False)
    if entry.publications:
        out.print("\n[bold]Publications[/bold]")
        for pub in entry.publications:
            print_wrapped(out, publication_line(pub), indent="  - ", subsequent_indent="    ")
    if entry.evidence:
        out.print("\n[bold]Evidence[/bold]")
        for ev in entry.evidence:
            out.print(f"  - {ev.url}", markup=False, highlight=False, soft_wrap=True)  # whole, for copying
            if ev.fields:
                print_wrapped(out, "for: " + ", ".join(ev.fields), indent="      ", subsequent_indent="           ")
            if ev.accessed:
                print_wrapped(out, f"read: {ev.accessed.isoformat()}", indent="      ")
            if ev.quote:
                print_wrapped(out, f"quote: \u201c{ev.quote}\u201d", indent="      ", subsequent_indent="        ")
    if isinstance(entry, Dataset):
        linked = catalog.models_using(entry.id)
        if linked:
            out.print("\n[bold]Models[/bold]")
            print_wrapped(out, ", ".join(m.id for m in linked), indent="  ")
        collections = catalog.collections_of(entry.id)
        if collections:
            out.print("[bold]In collections[/bold]")
            print_wrapped(out, ", ".join(c.id for c in collections), indent="  ")
    if results:
        out.print("\n[bold]Benchmark results[/bold]")
        for r in results:
            pair = f"{escape(r['model_id'])} on {escape(r['dataset_id'])}"
            out.print(f"  {pair} [{r['split']}] {r['metric']} = {r['value']:.4g}")
    out.print("\n[bold]Citation (BibTeX)[/bold]")
    for line in entry_bibtex(entry).split("\n"):  # BibTeX reads a value broken between words as the same value
        inset = line[: len(line) - len(line.lstrip())]
        print_wrapped(out, line, indent=inset, subsequent_indent=inset + "    ") if line.strip() else out.print()
