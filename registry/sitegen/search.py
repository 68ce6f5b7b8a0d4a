"""The site's light search index (``search.json``): names, aliases, descriptions and key facts of each entry.

Score explanations, rubric text and other boilerplate shared by every page are left out, so a word like "ethics"
finds the entries that state something about ethics rather than every page. The browser loads the index only when
the search box is used.
"""

from __future__ import annotations

from typing import Any

from ..schema.types import country_name
from .context import SiteContext

DESCRIPTION_CHARS = 280


def _short(text: str | None) -> str:
    words = " ".join((text or "").split())
    return words if len(words) <= DESCRIPTION_CHARS else words[: DESCRIPTION_CHARS - 1].rsplit(" ", 1)[0] + "…"


def _facts(values: list[Any]) -> str:
    seen: list[str] = []
    for value in values:
        text = str(value).strip() if value not in (None, "") else ""
        if text and text not in seen:
            seen.append(text)
    return " ".join(seen)


def search_index(ctx: SiteContext) -> dict[str, Any]:
    """``{"fields": [...], "docs": [[kind, url, name, aliases, description, facts], ...]}``; urls from the site root."""
    docs: list[list[str]] = []
    for d in ctx.catalog.datasets.values():
        facts = _facts(
            [
                d.id,
                *d.anatomy,
                *d.tasks,
                *d.species,
                *d.applications,
                *d.modality.modes,
                *d.modality.dimensionality,
                *d.annotation.label_types,
                *(country_name(c) for c in d.acquisition.countries),
                *d.acquisition.devices,
                d.license,
                d.access,
                d.year,
                "ethics approval" if d.ethics.approval else None,
            ]
        )
        docs.append(["dataset", f"datasets/{d.id}.html", d.name, " ".join(d.aliases), _short(d.description), facts])
    for m in ctx.catalog.models.values():
        facts = _facts([m.id, m.architecture, *m.tasks, *m.anatomy, *m.trained_on, m.weights_license, m.year])
        docs.append(["model", f"models/{m.id}.html", m.name, " ".join(m.aliases), _short(m.description), facts])
    return {"fields": ["kind", "url", "name", "aliases", "description", "facts"], "docs": docs}
