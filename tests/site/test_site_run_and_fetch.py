"""Entry pages and tables say what usreg does with an entry: the fetch command to copy (with --from-file for a dataset
downloaded by hand), whether `usreg bench` runs a model (the verdict `usreg show` prints) and how; long licence ids
do not widen the tables. Pages are built from a small catalog with the page builders, without mkdocs."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from tests.conftest import minimal_dataset
from tests.fixtures.catalogs import add_plane_models

LONG_LICENCE = "LicenseRef-Kidney-US-Noncommercial-Research"


@pytest.fixture()
def ctx(catalog_root):
    from registry.catalog import load_catalog
    from registry.sitegen.context import SiteContext

    catalog_root.dataset(
        minimal_dataset(
            "by-hand",
            license=LONG_LICENCE,
            license_url="https://example.org/licence",
            sources=[{"kind": "manual", "url": "https://example.org/data", "instructions": "Sign, then download."}],
        )
    )
    catalog_root.dataset(minimal_dataset("hosted", sources=[{"kind": "zenodo", "id": "42", "version": "V3"}]))
    add_plane_models(catalog_root, "plane-net", evaluated_on="hosted")
    catalog = load_catalog(catalog_root.root)
    assert not catalog.errors, catalog.errors
    return SiteContext(catalog=catalog)


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_copied_fetch_command_of_a_manual_dataset_has_from_file(ctx):
    from registry.sitegen.entry_pages import dataset_page

    manual = dataset_page(ctx, ctx.catalog.datasets["by-hand"]).html
    hosted = dataset_page(ctx, ctx.catalog.datasets["hosted"]).html
    assert '<code id="fetch-cmd">usreg fetch by-hand --from-file PATH</code>' in manual
    assert '<code id="fetch-cmd">usreg fetch hosted</code>' in hosted


def test_a_source_version_is_shown_once(ctx):
    from registry.sitegen.entry_pages import dataset_page

    page = _text(dataset_page(ctx, ctx.catalog.datasets["hosted"]).html)
    assert "zenodo 42 V3" in page and "vV3" not in page


def test_model_pages_say_whether_usreg_bench_runs_the_model(ctx):
    from registry.sitegen.entry_pages import model_page

    runs = model_page(ctx, ctx.catalog.models["plane-net"]).html
    bare = model_page(ctx, ctx.catalog.models["bare-net"]).html
    assert "<h2 id='run'>Run it with usreg bench</h2>" in runs and "<h2 id='run'>" in bare
    assert '<code id="run-cmd">usreg bench hosted --model plane-net</code>' in runs
    assert "runs this model with the torch-state-dict adapter (architecture fpus23-resnet8" in _text(runs)
    assert "Fetch the dataset first: usreg fetch hosted" in _text(runs)
    assert "cannot run this model yet: pytorch-checkpoint weights and no adapter naming" in _text(bare)
    assert 'id="run-cmd"' not in bare


def test_the_model_table_has_a_usreg_bench_column_and_filter(ctx):
    from registry.sitegen.listing import model_table

    page = model_table(ctx).html
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<tr [^>]*><td class="usreg-name"[^>]*><a href="([^"]+)\.html', page)
    }
    assert set(rows) == {"plane-net", "bare-net"}
    assert 'data-bench="runs it"' in rows["plane-net"] and 'data-bench="not yet"' in rows["bare-net"]
    assert 'data-sort="bench"' in page and 'data-filter="bench"' in page
    cell = re.search(r'<td class="usreg-bench" data-value="1" title="([^"]+)">runs it</td>', page)
    assert cell and "adapter torch-state-dict" in html_lib.unescape(cell.group(1))


def test_a_long_licence_id_may_break_after_its_hyphens_and_a_short_one_never(ctx):
    from registry.sitegen.listing import _licence_cell, dataset_table

    table = dataset_table(ctx).html
    assert "LicenseRef-<wbr>Kidney-<wbr>US-<wbr>Noncommercial-<wbr>Research" in table
    short = _licence_cell("CC-BY-NC-SA-4.0")
    assert "<wbr>" not in short and 'class="usreg-w"' in short


def test_a_fact_field_path_may_break_after_its_dots_and_underscores_only():
    from registry.sitegen.entry_pages import field_name

    shown = field_name("reproducibility.train_script")
    assert [html_lib.unescape(part) for part in shown.split("<wbr>")] == ["reproducibility.", "train_", "script"]
    assert field_name("<b>.x") == "&lt;b&gt;.<wbr>x"


def test_model_pages_name_each_weights_file_and_its_hub_commit(ctx):
    from registry.sitegen.entry_pages import model_page

    page = _text(model_page(ctx, ctx.catalog.models["plane-net"]).html)
    assert "safetensors weights/plane8.safetensors from huggingface fpus-lab/plane-classifier" in page
    assert f"at commit {'d' * 12}" in page
