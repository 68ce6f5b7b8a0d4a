"""`usreg check-links`: check every URL of the entries, concurrently and politely, and write dated evidence.

Politeness: at most ``per_host`` requests at a time to one host, HEAD first with a GET fallback, a 429 retried once
after its Retry-After (capped at the request's deadline), a short timeout and a deadline per request. Each link is
classified as alive, moved (with the new location), dead, login (login required), rate-limited or error (timeouts,
server errors, answers that are not HTTP, redirects to a URL that is not http(s)).

Hostile hosts and URLs are bounded: a body is never read (an endless or compressed body costs nothing), redirects stop
after ``max_redirects``, a host that let ``give_up_after`` requests time out without answering any is not asked again
(its other links are recorded as errors, not dead), and a URL httpx cannot request (a port out of range, an invalid
international name, a control character) is an error of that link alone, never of the whole run.

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

from ..atomicfile import replace_with
from ..clock import now_iso
from ..errors import UsageError
from ..fetch.hosts import Host, declared
from ..fetch.http import BROWSER_USER_AGENT, USER_AGENT, RetryBudget, redact_url, retry_after

LOGIN_MARKERS = ("login", "signin", "sign-in", "sign_in", "auth", "sso", "accounts.google.com")
MAX_RETRY_AFTER = 30.0
#: tries per link when the host answers 429: the first and one retry
RATE_LIMIT_ATTEMPTS = 2
#: requests to one host that may time out, with no answer from it at all, before its other links are not tried
GIVE_UP_AFTER = 3


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


def unusable(url: str) -> str | None:
    """Why ``url`` cannot be requested (None when it can): not http(s), no host, a port out of range, or a URL that
    httpx refuses (a control character, an invalid international name, over 65,536 characters)."""
    try:
        parsed = httpx.URL(url)
        scheme, host, port = parsed.scheme, parsed.host, parsed.port  # the host's international name is decoded here
    except (httpx.InvalidURL, ValueError) as exc:  # idna's errors are ValueErrors
        return f"not a usable URL ({exc})"
    if scheme not in ("http", "https"):
        return f"not an http(s) URL ({scheme or 'no scheme'})"
    if not host:
        return "no host in the URL"
    if port is not None and not 0 < port < 65536:
        return f"port {port} is out of range"
    return None


def _redirect_target(current: str, location: str) -> tuple[str, str | None]:
    """(the absolute target of a redirect, why it cannot be followed or None)."""
    try:
        target = urljoin(current, location)
    except ValueError as exc:
        return location, f"the host redirects to an unusable URL ({exc})"
    reason = unusable(target)
    return target, f"the host redirects to a URL that cannot be followed: {reason}" if reason else None


class _HostSilent(Exception):
    """The host let earlier requests time out without answering any: this one is not sent."""


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
    def __init__(
        self,
        per_host: int = 2,
        total: int = 16,
        timeout: float = 10.0,
        max_redirects: int = 5,
        give_up_after: int = GIVE_UP_AFTER,
    ) -> None:
        self.per_host = per_host
        self.total = asyncio.Semaphore(total)
        self.hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self.per_host))
        self.timeout = timeout
        self.deadline = 3 * timeout  # a whole answer (headers, or a GET's first bytes), however slowly it trickles
        self.max_redirects = max_redirects
        self.give_up_after = give_up_after
        self.timeouts: dict[str, int] = defaultdict(int)  # per host: requests that timed out
        self.answered: set[str] = set()  # hosts that answered at least once
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
        # the host's slot first: links waiting for a busy host hold none of the slots other hosts' links need
        async with self.hosts[host], self.total:
            if host not in self.answered and self.timeouts[host] >= self.give_up_after:
                raise _HostSilent(host)
            try:
                async with asyncio.timeout(self.deadline):
                    response = await client.head(url, headers=headers)
                    if response.status_code in (403, 405, 501) or response.status_code >= 500:
                        async with client.stream("GET", url, headers=headers) as streamed:
                            response = streamed
            except (TimeoutError, httpx.TimeoutException):
                self.timeouts[host] += 1
                raise
            self.answered.add(host)
            return response

    async def _check(self, client: httpx.AsyncClient, url: str) -> LinkResult:
        reason = unusable(url)
        if reason:
            return LinkResult(url, "error", detail=reason)
        current, redirects = url, 0
        budget = RetryBudget(RATE_LIMIT_ATTEMPTS, base_delay=1.0, max_wait=min(MAX_RETRY_AFTER, self.deadline))
        budget.start()
        for _ in range(self.max_redirects + RATE_LIMIT_ATTEMPTS):
            try:
                response = await self._request(client, current)
            except _HostSilent as exc:
                detail = f"not checked: {exc} let {self.give_up_after} earlier requests time out without answering"
                return LinkResult(url, "error", detail=detail)
            except TimeoutError:
                return LinkResult(url, "error", detail=f"timed out: no complete answer within {self.deadline:g} s")
            except httpx.TimeoutException:
                return LinkResult(url, "error", detail=f"timed out after {self.timeout:g} s")
            except httpx.ConnectError as exc:
                return LinkResult(url, "dead", detail=f"connection failed: {type(exc).__name__}")
            except httpx.HTTPError as exc:  # the host was reached but its answer is not HTTP or breaks off
                return LinkResult(url, "error", detail=f"the answer is not valid HTTP: {type(exc).__name__}")
            except (httpx.InvalidURL, ValueError) as exc:  # httpx reads a redirect's Location even when not following
                return LinkResult(url, "error", detail=f"the host redirects to a URL that cannot be followed: {exc}")
            code = response.status_code
            if code == 429:
                wait = budget.retry(retry_after(response.headers))
                if wait is not None:
                    budget.start()
                    await asyncio.sleep(wait)
                    continue
                return LinkResult(url, "rate-limited", code, detail="still rate limited after Retry-After")
            if code in (301, 302, 303, 307, 308):
                target, refused = _redirect_target(current, response.headers.get("Location", ""))
                if refused:
                    return LinkResult(url, "error", code, location=redact_url(target), detail=refused)
            if code in (301, 308):
                status = "login" if _looks_like_login(target) else "moved"
                return LinkResult(url, status, code, location=redact_url(target))
            if code in (302, 303, 307):
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
    checker = LinkChecker(**options)
    results = asyncio.run(checker.check_all(unique)) if unique else {}
    if not checker.answered and any(r.status == "dead" for r in results.values()):
        # no host answered and connections failed: our network, not evidence that the links are dead
        raise UsageError(
            f"no host could be reached ({len(unique)} link(s) tried); nothing was recorded",
            hint="check the network connection, DNS or proxy settings (HTTPS_PROXY), then run check-links again",
        )
    checked = now_iso()
    folder = root / "verification"
    folder.mkdir(exist_ok=True)
    out: dict[str, list[LinkResult]] = {}
    for entry_id, urls in per_entry.items():
        out[entry_id] = [results[u] for u in urls]
        record = {"entry": entry_id, "checked": checked, "links": [asdict(r) for r in out[entry_id]]}
        # whole or not at all, through a temporary name of its own: two runs at once each leave a complete record
        replace_with(folder / f"{entry_id}.json", (json.dumps(record, indent=2) + "\n").encode("utf-8"))
    return out
