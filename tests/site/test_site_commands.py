"""`usreg site build`, `usreg site serve` and `usreg up`: where the site goes, what it is built from, busy ports,
site_url, and two builds into one directory."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.conftest import CatalogBuilder, minimal_dataset

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_catalog(tmp_path: Path) -> CatalogBuilder:
    builder = CatalogBuilder(tmp_path / "catalog")
    shutil.copytree(REPO / "site", builder.root / "site")
    builder.dataset(
        minimal_dataset(
            "breast-seg",
            version="1",
            license="CC-BY-4.0",
            counts={"images": 20},
            sources=[{"kind": "zenodo", "id": "123456", "url": "https://zenodo.org/records/123456"}],
        )
    )
    return builder


@pytest.fixture
def busy_port():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_build_out_puts_index_html_in_the_directory(run_cli, small_catalog, tmp_path):
    out = tmp_path / "_site"
    result = run_cli("site", "build", "--out", out, root=small_catalog.root)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file() and (out / "datasets" / "breast-seg.html").is_file()
    assert not (out / "site").exists() and not (out / "docs").exists()
    assert not (out / "sitemap.xml").exists()  # no site_url: no sitemap of relative addresses
    assert 'rel="canonical"' not in (out / "index.html").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary dirs left
    # a second build replaces the first
    result = run_cli("site", "build", "--out", out, root=small_catalog.root)
    assert result.exit_code == 0 and (out / "index.html").is_file()


def test_build_never_replaces_a_directory_it_did_not_make(run_cli, small_catalog, tmp_path):
    out = tmp_path / "my-documents"
    out.mkdir()
    (out / "thesis.tex").write_text("precious", encoding="utf-8")
    result = run_cli("site", "build", "--out", out, root=small_catalog.root)
    assert result.exit_code == 2
    assert "not made by `usreg site build`" in result.output
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_site_url_fills_the_sitemap_and_canonical_links(run_cli, small_catalog, tmp_path):
    out = tmp_path / "public"
    result = run_cli("site", "build", "--out", out, "--site-url", "https://usreg.example.org/", root=small_catalog.root)
    assert result.exit_code == 0, result.output
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://usreg.example.org/datasets/breast-seg.html</loc>" in sitemap
    page = (out / "datasets" / "breast-seg.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://usreg.example.org/datasets/breast-seg.html">' in page
    bad = run_cli("site", "build", "--out", out, "--site-url", "javascript:alert(1)", root=small_catalog.root)
    assert bad.exit_code == 2 and "site_url" in bad.output


def test_serve_a_missing_site_is_a_clear_error(run_cli, small_catalog, tmp_path):
    result = run_cli("site", "serve", tmp_path / "nothing", root=small_catalog.root)
    assert result.exit_code == 2
    assert "index.html is missing" in result.output and "usreg site build" in result.output


def test_serve_on_a_busy_port_names_the_option(run_cli, small_catalog, tmp_path, busy_port):
    out = tmp_path / "_site"
    assert run_cli("site", "build", "--out", out, root=small_catalog.root).exit_code == 0
    result = run_cli("site", "serve", out, "--port", busy_port, root=small_catalog.root)
    assert result.exit_code == 2
    assert f"port {busy_port}" in result.output and "--port" in result.output
    assert "Traceback" not in result.output


def test_up_on_a_busy_port_fails_before_the_work(run_cli, small_catalog, tmp_path, busy_port):
    out = tmp_path / "_site"
    result = run_cli("up", "--out", out, "--port", busy_port, root=small_catalog.root)
    assert result.exit_code == 2
    assert "--port" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_site_scores_ignore_the_builders_local_data_checks(small_catalog, usreg_home, tmp_path):
    """Data checks in the local cache (a fetch on this machine) change `usreg score`, never the published site."""
    from registry.catalog import load_catalog
    from registry.sitegen.build import build_site
    from scorers.batch import score_rows
    from scorers.committed import committed_scores

    catalog = load_catalog(small_catalog.root)
    before = committed_scores(catalog)["breast-seg"]["points"]
    folder = usreg_home / "datasets" / "breast-seg" / "1"
    folder.mkdir(parents=True)
    checks = ["loader_runs", "counts_match", "sizes_agree", "mask_values_in_class_map", "subject_leakage"]
    (folder / "checks.json").write_text(
        json.dumps(
            {
                "schema": "usreg-checks/1",
                "dataset": "breast-seg",
                "created": "2026-01-01T00:00:00",
                "checks": [{"name": n, "status": "pass", "summary": "ok"} for n in checks],
            }
        ),
        encoding="utf-8",
    )
    local = json.loads(score_rows(load_catalog(small_catalog.root))[0]["data"])["points"]
    assert local > before  # the local file does raise the local score ...
    out = build_site(small_catalog.root, tmp_path / "_site", scores=committed_scores(load_catalog(small_catalog.root)))
    page = (out / "datasets" / "breast-seg.html").read_text(encoding="utf-8")
    assert f"{before:.1f} points" in page and f"{local:.1f} points" not in page  # ... but not the site's


def test_two_builds_into_one_directory_leave_one_complete_site(small_catalog, tmp_path):
    """Each build works in its own temporary directory and swaps the finished site in under a lock."""
    from concurrent.futures import ThreadPoolExecutor

    from registry.catalog import load_catalog
    from registry.sitegen.build import build_site

    catalog = load_catalog(small_catalog.root)
    out = tmp_path / "_site"
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda _: build_site(small_catalog.root, out, catalog, run_mkdocs=False), range(4)))
    assert done == [out] * 4
    assert (out / "index.html").is_file() and (out / "datasets" / "breast-seg.html").is_file()
    assert (out / "search.json").is_file() and (out / ".usreg-site").is_file()
    assert not (out / "site").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_build_dir_of_an_earlier_usreg_is_replaced(small_catalog, tmp_path):
    from registry.catalog import load_catalog
    from registry.sitegen.build import build_site

    out = tmp_path / "site-build"
    (out / "site").mkdir(parents=True)
    (out / "mkdocs.yml").write_text("# Generated by `usreg site build` from site/mkdocs.yml; do not edit.\n")
    build_site(small_catalog.root, out, load_catalog(small_catalog.root), run_mkdocs=False)
    assert (out / "index.html").is_file() and not (out / "mkdocs.yml").exists()


def test_serve_serves_the_directory_that_was_built(run_cli, small_catalog, tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    out = tmp_path / "_site"
    assert run_cli("site", "build", "--out", out, root=small_catalog.root).exit_code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    usreg = str(Path(sys.executable).with_name("usreg"))
    server = subprocess.Popen(
        [usreg, "--root", str(small_catalog.root), "site", "serve", str(out), "--port", str(port)],
        env={**os.environ, "NO_COLOR": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        for _ in range(100):  # bounded: up to 20 s for the server to start
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
                    body = response.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.2)
        assert body == (out / "index.html").read_text(encoding="utf-8")
    finally:
        server.terminate()
        server.wait(timeout=10)
