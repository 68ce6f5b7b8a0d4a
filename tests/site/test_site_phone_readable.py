"""Phone-width readability of what entry and leaderboard pages show (Debian's chromium driven by Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def phone(site_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport=PHONE)
        yield context.new_page()
        browser.close()


def test_leaderboard_run_dates_stay_on_one_line(phone, site_url, built_site: Path) -> None:
    """The Run column's date was broken inside its digits ('202' / '6-' / '12-' / '06') at 390 px."""
    boards = [p for p in (built_site / "leaderboards").glob("*.html") if p.name != "index.html"]
    assert boards
    phone.goto(f"{site_url}/leaderboards/{boards[0].name}")
    lines = phone.eval_on_selector_all(
        "table.usreg-leaderboard tbody td:last-child a",
        "els => els.map(a => [a.textContent, Array.from(a.getClientRects()).length])",
    )
    assert lines and all(text[:4].isdigit() for text, _ in lines), lines
    assert all(count == 1 for _, count in lines), lines
    width = phone.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width  # the table scrolls in its box, never the page
