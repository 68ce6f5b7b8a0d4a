"""The built site: every page exists, internal links resolve, nothing is loaded from outside, text is escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

from registry.sitegen.html import esc, safe_url, script_json


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "src"):
            if attrs.get(name):
                self.refs.append((tag, attrs[name]))
        self._in_jsonld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_jsonld:
            self.scripts.append(data)

    def handle_endtag(self, tag):
        self._in_jsonld = False


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def internal_link_failures(site: Path) -> list[str]:
    failures = []
    for page in site.rglob("*.html"):
        rel = page.relative_to(site).as_posix()
        for tag, ref in parse(page).refs:
            target, _ = urldefrag(ref)
            parts = urlsplit(target)
            if not target or parts.scheme or parts.netloc or target.startswith("mailto:"):
                continue
            resolved = urlsplit(urljoin(f"http://site/{rel}", target)).path.lstrip("/")
            path = site / resolved
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                failures.append(f"{rel}: <{tag}> {ref}")
    return failures


def test_pages_exist(built_site: Path):
    for name in [
        "index.html",
        "datasets/index.html",
        "models/index.html",
        "rubric.html",
        "contributing.html",
        "changelog.html",
        "datasets/breast-seg.html",
        "models/seg-model.html",
        "charts/datasets-by-tier.svg",
    ]:
        assert (built_site / name).exists(), name


def test_every_internal_link_resolves(built_site: Path):
    assert internal_link_failures(built_site) == []


def test_no_external_resources(built_site: Path):
    for page in built_site.rglob("*.html"):
        for tag, ref in parse(page).refs:
            if tag in {"script", "link", "img", "iframe"} and urlsplit(ref).scheme in {"http", "https"}:
                assert tag == "link" and "fonts" not in ref, f"{page}: external {tag} {ref}"
                raise AssertionError(f"{page}: external resource {ref}")


def test_charts_have_title_caption_and_alt(built_site: Path):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    for svg in (built_site / "charts").glob("*.svg"):
        text = svg.read_text(encoding="utf-8")
        assert "<title" in text and "<desc" in text
        assert f'href="charts/{svg.name}" aria-label="' in home
    assert home.count("<figcaption>") == 7


def test_chart_bars_link_to_the_filtered_table_and_tiers_have_their_colours(built_site: Path):
    from registry.sitegen.charts import TIER_COLOURS, contrast

    home = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'href="datasets/index.html?anatomy=breast"' in home
    assert 'href="datasets/index.html?task=segmentation"' in home
    assert 'href="models/index.html?task=segmentation"' in home
    # the tiers form one sequential scale (each lighter than the one above), so the colour says the rank
    order = ["diamond", "platinum", "gold", "silver", "bronze", "steel"]
    assert [contrast(TIER_COLOURS[t], "#000000") for t in order] == sorted(
        contrast(TIER_COLOURS[t], "#000000") for t in order
    )


def test_dataset_page_has_jsonld_fetch_command_and_bibtex(built_site: Path):
    page = built_site / "datasets" / "breast-seg.html"
    parsed = parse(page)
    data = json.loads(parsed.scripts[0])
    assert data["@type"] == "Dataset" and data["name"] == "Breast Lesion Segmentation"
    assert data["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    html = page.read_text(encoding="utf-8")
    assert '<code id="fetch-cmd">usreg fetch breast-seg</code>' in html
    import html as html_lib

    assert "@misc{usreg_breast_seg," in html_lib.unescape(html)
    assert 'href="../models/seg-model.html"' in html
    assert "https://zenodo.org/records/123456" in html


def test_hostile_entry_is_escaped(built_site: Path):
    html = (built_site / "datasets" / "hostile.html").read_text(encoding="utf-8")
    assert "window.__pwned" in html  # the text is shown ...
    assert "<script>window.__pwned" not in html  # ... but never as markup
    assert "onerror=" not in html.replace("onerror=&quot;", "").replace("onerror=&#34;", "") or "<img src=x" not in html
    assert "<img src=x" not in html
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", html, re.I)
    for page in built_site.rglob("*.html"):
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page.read_text(encoding="utf-8"), re.I), page


def test_escaping_helpers():
    assert esc("<script>") == "&lt;script&gt;"
    assert "[" not in esc("[x](javascript:y)")
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://ok.example/a?b=1") == "https://ok.example/a?b=1"
    assert safe_url('https://x.example/"onmouseover=1') is None
    assert "</script>" not in script_json({"a": "</script><script>alert(1)</script>"})


def test_hostile_urls_never_reach_the_site(tmp_path):
    """javascript: links and URLs carrying markup are rejected at validation, before any page is generated."""
    from registry.catalog import load_catalog
    from tests.conftest import CatalogBuilder, minimal_dataset

    builder = CatalogBuilder(tmp_path)
    builder.dataset(minimal_dataset("js-link", links={"homepage": "javascript:alert(1)"}))
    builder.dataset(minimal_dataset("markup-url", links={"paper": 'https://example.org/"><script>alert(1)</script>'}))
    builder.dataset(minimal_dataset("evidence-js", evidence=[{"url": "javascript:alert(1)", "fields": ["name"]}]))
    errors = load_catalog(tmp_path).errors
    assert {e.file for e in errors} == {
        "entries/datasets/js-link.yaml",
        "entries/datasets/markup-url.yaml",
        "entries/datasets/evidence-js.yaml",
    }


def test_pages_say_how_far_usreg_fetch_goes(built_site: Path):
    import html as html_lib

    page = html_lib.unescape((built_site / "datasets" / "breast-seg.html").read_text(encoding="utf-8"))
    assert "usreg fetch downloads and verifies it from the host" in re.sub(r"<[^>]+>", "", page)
    assert "No converter yet" in page
    other = html_lib.unescape((built_site / "datasets" / "thyroid-seg.html").read_text(encoding="utf-8"))
    assert "No download source is recorded yet" in other
    table = (built_site / "datasets" / "index.html").read_text(encoding="utf-8")
    assert 'data-filter="fetch"' in table
    assert 'data-fetch="download"' in table and 'data-fetch="no source"' in table


def test_fetch_support_treats_every_manual_host_kind_as_manual():
    from registry.schema import Dataset
    from registry.sitegen.entry_pages import fetch_note, fetch_support

    def entry(kind: str, loader: bool) -> Dataset:
        data = {
            "id": "x",
            "name": "X",
            "anatomy": ["thyroid"],
            "tasks": ["segmentation"],
            "sources": [{"kind": kind, "id": "x-1", "url": "https://example.org/x"}],
        }
        if loader:
            data["loader"] = {"name": "bus-bra"}
        return Dataset.model_validate(data)

    assert fetch_support(entry("grand-challenge", True)) == "manual + convert"
    assert fetch_support(entry("tcia", False)) == "manual"
    assert fetch_support(entry("http", False)) == "download"
    assert "--from-file PATH" in fetch_note(entry("grand-challenge", True))


def test_search_index_is_light_and_labels_each_result(built_site: Path):
    data = json.loads((built_site / "search.json").read_text(encoding="utf-8"))
    assert data["fields"] == ["kind", "url", "name", "aliases", "description", "facts"]
    docs = {d[1]: d for d in data["docs"]}
    assert set(docs) == {
        "datasets/breast-seg.html",
        "datasets/breast-cls.html",
        "datasets/thyroid-seg.html",
        "datasets/hostile.html",
        "models/seg-model.html",
    }
    assert docs["datasets/breast-seg.html"][0] == "dataset" and docs["models/seg-model.html"][0] == "model"
    assert "BLS-2020" in docs["datasets/breast-seg.html"][3]
    text = json.dumps(data).lower()
    # score explanations and page boilerplate are not indexed: no "ethics" unless an entry states it
    for boilerplate in ("ethics", "why it matters", "points", "rubric", "bibtex"):
        assert boilerplate not in text, boilerplate
    assert not (built_site / "search" / "search_index.json").exists()  # mkdocs's full-text index is not built
