"""`usreg site build`: render the catalog pages, run mkdocs-material on them, and swap the result into place.

The pages are finished HTML (escaped at generation); mkdocs gets them through ``hooks.py`` without re-parsing them.
Scores shown on the site come from the committed catalog and the committed verification records
(``<root>/verification/``) only: data checks and reproductions from the builder's local cache never reach it.

Every build works in its own temporary directory next to the target and swaps the finished site in under a lock,
so two builds into one directory each leave a complete site, never a mix of both.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..catalog import Catalog, load_catalog
from ..errors import UsageError, UsregError
from ..settings import settings
from .context import Page, SiteContext, git_additions, load_rubrics
from .entry_pages import dataset_page, model_page
from .html import safe_url
from .leaderboard import leaderboard_pages
from .listing import changelog_page, charts, dataset_table, home_page, model_table, rubric_page
from .search import search_index

log = logging.getLogger(__name__)

MARKER = ".usreg-site"  # written into every built site; a non-empty target without it is never replaced
SITE_URL_ENV = "USREG_SITE_URL"


def site_context(root: Path, catalog: Catalog, scores: dict[str, dict[str, Any]]) -> SiteContext:
    from ..index import read_bench_results

    return SiteContext(
        catalog=catalog,
        scores=scores,
        bench=read_bench_results(root),
        rubrics=load_rubrics(),
        additions=git_additions(root),
    )


def render_pages(root: Path, ctx: SiteContext) -> dict[str, Page]:
    """Every generated page by its path in the docs dir (``.md``)."""
    pages: dict[str, Page] = {}
    chart_files = charts(ctx)
    pages["index.md"] = home_page(ctx, chart_files)
    pages["datasets/index.md"] = dataset_table(ctx)
    pages["models/index.md"] = model_table(ctx)
    for dataset in ctx.catalog.datasets.values():
        pages[f"datasets/{dataset.id}.md"] = dataset_page(ctx, dataset)
    for model in ctx.catalog.models.values():
        pages[f"models/{model.id}.md"] = model_page(ctx, model)
    pages.update(leaderboard_pages(ctx))
    pages["rubric.md"] = rubric_page(ctx)
    pages["changelog.md"] = changelog_page(ctx)
    return pages


SHELL = "usreg-page-shell"  # one page per folder that mkdocs renders; every entry page of the folder is cut from it
SHELL_TITLE = "USREGSHELLTITLE"
SHELL_DESCRIPTION = "USREGSHELLDESCRIPTION"
SHELL_CONTENT = '<h1 data-usreg-shell="content"></h1>'  # an <h1>, so the theme adds no heading of its own
SHELL_FOLDERS = ("datasets", "models", "leaderboards")


def _is_shelled(rel: str) -> bool:
    folder, _, name = rel.partition("/")
    return folder in SHELL_FOLDERS and name != "index.md" and "/" not in name


def write_pages(root: Path, work: Path, ctx: SiteContext) -> tuple[list[Any], dict[str, Page]]:
    """Write the docs (front matter) and the finished HTML into ``work``.

    Returns the navigation and the entry pages, which mkdocs does not render one by one: it renders one shell page
    per folder (same theme, navigation and relative links), and ``fill_shells`` puts each entry page into it.
    """
    docs, html_dir = work / "docs", work / "html"
    (docs / "charts").mkdir(parents=True)
    for name, (svg, _, _) in charts(ctx).items():
        (docs / "charts" / name).write_text(svg, encoding="utf-8")
    pages = render_pages(root, ctx)
    shelled = {rel: page for rel, page in pages.items() if _is_shelled(rel)}
    direct = {rel: page for rel, page in pages.items() if rel not in shelled}
    for folder in sorted({rel.split("/", 1)[0] for rel in shelled}):
        direct[f"{folder}/{SHELL}.md"] = Page(title=SHELL_TITLE, description=SHELL_DESCRIPTION, html=SHELL_CONTENT)
    made: set[Path] = set()
    for rel, page in direct.items():
        for base, text in ((docs, page.front_matter()), (html_dir, page.html)):
            target = base / (rel if base is docs else rel[:-3] + ".html")
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_text(text, encoding="utf-8")
    contributing = root / "CONTRIBUTING.md"
    text = contributing.read_text(encoding="utf-8") if contributing.exists() else "# Contributing\n\nSee the README.\n"
    (docs / "contributing.md").write_text(text, encoding="utf-8")
    nav: list[Any] = [
        {"Home": "index.md"},
        {"Datasets": "datasets/index.md"},
        {"Models": "models/index.md"},
    ]
    if "leaderboards/index.md" in pages:
        nav.append({"Leaderboards": "leaderboards/index.md"})
    nav += [{"Rubric": "rubric.md"}, {"Contributing": "contributing.md"}, {"Changelog": "changelog.md"}]
    return nav, shelled


def fill_shells(site: Path, shelled: dict[str, Page]) -> None:
    """Write every entry page into the rendered shell of its folder, then remove the shells."""
    import html

    by_folder: dict[str, list[tuple[str, Page]]] = {}
    for rel, page in shelled.items():
        by_folder.setdefault(rel.split("/", 1)[0], []).append((rel, page))
    for folder, items in by_folder.items():
        shell_path = site / folder / f"{SHELL}.html"
        shell = shell_path.read_text(encoding="utf-8")
        head, marker, tail = shell.partition(SHELL_CONTENT)
        if not marker:
            raise UsregError(f"the theme dropped the page content of {shell_path}", hint="check site/overrides")
        for rel, page in items:
            name = rel.split("/", 1)[1][:-3] + ".html"
            description = html.escape(" ".join((page.description or "").split())[:300])
            title = html.escape(page.title)

            def fill(part: str, title: str = title, description: str = description, name: str = name) -> str:
                part = part.replace(SHELL_TITLE, title).replace(SHELL_DESCRIPTION, description)
                return part.replace(f"{SHELL}.html", name)

            (site / folder / name).write_text(fill(head) + page.html + fill(tail), encoding="utf-8")
        shell_path.unlink()


def write_sitemap(site: Path, url: str) -> None:
    """sitemap.xml (and .gz) listing every page by its absolute URL."""
    import datetime as dt
    import gzip
    from xml.sax.saxutils import escape as xml_escape

    today = dt.date.today().isoformat()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")
    body = "".join(f"<url><loc>{xml_escape(url + rel)}</loc><lastmod>{today}</lastmod></url>\n" for rel in pages)
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    )
    (site / "sitemap.xml").write_text(text, encoding="utf-8")
    (site / "sitemap.xml.gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def site_sources(root: Path) -> Path:
    folder = root / "site"
    if not (folder / "mkdocs.yml").exists():
        raise UsageError(f"{folder / 'mkdocs.yml'} is missing", hint="run from a usreg checkout, or pass --root")
    return folder


def resolve_site_url(option: str | None, config: dict[str, Any]) -> str | None:
    """The public URL of the site: ``--site-url``, else $USREG_SITE_URL, else ``site_url`` in site/mkdocs.yml."""
    value = option or settings().site_url or config.get("site_url") or None
    if value is None:
        return None
    url = safe_url(str(value))
    if url is None:
        raise UsageError(
            f"site_url {value!r} is not an absolute http(s) URL", hint="e.g. --site-url https://example.org/usreg/"
        )
    if "@" in urlsplit(url).netloc:  # a user name or password would be published in every page and the sitemap
        host = urlsplit(url).netloc.rsplit("@", 1)[1]
        raise UsageError(
            f"site_url holds a user name or password (***@{host}); it would be written into every page's canonical "
            "link and sitemap.xml",
            hint="give the public URL without credentials, e.g. --site-url https://example.org/usreg/",
        )
    return url if url.endswith("/") else url + "/"


def _older_build(out: Path) -> bool:
    """A build dir of an earlier usreg (docs/, site/ and a generated mkdocs.yml, no marker)."""
    config = out / "mkdocs.yml"
    try:
        with open(config, encoding="utf-8") as handle:
            return handle.readline().startswith("# Generated by `usreg site build`")
    except OSError:
        return False


def check_target(out: Path) -> None:
    """Refuse a target that is a file, or a non-empty directory that no usreg build made (it is never replaced)."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory", hint="choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file() and not _older_build(out):
        raise UsageError(
            f"{out} is not empty and was not made by `usreg site build`; it is left untouched",
            hint="choose an empty or new directory for --out",
        )


