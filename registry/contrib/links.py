"""`usreg check-links`: check every URL of the entries, concurrently and politely, and write dated evidence.

Politeness: at most ``per_host`` requests at a time to one host, HEAD first with a GET fallback, a 429 retried once
after its Retry-After (capped), a short timeout and a deadline per request. Each link is classified as alive, moved
(with the new location), dead, login (login required), rate-limited or error (timeouts, server errors).

The HTTP policy (User-Agent, Retry-After parsing, backoff, redaction) is the fetch layer's (``registry/fetch/http.py``),
and the host rules come from the host modules' declarations: a link to a host that declares ``browser_agent`` (it
refuses other clients) is checked with the browser User-Agent, as usreg downloads from it.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ..clock import now_iso
from ..fetch.hosts import Host, declared
from ..fetch.http import BROWSER_USER_AGENT, USER_AGENT, RetryBudget, redact_url, retry_after

LOGIN_MARKERS = ("login", "signin", "sign-in", "sign_in", "auth", "sso", "accounts.google.com")
MAX_RETRY_AFTER = 30.0
#: tries per link when the host answers 429: the first and one retry
RATE_LIMIT_ATTEMPTS = 2


@dataclass
class LinkResult:
    url: str
    status: str
    http_status: int | None = None
    location: str | None = None
    detail: str | None = None


def entry_urls(entry) -> list[str]:
    """Every http(s) URL stated in an entry, plus resolver links for its DOIs, without duplicates."""
    found: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if value.startswith(("http://", "https://")):
                found.append(value)
            elif key in {"doi", "dataset_doi", "archive_doi"} and value.startswith("10."):
                found.append(f"https://doi.org/{value}")

    walk(entry.model_dump(mode="json", exclude_none=True))
    return list(dict.fromkeys(found))


def _looks_like_login(url: str) -> bool:
    lowered = url.lower()
    return any(marker in lowered for marker in LOGIN_MARKERS)


def host_rules() -> list[tuple[str, Host]]:
    """(domain, host declaration) for every domain a registered host declares, longest domain first."""
    rules = [(domain.lower(), host) for _, host in declared() for domain in host.domains]
    return sorted(rules, key=lambda rule: -len(rule[0]))


def rule_for(url: str, rules: list[tuple[str, Host]]) -> Host | None:
    """The declaration of the host a URL belongs to (its domain or a subdomain of it), or None."""
    name = (urlsplit(url).hostname or "").lower()
    return next((host for domain, host in rules if name == domain or name.endswith("." + domain)), None)


class LinkChecker:
    def __init__(self, per_host: int = 2, total: int = 16, timeout: float = 10.0, max_redirects: int = 5) -> None:
        self.per_host = per_host
        self.total = asyncio.Semaphore(total)
        self.hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.per_host))
        self.timeout = timeout
        self.deadline = 3 * timeout  # a whole answer (headers, or a GET's first bytes), however slowly it trickles
        self.max_redirects = max_redirects
        self.rules = host_rules()

    async def check_all(self, urls: list[str]) -> dict[str, LinkResult]:
        async with httpx.AsyncClient(
            follow_redirects=False, timeout=self.timeout, headers={"User-Agent": USER_AGENT}
        ) as client:
            results = await asyncio.gather(*(self._check(client, url) for url in urls))
        return dict(zip(urls, results, strict=True))

    def _headers(self, url: str) -> dict[str, str]:
        host = rule_for(url, self.rules)
        return {"User-Agent": BROWSER_USER_AGENT} if host is not None and host.browser_agent else {}

    async def _request(self, client: httpx.AsyncClient, url: str) -> httpx.Response:
        host = urlsplit(url).netloc
        headers = self._headers(url)
        async with self.total, self.hosts[host], asyncio.timeout(self.deadline):
            response = await client.head(url, headers=headers)
            if response.status_code in (403, 405, 501) or response.status_code >= 500:
                async with client.stream("GET", url, headers=headers) as streamed:
                    return streamed
            return response

    async def _check(self, client: httpx.AsyncClient, url: str) -> LinkResult:
        current, redirects = url, 0
        budget = RetryBudget(RATE_LIMIT_ATTEMPTS, base_delay=1.0, max_wait=MAX_RETRY_AFTER)
        budget.start()
        for _ in range(self.max_redirects + RATE_LIMIT_ATTEMPTS):
            try:
                response = await self._request(client, current)
            except TimeoutError:
                return LinkResult(url, "error", detail=f"timed out: no complete answer within {self.deadline:g} s")
            except httpx.TimeoutException:
                return LinkResult(url, "error", detail=f"timed out after {self.timeout:g} s")
            except httpx.HTTPError as exc:
                return LinkResult(url, "dead", detail=f"connection failed: {type(exc).__name__}")
            code = response.status_code
            if code == 429:
                wait = budget.retry(retry_after(response.headers))
                if wait is not None:
                    budget.start()
                    await asyncio.sleep(wait)
                    continue
                return LinkResult(url, "rate-limited", code, detail="still rate limited after Retry-After")
            if code in (301, 308):
                target = redact_url(urljoin(current, response.headers.get("Location", "")))
                status = "login" if _looks_like_login(target) else "moved"
                return LinkResult(url, status, code, location=target)
            if code in (302, 303, 307):
                target = urljoin(current, response.headers.get("Location", ""))
                if _looks_like_login(target):
                    return LinkResult(url, "login", code, location=redact_url(target))
                if redirects == self.max_redirects:
                    break
                current, redirects = target, redirects + 1
                continue
            if 200 <= code < 300:
                moved = redact_url(current) if current != url else None
                return LinkResult(url, "alive", code, location=moved)
            if code in (401, 403, 407):
                return LinkResult(url, "login", code)
            if code in (404, 410):
                return LinkResult(url, "dead", code)
            return LinkResult(url, "error", code, detail=f"HTTP {code}")
        return LinkResult(url, "error", detail=f"more than {self.max_redirects} redirects")


def check_entries(entries, root: Path, **options) -> dict[str, list[LinkResult]]:
    """Check the links of ``entries`` and write ``verification/<id>.json`` for each; returns results per entry."""
    per_entry = {entry.id: entry_urls(entry) for entry in entries}
    unique = list(dict.fromkeys(u for urls in per_entry.values() for u in urls))
    results = asyncio.run(LinkChecker(**options).check_all(unique)) if unique else {}
    checked = now_iso()
    folder = root / "verification"
    folder.mkdir(exist_ok=True)
    out: dict[str, list[LinkResult]] = {}
    for entry_id, urls in per_entry.items():
        out[entry_id] = [results[u] for u in urls]
        record = {"entry": entry_id, "checked": checked, "links": [asdict(r) for r in out[entry_id]]}
        target = folder / f"{entry_id}.json"
        tmp = target.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.replace(target)
    return out
