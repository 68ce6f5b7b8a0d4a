"""Every value an entry states is shown on its site page and by `usreg show`, whatever field it sits in.

The check walks every leaf of every catalog entry (evidence quotes, source files and checksums, publication pages,
metric notes and units, converter options, changelog ...) and looks for it in the page's text and in the terminal
rendering, so a field added to the schema and filled in an entry cannot stay invisible.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from registry.catalog import load_catalog
from registry.schema import Dataset
from registry.show import render_entry
from registry.sitegen.context import SiteContext
from registry.sitegen.entry_pages import dataset_page, model_page

REPO = Path(__file__).resolve().parents[2]


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    elif value not in (None, "", [], {}) and not isinstance(value, bool):  # a flag is shown by its field name
        yield path, value


def _forms(value: Any) -> list[str]:
    """How a value may be written: as is, and numbers also with thousands separators or without a trailing .0."""
    forms = [str(value)]
    if isinstance(value, int | float):
        forms += [f"{value:,}", f"{value:g}"]
    return [re.sub(r"\s+", " ", f).strip() for f in forms]


def _text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup) + " " + markup))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(REPO)


def test_every_stated_value_is_on_the_page_and_in_show(catalog) -> None:
    ctx = SiteContext(catalog=catalog)
    missing: list[str] = []
    entries = [*catalog.datasets.values(), *catalog.models.values()]
    assert len(entries) > 100
    for entry in entries:
        page = dataset_page(ctx, entry) if isinstance(entry, Dataset) else model_page(ctx, entry)
        on_page = _text(page.html)
        buffer = io.StringIO()
        render_entry(Console(file=buffer, width=100_000, color_system=None), entry, catalog, None, [])
        in_show = re.sub(r"\s+", " ", buffer.getvalue())
        for path, value in _leaves(entry.model_dump(mode="json", exclude_none=True)):
            forms = _forms(value)
            if not any(f in on_page for f in forms):
                missing.append(f"{entry.id} {path}: not on the site page")
            if not any(f in in_show for f in forms):
                missing.append(f"{entry.id} {path}: not in usreg show")
    assert not missing, f"{len(missing)} stated values are not shown, e.g.:\n" + "\n".join(missing[:40])


def test_fact_evidence_links_carry_their_number_in_the_evidence_list(tmp_path: Path) -> None:
    """A fact's [n] is the number of its evidence item in the page's Evidence list, where the quote is shown."""
    from tests.conftest import CatalogBuilder, minimal_dataset

    a, b, c = (f"https://example.org/{x}" for x in "abc")
    CatalogBuilder(tmp_path).dataset(
        minimal_dataset(
            "numbered",
            license="CC-BY-4.0",
            counts={"images": 12},
            evidence=[
                {"url": a, "fields": ["license"]},
                {"url": b, "fields": ["counts.images"], "quote": "twelve images", "accessed": "2026-01-02"},
                {"url": c, "fields": ["counts.images", "license"]},
            ],
        )
    )
    catalog = load_catalog(tmp_path)
    page = dataset_page(SiteContext(catalog=catalog), catalog.datasets["numbered"]).html

    rows = dict(re.findall(r"<tr><th>(.*?)</th><td>.*?</td><td>(.*?)</td></tr>", page))
    labels = {
        field.replace("<wbr>", ""): re.findall(r'href="([^"]+)"[^>]*>\[(\d+)\]', html.unescape(cell))
        for field, cell in rows.items()
    }
    assert labels["counts.images"] == [(b, "2"), (c, "3")]
    assert labels["license"] == [(a, "1"), (c, "3")]
    second = re.search(r"<li id='evidence-2'>(.*?)</li>", page, flags=re.S)
    assert second and b in second.group(1) and "twelve images" in second.group(1) and "2026-01-02" in second.group(1)


def test_flags_read_as_yes_and_no(tmp_path: Path) -> None:
    from registry.sitegen.facts import fact_rows
    from tests.conftest import CatalogBuilder, minimal_model

    CatalogBuilder(tmp_path).model(
        minimal_model("flags", reproducibility={"train_script": True, "eval_script": False}, regulatory_status="none")
    )
    rows = {path: value for path, value, _ in fact_rows(load_catalog(tmp_path).models["flags"])}
    assert rows["reproducibility.train_script"] == "yes"
    assert rows["reproducibility.eval_script"] == "no"
    assert rows["regulatory_status"] == "none"