def build_site(
    root: Path,
    out: Path,
    catalog: Catalog | None = None,
    run_mkdocs: bool = True,
    site_url: str | None = None,
    scores: dict[str, dict[str, Any]] | None = None,
) -> Path:
    """Build the static site so that ``out/index.html`` is its home page; returns ``out``.

    ``scores`` are the published scores by entry id: the command line passes ``scorers.committed_scores(catalog)``
    (the entries and the committed verification records only, never the builder's local cache). Without them the
    pages show no tiers.
    """
    catalog = catalog or load_catalog(root)
    if catalog.errors:
        raise UsregError(f"the catalog has {len(catalog.errors)} validation error(s)", hint="run `usreg validate`")
    sources = site_sources(root)
    config = yaml.safe_load((sources / "mkdocs.yml").read_text(encoding="utf-8")) or {}
    url = resolve_site_url(site_url, config)
    out = Path(os.path.abspath(out))
    check_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ctx = site_context(root, catalog, scores or {})
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.usreg-build-", dir=out.parent))
    try:
        nav, shelled = write_pages(root, work, ctx)
        for folder in ("assets", "overrides"):
            _refuse_links_out(sources / folder, sources)  # copytree copies what a link points to into the site
        shutil.copytree(sources / "assets", work / "docs" / "assets")
        shutil.copytree(sources / "overrides", work / "overrides")
        config.update(
            {
                "docs_dir": "docs",
                "site_dir": "site",
                "nav": nav,
                "plugins": [],  # the catalog's own light search (search.json) replaces mkdocs's full-text index
                "hooks": [str(Path(__file__).with_name("hooks.py"))],
            }
        )
        config.pop("site_url", None)
        if url:
            config["site_url"] = url
        theme = config.setdefault("theme", {})
        theme["custom_dir"] = "overrides"
        (work / "mkdocs.yml").write_text(
            "# Generated by `usreg site build` from site/mkdocs.yml; do not edit.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        site = work / "site"
        if run_mkdocs:
            _run_mkdocs(work)
            fill_shells(site, shelled)
        else:  # the finished pages without the theme (tests, previews)
            shutil.copytree(work / "html", site)
            shutil.copytree(work / "docs" / "assets", site / "assets")
            shutil.copytree(work / "docs" / "charts", site / "charts")
            for rel, page in shelled.items():
                (site / (rel[:-3] + ".html")).parent.mkdir(parents=True, exist_ok=True)
                (site / (rel[:-3] + ".html")).write_text(page.html, encoding="utf-8")
            for folder in SHELL_FOLDERS:
                (site / folder / f"{SHELL}.html").unlink(missing_ok=True)
        (site / "search.json").write_text(
            json.dumps(search_index(ctx), ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        (site / "sitemap.xml").unlink(missing_ok=True)  # mkdocs's lists only the pages it rendered
        (site / "sitemap.xml.gz").unlink(missing_ok=True)
        if url:  # a sitemap needs absolute URLs
            write_sitemap(site, url)
        (site / MARKER).write_text("built by usreg site build\n", encoding="utf-8")
        with _lock(out):
            check_target(out)
            _swap(site, work / "previous", out)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the temporary pages and the previous build, outside the lock
    return out


def _refuse_links_out(folder: Path, sources: Path) -> None:
    """Refuse a symbolic link under ``folder`` that leads outside ``sources``: the site would publish its target."""
    top = sources.resolve()
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(top):  # realpath: no loop error
            raise UsregError(
                f"{path} is a link to {os.readlink(path)}, outside {sources}; the site would publish that file",
                hint="put the file itself in the site folder, or remove the link",
            )


def _run_mkdocs(work: Path) -> None:
    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
    except ImportError as exc:
        raise UsageError("mkdocs-material is not installed", hint='pip install -e ".[site]"') from exc
    logging.getLogger("mkdocs").setLevel(logging.WARNING)
    config = load_config(str(work / "mkdocs.yml"))
    try:
        build(config)
    except Exception as exc:  # mkdocs raises several unrelated types for a failed build
        raise UsregError(f"mkdocs build failed: {exc}", hint=f"inspect the generated pages in {work / 'docs'}") from exc


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """An exclusive lock for swapping ``out`` (held only for the swap; waits for another build's swap)."""
    fd = os.open(out.parent, os.O_RDONLY)  # the parent directory itself is locked: no lock file is left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _swap(new: Path, previous: Path, target: Path) -> None:
    """Put the directory ``new`` at ``target``, moving the build there before it to ``previous`` (renames only)."""
    if target.exists():
        target.rename(previous)
    try:
        new.rename(target)
    except OSError:
        if not target.exists() and previous.exists():
            previous.rename(target)
        raise


def _port_error(exc: OSError, host: str, port: int) -> UsageError:
    if exc.errno == errno.EADDRINUSE:
        return UsageError(
            f"port {port} on {host} is already in use", hint=f"choose another with --port, e.g. --port {port + 1}"
        )
    return UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}", hint="choose another port with --port")


def check_port(port: int, host: str = "127.0.0.1") -> None:
    """Raise a usage error naming ``--port`` when ``host:port`` cannot be bound (checked before a long build)."""
    import socket

    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is out of range", hint="choose a port from 1 to 65535 with --port")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _port_error(exc, host, port) from exc


def serve_site(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the built site until interrupted. A port in use is a usage error that names ``--port``."""
    import functools

    if not (site_dir / "index.html").is_file():
        raise UsageError(
            f"no built site in {site_dir} (index.html is missing)",
            hint=f"run `usreg site build --out {site_dir}` first, or `usreg site serve --build`",
        )
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is out of range", hint="choose a port from 1 to 65535 with --port")
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    try:
        server = _SiteServer((host, port), handler)
    except OSError as exc:
        raise _port_error(exc, host, port) from exc
    with server:
        print(f"serving {site_dir} on http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


class _SiteServer(ThreadingHTTPServer):
    """One thread per connection; a queue deep enough that a burst of connections is not refused for seconds."""

    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the files of the site, and only those: a client that disconnects mid-response is not an error worth a
    traceback, a connection that sends nothing for ``timeout`` seconds is closed, and a path that leads outside the site
    (a symbolic link in it pointing elsewhere) or holds a NUL byte is answered 404, never read."""

    timeout = 30

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle()

    def send_head(self):
        local = self.translate_path(self.path)
        if not _inside(local, self.directory):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()


def _inside(path: str, root: str) -> bool:
    """Whether ``path``, its links resolved, lies in the directory ``root`` (a NUL byte in it: no)."""
    if "\0" in path:
        return False
    real, top = os.path.realpath(path), os.path.realpath(root)
    return real == top or real.startswith(top + os.sep)
