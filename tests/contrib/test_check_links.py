"""`usreg check-links` classifies answers correctly against a local server and writes dated evidence."""

from __future__ import annotations

import json

from tests.conftest import minimal_dataset
from tests.fixtures.server import Response


def test_link_classification(catalog_root, run_cli, host_server):
    s = host_server
    ok = s.add_route("/ok", lambda r: Response(200, {"Content-Type": "text/html"}, b"hello"))
    moved = s.add_route("/old", lambda r: Response.redirect(s.url_for("/new-home"), status=301))
    s.add_route("/new-home", lambda r: Response(200, {}, b"new"))
    temp = s.add_route("/temp", lambda r: Response.redirect(s.url_for("/ok"), status=302))
    gone = s.add_route("/gone", lambda r: Response(404, {}, b"not found"))
    login = s.add_route("/private", lambda r: Response(403, {}, b"forbidden"))
    to_login = s.add_route("/members", lambda r: Response.redirect(s.url_for("/accounts/login?next=x"), 302))
    limited = s.add_route("/busy", lambda r: Response(200, {}, b"eventually"))
    s.fail("/busy", 429, times=5, retry_after=0)
    retried = s.add_route("/retry", lambda r: Response(200, {}, b"fine"))
    s.fail("/retry", 429, times=1, retry_after=1)
    slow = s.add_route("/slow", lambda r: Response(200, {}, b"late"))
    s.stall("/slow", 3.0, times=5)
    head_refused = s.add_route("/nohead", lambda r: Response(405 if r.method == "HEAD" else 200, {}, b"get only"))
    urls = [ok, moved, temp, gone, login, to_login, limited, retried, slow, head_refused]
    catalog_root.dataset(
        minimal_dataset(
            "links",
            links={"homepage": ok, "code": moved, "paper": gone, "docs": temp, "issues": login},
            evidence=[{"url": u, "fields": ["name"]} for u in (to_login, limited, retried, slow, head_refused)],
        )
    )

    result = run_cli("check-links", "links", "--timeout", "1", "--format", "json", root=catalog_root.root)
    assert result.exit_code == 1  # dead and failing links are findings
    by_url = {r["url"]: r for r in json.loads(result.output)}
    assert set(by_url) == set(urls)
    expect = {
        ok: "alive",
        moved: "moved",
        temp: "alive",
        gone: "dead",
        login: "login",
        to_login: "login",
        limited: "rate-limited",
        retried: "alive",
        slow: "error",
        head_refused: "alive",
    }
    assert {u: by_url[u]["status"] for u in urls} == expect
    assert by_url[moved]["location"].endswith("/new-home")
    assert by_url[gone]["http_status"] == 404 and by_url[limited]["http_status"] == 429
    assert "timed out" in by_url[slow]["detail"]

    evidence = json.loads((catalog_root.root / "verification" / "links.json").read_text())
    assert evidence["entry"] == "links" and evidence["checked"][:4].isdigit()
    assert {link["url"]: link["status"] for link in evidence["links"]} == expect


def test_per_host_limit_is_respected(catalog_root, host_server):
    """With per_host=1 no two requests to the local host overlap."""
    import asyncio
    import threading
    import time

    from registry.contrib.links import LinkChecker

    active, peak, lock = [0], [0], threading.Lock()

    def handler(request):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return Response(200, {}, b"x")

    urls = [host_server.add_route(f"/p{i}", handler) for i in range(6)]
    results = asyncio.run(LinkChecker(per_host=1, timeout=5).check_all(urls))
    assert all(r.status == "alive" for r in results.values())
    assert peak[0] == 1
