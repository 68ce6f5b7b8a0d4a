"""The site in a real browser (Debian's chromium driven by Playwright), served on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "#usreg-datasets tbody tr:not([hidden]) td:first-child a",
        "els => els.map(a => a.getAttribute('href').replace('.html', ''))",
    )


def test_filter_by_anatomy_and_task(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg", "hostile", "thyroid-seg"]
    page.select_option("#filter-anatomy", "breast")
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg"]
    page.select_option("#filter-task", "segmentation")
    assert visible_ids(page) == ["breast-seg"]
    assert "anatomy=breast" in page.url and "task=segmentation" in page.url
    shot(page, "datasets-filtered")
    page.goto(page.url)  # a shared URL restores the same view
    assert visible_ids(page) == ["breast-seg"]


def test_sort_by_year(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    page.click("th[data-sort=year]")
    page.click("th[data-sort=year]")
    assert visible_ids(page)[:3] == ["breast-cls", "breast-seg", "thyroid-seg"]
    assert "sort=year" in page.url and "dir=desc" in page.url


def test_search_alias_open_page_and_follow_model(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    page.fill("#filter-q", "bls-2020")
    assert visible_ids(page) == ["breast-seg"]
    page.click("#usreg-datasets tbody tr:not([hidden]) a")
    page.wait_for_url("**/datasets/breast-seg.html")
    assert page.inner_text("#fetch-cmd") == "usreg fetch breast-seg"
    jsonld = json.loads(
        page.inner_text('script[type="application/ld+json"]')
        or page.eval_on_selector('script[type="application/ld+json"]', "e => e.textContent")
    )
    assert jsonld["@type"] == "Dataset" and jsonld["name"] == "Breast Lesion Segmentation"
    shot(page, "dataset-page")
    page.click('a[href="../models/seg-model.html"]')
    page.wait_for_url("**/models/seg-model.html")
    assert "Segmentation Model" in page.inner_text("h1")
    shot(page, "model-page")


def test_models_table_filters(page, site_url):
    page.goto(f"{site_url}/models/index.html?task=segmentation")
    rows = page.eval_on_selector_all("#usreg-models tbody tr:not([hidden])", "els => els.length")
    assert rows == 1


def test_hostile_entry_does_not_execute(page, site_url):
    page.goto(f"{site_url}/datasets/hostile.html")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.eval_on_selector_all("a[href^='javascript:' i]", "els => els.length") == 0
    assert "<script>window.__pwned" in page.inner_text("article")
    page.goto(f"{site_url}/datasets/index.html")
    page.hover("text=Evil")
    assert page.evaluate("window.__pwned") is None
    shot(page, "hostile-entry")


def test_home_page_counts_and_charts(page, site_url):
    page.goto(f"{site_url}/index.html")
    assert page.inner_text("#count-datasets") == "4"
    assert page.eval_on_selector_all("figure.usreg-chart img", "els => els.every(i => i.naturalWidth > 0)")
    shot(page, "home")
