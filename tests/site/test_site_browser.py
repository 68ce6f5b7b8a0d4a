"""The site in a real browser (Debian's chromium driven by Playwright), served on 127.0.0.1.

Accessibility is checked with axe-core; its script comes from the axe-playwright-python package (PyPI), which ships
axe.min.js, so nothing is vendored into the repository and no CDN is contacted.
"""

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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


def _page(browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    return context, page


@pytest.fixture
def page(browser):
    context, page = _page(browser, DESKTOP)
    yield page
    context.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1280x800", "390x844"])
def sized_page(browser, request):
    context, page = _page(browser, request.param)
    page.viewport = request.param
    yield page
    context.close()


def shot(page, name: str, full: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(
        "#usreg-datasets tbody tr:not([hidden]) td:first-child a",
        "els => els.map(a => a.getAttribute('href').replace('.html', ''))",
    )


def pick(page, key: str, value: str) -> None:
    """Tick one value of a multi-select filter (opening its list first)."""
    details = page.locator(f'details[data-key="{key}"]')
    if details.get_attribute("open") is None:
        page.click(f"#filter-{key}")
    page.check(f'input[data-filter="{key}"][value="{value}"]')


def test_multi_select_filters_combine_and_live_in_the_url(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg", "hostile", "thyroid-seg"]
    pick(page, "anatomy", "breast")
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg"]
    pick(page, "anatomy", "thyroid")  # a second value of one filter widens (OR) ...
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg", "thyroid-seg"]
    pick(page, "task", "segmentation")  # ... another filter narrows (AND)
    assert sorted(visible_ids(page)) == ["breast-seg", "thyroid-seg"]
    assert "anatomy=breast&anatomy=thyroid" in page.url and "task=segmentation" in page.url
    assert page.inner_text('[data-picked="anatomy"]').strip() == "(2)"
    shot(page, "datasets-filtered")
    page.goto(page.url)  # a shared URL restores the same view
    assert sorted(visible_ids(page)) == ["breast-seg", "thyroid-seg"]


def test_open_licence_filter_and_not_stated(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    pick(page, "license", "any open licence")
    assert visible_ids(page) == ["breast-seg"]  # CC-BY-4.0 is FSF-free; CC-BY-NC-4.0 is neither OSI nor FSF
    page.goto(f"{site_url}/datasets/index.html?license=not+stated")
    assert sorted(visible_ids(page)) == ["breast-cls", "hostile"]
    cells = page.eval_on_selector_all(
        "#usreg-datasets tbody tr:not([hidden]) td:nth-child(6)", "els => els.map(e => e.textContent.trim())"
    )
    assert cells == ["not stated", "not stated"]


def test_sorting_puts_blanks_last_both_ways(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    page.click("th[data-sort=images] button")
    assert visible_ids(page)[:2] == ["thyroid-seg", "breast-seg"]  # 300, 780, then the blanks
    page.click("th[data-sort=images] button")
    assert visible_ids(page)[:2] == ["breast-seg", "thyroid-seg"]  # 780, 300, then the blanks
    assert "sort=images" in page.url and "dir=desc" in page.url
    assert page.get_attribute("th[data-sort=images]", "aria-sort") == "descending"


def test_every_column_header_is_clickable(sized_page, site_url):
    page = sized_page
    page.goto(f"{site_url}/datasets/index.html")
    keys = page.eval_on_selector_all("#usreg-datasets th[data-sort]", "els => els.map(e => e.dataset.sort)")
    assert len(keys) == 10
    for key in keys:
        button = page.locator(f"#usreg-datasets th[data-sort={key}] button")
        button.scroll_into_view_if_needed()
        # the element on top at the header's centre is the header's own button (no sidebar covers it)
        on_top = button.evaluate(
            """b => { const r = b.getBoundingClientRect();
                      const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                      return e === b || b.contains(e); }"""
        )
        assert on_top, key
        button.click()
        assert page.get_attribute(f"#usreg-datasets th[data-sort={key}]", "aria-sort") == "ascending", key


def test_table_fits_the_window_and_names_never_break_inside_a_word(sized_page, site_url):
    page = sized_page
    for path, table in (("datasets/index.html", "usreg-datasets"), ("models/index.html", "usreg-models")):
        page.goto(f"{site_url}/{path}")
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways at {page.viewport}: {widths}"
        broken = page.evaluate(
            """id => {
                const out = [];
                const walker = document.createTreeWalker(document.getElementById(id), NodeFilter.SHOW_TEXT);
                for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                  if (!text.parentElement.closest("td.usreg-name")) continue;
                  const re = /\\S+/g; let m;
                  while ((m = re.exec(text.data)) !== null) {
                    const range = document.createRange();
                    range.setStart(text, m.index); range.setEnd(text, m.index + m[0].length);
                    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
                    if (tops.size > 1) out.push(m[0]);
                  }
                }
                return out;
            }""",
            table,
        )
        assert broken == [], f"words broken across lines in {path}: {broken}"
        label = "desktop" if page.viewport["width"] > 1000 else "phone"
        shot(page, f"{table.split('-')[1]}-table-{label}", full=False)


def test_search_alias_open_page_and_follow_model(page, site_url):
    page.goto(f"{site_url}/datasets/index.html")
    page.fill("#filter-q", "bls-2020")
    assert visible_ids(page) == ["breast-seg"]
    page.click("#usreg-datasets tbody tr:not([hidden]) a")
    page.wait_for_url("**/datasets/breast-seg.html")
    assert page.inner_text("#fetch-cmd") == "usreg fetch breast-seg"
    jsonld = json.loads(page.eval_on_selector('script[type="application/ld+json"]', "e => e.textContent"))
    assert jsonld["@type"] == "Dataset" and jsonld["name"] == "Breast Lesion Segmentation"
    shot(page, "dataset-page")
    page.click('a[href="../models/seg-model.html"]')
    page.wait_for_url("**/models/seg-model.html")
    assert "Segmentation Model" in page.inner_text("h1")
    shot(page, "model-page")


def test_no_copy_command_without_a_source(page, site_url):
    page.goto(f"{site_url}/datasets/thyroid-seg.html")
    assert page.locator("#fetch-cmd").count() == 0
    assert page.locator("button.usreg-copy", has_text="command").count() == 0
    assert "No download source is recorded yet" in page.inner_text("article")
    page.goto(f"{site_url}/datasets/breast-seg.html")
    assert page.locator("button.usreg-copy", has_text="command").count() == 1


def test_site_search_labels_results_and_loads_its_index_on_use(page, site_url):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{site_url}/models/index.html")
    page.wait_for_load_state("load")
    assert not any(u.endswith("search.json") for u in requests)  # not loaded until the box is used
    page.fill("#usreg-site-q", "breast")
    page.wait_for_selector("#usreg-site-results li")
    kinds = page.eval_on_selector_all("#usreg-site-results .usreg-kind", "els => els.map(e => e.textContent)")
    names = page.eval_on_selector_all("#usreg-site-results strong", "els => els.map(e => e.textContent)")
    assert "Breast Lesion Segmentation" in names and "Segmentation Model" in names
    assert set(kinds) == {"dataset", "model"}
    page.fill("#usreg-site-q", "thyroid nodules")
    page.wait_for_function("document.querySelectorAll('#usreg-site-results li').length === 1")
    page.click("#usreg-site-results a")
    page.wait_for_url("**/datasets/thyroid-seg.html")


def test_leaderboard_ranks_each_metric_in_its_direction(page, site_url):
    page.goto(f"{site_url}/leaderboards/breast-seg-segmentation.html")
    tables = page.eval_on_selector_all(
        "table.usreg-leaderboard",
        """ts => ts.map(t => ({metric: t.dataset.metric, target: t.dataset.target,
              lower: t.dataset.lowerIsBetter,
              models: Array.from(t.tBodies[0].rows).map(r => r.cells[1].textContent.trim())}))""",
    )
    by_key = {(t["metric"], t["target"]): t for t in tables}
    assert set(by_key) == {("dice", "lesion"), ("hd95", "lesion")}  # no duplicate unlabelled "dice" table
    dice, hd95 = by_key[("dice", "lesion")], by_key[("hd95", "lesion")]
    assert dice["lower"] == "false" and hd95["lower"] == "true"
    assert dice["models"] == ["seg-model", "other-model", "all-background (built-in baseline)"]  # descending
    assert hd95["models"] == ["seg-model", "other-model", "all-background (built-in baseline)"]  # ascending
    values = page.eval_on_selector_all(
        'table[data-metric="hd95"] tbody tr td:nth-child(4)', "els => els.map(e => parseFloat(e.dataset.value))"
    )
    assert values == sorted(values)
    assert "lower is better" in page.inner_text("h3#hd95-lesion") and "higher is better" in page.inner_text(
        "h3#dice-lesion"
    )
    # model links resolve; the built-in baseline is not a link; each run's provenance is listed
    assert page.locator('a[href="../models/seg-model.html"]').count() >= 1
    assert page.locator('a[href*="builtin"]').count() == 0
    assert page.locator("table.usreg-provenance tbody tr").count() == 3
    assert "generic-folders 1" in page.inner_text("table.usreg-provenance")
    shot(page, "leaderboard")


def test_hostile_entry_does_not_execute(page, site_url):
    page.goto(f"{site_url}/datasets/hostile.html")
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []
    assert page.eval_on_selector_all("a[href^='javascript:' i]", "els => els.length") == 0
    assert "<script>window.__pwned" in page.inner_text("article")
    page.goto(f"{site_url}/datasets/index.html")
    page.hover("text=Evil")
    page.fill("#usreg-site-q", "evil")
    page.wait_for_selector("#usreg-site-results li")
    assert page.evaluate("window.__pwned") is None
    shot(page, "hostile-entry")


def test_home_page_counts_and_charts(page, site_url):
    page.goto(f"{site_url}/index.html")
    assert page.inner_text("#count-datasets") == "4"
    labels = page.eval_on_selector_all(
        ".usreg-bar-label", "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert labels and min(labels) >= 12  # legible chart labels
    page.click('ul.usreg-bars a[href="datasets/index.html?anatomy=breast"]')
    page.wait_for_url("**/datasets/index.html?anatomy=breast")
    assert sorted(visible_ids(page)) == ["breast-cls", "breast-seg"]
    page.goto(f"{site_url}/index.html")
    shot(page, "home")


AXE_PAGES = [
    "index.html",
    "datasets/index.html",
    "datasets/breast-seg.html",
    "models/seg-model.html",
    "leaderboards/breast-seg-segmentation.html",
    "rubric.html",
]


@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_critical_or_serious_issue(page, site_url, path):
    from axe_playwright_python import sync_playwright as axe_package

    axe_js = Path(axe_package.__file__).with_name("axe.min.js")
    page.goto(f"{site_url}/{path}")
    if path == "datasets/index.html":  # after a sort and with a filter list open, as a user leaves it
        page.click("th[data-sort=year] button")
        page.click("#filter-anatomy")
    if path == "index.html":  # with search results shown
        page.fill("#usreg-site-q", "breast")
        page.wait_for_selector("#usreg-site-results li")
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("critical", "serious")
    ]
    assert not bad, f"{path}: " + "; ".join(bad)


def test_fact_field_names_break_only_after_dots_and_underscores_on_a_phone(browser, site_url):
    """A field path wraps as 'reproducibility.' / 'train_script', never inside a word; the headers stay whole."""
    context, page = _page(browser, PHONE)
    try:
        for path in ("datasets/breast-seg.html", "models/seg-model.html"):
            page.goto(f"{site_url}/{path}")
            broken = page.evaluate(
                """() => {
                    const out = [];
                    for (const th of document.querySelectorAll("table.usreg-facts th")) {
                      const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
                      for (let text = walker.nextNode(); text; text = walker.nextNode()) {
                        const range = document.createRange();
                        range.selectNodeContents(text);
                        const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
                        if (tops.size > 1) out.push(text.data);
                      }
                    }
                    return out;
                }"""
            )
            assert broken == [], f"field names broken inside a word in {path}: {broken}"
    finally:
        context.close()


def test_sorting_never_changes_a_column_width(page, site_url):
    """The sort arrow follows the header's text in its padding, taking no width: no header widens when its column is
    sorted (it pushed the models table's Points column past 1280 px), and the arrow stays inside the header."""
    for path, table in (("models/index.html", "usreg-models"), ("datasets/index.html", "usreg-datasets")):
        page.goto(f"{site_url}/{path}")
        measure = f"""() => [Math.round(document.getElementById('{table}').getBoundingClientRect().width),
            ...Array.from(document.querySelectorAll('#{table} th')).map(t => t.getBoundingClientRect().width)]"""
        at_rest = page.evaluate(measure)
        keys = page.eval_on_selector_all(f"#{table} th[data-sort]", "els => els.map(e => e.dataset.sort)")
        for key in keys:
            for direction in ("ascending", "descending"):
                page.click(f"#{table} th[data-sort={key}] button")
                assert page.get_attribute(f"#{table} th[data-sort={key}]", "aria-sort") == direction
                assert page.evaluate(measure) == at_rest, (path, key, direction)
                arrow = page.evaluate(
                    """sel => { const b = document.querySelector(sel);
                        return [getComputedStyle(b, '::after').content.replace(/[" ]/g, ""),
                                b.scrollWidth - b.clientWidth]; }""",
                    f"#{table} th[data-sort={key}] button",
                )
                # the arrow is shown, after the text, and stays inside the header's box
                assert arrow == ["▲" if direction == "ascending" else "▼", 0], (key, arrow)
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], (path, widths)
        shot(page, f"{table.split('-')[1]}-table-sorted-desktop", full=False)
