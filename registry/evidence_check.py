"""Stated facts that no evidence item backs: every fact an entry states should name a source in ``evidence``.

A fact is a top-level field with a value; it is backed when an evidence item lists it (or one of its sub-fields, or
``*``) in ``fields``. Prose (description, notes), names, links and sources are not facts that need a citation of
their own: they are the citations, or the entry's own words.
"""

from __future__ import annotations

from pathlib import Path

from .catalog import Catalog
from .errors import Finding, relative
from .schema import Dataset, Model

NOT_FACTS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "description",
        "notes",
        "kind",
        "evidence",
        "relations",
        "loader",
        "adapter",
        "tags",
        "sources",
        "publications",
        "links",
        "applications",
        "homepage",
    }
)


def unbacked_fields(entry: Dataset | Model) -> list[str]:
    """Top-level fields with a stated value that no evidence item names."""
    backed: set[str] = set()
    for item in entry.evidence:
        for path in item.fields:
            if path.strip() == "*":
                return []
            backed.add(path.split(".")[0].split("[")[0].strip())
    stated = entry.model_dump(exclude_none=True, exclude_defaults=True)
    return [name for name in stated if name not in NOT_FACTS and name not in backed]


def evidence_findings(catalog: Catalog, targets: set[Path] | None = None) -> list[Finding]:
    """A warning per entry (of ``targets``, or all) naming its unbacked facts, at the first one's line."""
    findings = []
    for items in (catalog.datasets, catalog.models):
        for entry in items.values():
            path = catalog.files[entry.id]
            if targets is not None and path.resolve() not in targets:
                continue
            missing = unbacked_fields(entry)
            if not missing:
                continue
            line, column = catalog.document(entry.id).position((missing[0],))
            findings.append(
                Finding(
                    file=relative(path, catalog.root),
                    line=line,
                    column=column,
                    field=", ".join(missing),
                    message=f"stated without evidence: {', '.join(missing)}",
                    hint="add the field names to the `fields` of the evidence item whose URL states them, or add an "
                    "evidence item; leave a fact empty when no source states it",
                    severity="warning",
                    entry=entry.id,
                )
            )
    return findings
