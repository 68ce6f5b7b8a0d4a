"""Stated facts that no evidence item backs, or that only non-primary pages back.

Every fact an entry states should name a source in ``evidence``, and at least one of its sources must be primary:
the dataset's own page, its host record, its descriptor paper, or the authors' repository. Aggregators, mirrors,
blogs and other catalogs (``NON_PRIMARY_DOMAINS``, ``CATALOG_REPOS``, bare IP addresses) are leads, not evidence.

A fact is a top-level field with a value; it is backed when an evidence item lists it (or one of its sub-fields, or
``*``) in ``fields``. Prose (description, notes), names, links and sources are not facts that need a citation of
their own: they are the citations, or the entry's own words.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from .catalog import Catalog
from .errors import Finding, relative
from .schema import Dataset, Model

NOT_FACTS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "description",
        "notes",
        "kind",
        "evidence",
        "relations",
        "loader",
        "adapter",
        "tags",
        "sources",
        "publications",
        "links",
        "applications",
        "homepage",
    }
)


#: hosts that are not a primary source for a dataset or model fact: aggregators, paper mirrors and summaries, blogs,
#: and GitHub/Git mirrors. A fact may cite them as a secondary link, never as its only evidence. Sub-domains count.
NON_PRIMARY_DOMAINS: dict[str, str] = {
    "xrayinterpreter.com": "aggregator",
    "scholarfeed.org": "aggregator",
    "selectdataset.com": "dataset aggregator",
    "sciencestack.ai": "paper aggregator",
    "researchgate.net": "social network copy",
    "bohrium.dp.tech": "paper aggregator",
    "medium.com": "blog",
    "peeref.com": "paper aggregator",
    "catalyzex.com": "paper aggregator",
    "emergentmind.com": "paper summaries",
    "hyper.ai": "dataset aggregator",
    "researcher.life": "paper aggregator",
    "tomesphere.com": "paper aggregator",
    "ouci.dntb.gov.ua": "citation index copy",
    "booksci.cn": "paper aggregator",
    "paperswithcode2.com": "paper aggregator",
    "communities.springernature.com": "publisher community blog",
    "arxiver.lazybrains.com": "arXiv summaries",
    "arxiv.deeppaper.ai": "arXiv summaries",
    "arxiv-vanity.com": "arXiv re-rendering",
    "en.papernotes.org": "paper notes",
    "api.deepai.org": "paper aggregator",
    "aissential.tech": "blog",
    "expydoc.com": "document copy",
    "xscode.com": "code aggregator",
    "distantreader.org": "text copy",
    "suppr.wilddata.cn": "paper copy",
    "easymed.ai": "aggregator",
    "clearskyscience.com": "blog",
    "radiologykey.com": "textbook copy",
    "wp.zxtsg.top": "blog",
    "searchworks.jioinstitute.edu.in": "library catalogue",
    "lboro-test-vufind.koha-ptfs.co.uk": "library catalogue",
    "explore.openaire.eu": "metadata aggregator",
    "proxy.weglot.com": "translation proxy",
    "academictorrents.com": "third-party mirror",
    "fast.hugflare.com": "Hugging Face mirror",
    "github.hk.mmd.ink": "GitHub mirror",
    "github.kiteyuan.info": "GitHub mirror",
    "github-users.yhajoa.workers.dev": "GitHub mirror",
}

#: other catalogs of ultrasound data: leads to a primary source, not one (GitHub owner/repo, lower case)
CATALOG_REPOS: dict[str, str] = {
    "tiancat/open-medical-ultrasound-datasets": "the TIanCat atlas (another catalog)",
    "nidus-lab/open-source-imaging-data-sets": "the NIDUS list (another catalog)",
    "lionlanlan/haic-ultrasound-medical-datasets": "the HAIC guide (another catalog)",
    "openmedlab/awesome-medical-dataset": "an awesome list (another catalog)",
    "mehrnia/awesome-medical-dataset": "an awesome list (another catalog)",
    "quockhanhluong/ultrasound-dataset": "an awesome list (another catalog)",
    "zekikus/medsegbench": "MedSegBench (another catalog's copy)",
    "tbrokowski/ultatron": "ultatron's adapters (another project's copy)",
    "camma-public/ultrasam": "UltraSam's converters (another project's copy)",
    "constantinpape/torch-em": "torch-em's loaders (another project's copy)",
}


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _norm(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}"


def _repo(url: str) -> str | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in {"github.com", "raw.githubusercontent.com"}:
        return None
    path = [p for p in parts.path.split("/") if p]
    return "/".join(path[:2]).lower() if len(path) >= 2 else None


def non_primary_reason(url: str, own: frozenset[str] = frozenset()) -> str | None:
    """Why ``url`` is not a primary source (an aggregator, a mirror, another catalog, a bare IP), or None.

    ``own`` holds the entry's own hosts and repositories (its homepage, code, sources): a catalog's repository is the
    primary source for the entry that describes that catalog itself.
    """
    host = _host(url)
    repo = _repo(url)
    if (repo and repo in own) or _norm(url) in own:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return "a bare IP address"
    except ValueError:
        pass
    for domain, why in NON_PRIMARY_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return why
    if repo and repo in CATALOG_REPOS:
        return CATALOG_REPOS[repo]
    return None


def own_sources(entry: Dataset | Model) -> frozenset[str]:
    """The entry's own pages: the URLs (host and path) and GitHub repositories of its links, sources, code and
    weights. A page that hosts the data itself (a ResearchGate data item, a torrent tracker the authors chose) is
    the primary record of that data."""
    urls = [u for u in entry.links.model_dump(exclude_none=True).values()]
    for source in getattr(entry, "sources", []) or []:
        urls += [source.url or "", f"https://github.com/{source.id}" if source.kind == "github" and source.id else ""]
    for attr in ("code", "weights"):
        obj = getattr(entry, attr, None)
        for item in obj if isinstance(obj, list) else [obj]:
            url = getattr(item, "url", None)
            if url:
                urls.append(url)
    return frozenset({r for r in (_repo(u) for u in urls if u) if r} | {_norm(u) for u in urls if u})


def non_primary_only(entry: Dataset | Model) -> dict[str, list[str]]:
    """Stated facts (top-level fields) whose every evidence item is a non-primary page, with those URLs."""
    own = own_sources(entry)
    stated = set(entry.model_dump(exclude_none=True, exclude_defaults=True)) - NOT_FACTS
    backing: dict[str, list[tuple[str, bool]]] = {}
    for item in entry.evidence:
        primary = non_primary_reason(item.url, own) is None
        for path in item.fields:
            name = path.strip()
            targets = stated if name == "*" else {name.split(".")[0].split("[")[0].strip()}
            for field in targets:
                backing.setdefault(field, []).append((item.url, primary))
    return {
        field: [url for url, _ in items]
        for field, items in sorted(backing.items())
        if field in stated and not any(primary for _, primary in items)
    }


def unbacked_fields(entry: Dataset | Model) -> list[str]:
    """Top-level fields with a stated value that no evidence item names."""
    backed: set[str] = set()
    for item in entry.evidence:
        for path in item.fields:
            if path.strip() == "*":
                return []
            backed.add(path.split(".")[0].split("[")[0].strip())
    stated = entry.model_dump(exclude_none=True, exclude_defaults=True)
    return [name for name in stated if name not in NOT_FACTS and name not in backed]


#: entries whose facts still rest on another catalog or an aggregator, listed with what they rest on until they are
#: re-sourced (a ratchet: the test suite keeps the list exact, so it can only shrink)
PENDING_FILE = Path("coverage") / "non-primary-pending.csv"


def pending_entries(root: Path) -> set[str]:
    """Entry ids in ``coverage/non-primary-pending.csv`` (empty when the file is absent)."""
    import csv

    path = root / PENDING_FILE
    if not path.is_file():
        return set()
    with path.open(newline="", encoding="utf-8") as f:
        return {row["entry_id"].strip() for row in csv.DictReader(f) if (row.get("entry_id") or "").strip()}


def evidence_findings(catalog: Catalog, targets: set[Path] | None = None) -> list[Finding]:
    """A warning per entry (of ``targets``, or all) naming its unbacked facts, at the first one's line."""
    findings = []
    pending = pending_entries(catalog.root)
    for items in (catalog.datasets, catalog.models):
        for entry in items.values():
            path = catalog.files[entry.id]
            if targets is not None and path.resolve() not in targets:
                continue
            secondary = non_primary_only(entry) if entry.id not in pending else {}
            if secondary:
                fields = sorted(secondary)
                urls = sorted({u for us in secondary.values() for u in us})
                line, column = catalog.document(entry.id).position((fields[0],))
                findings.append(
                    Finding(
                        file=relative(path, catalog.root),
                        line=line,
                        column=column,
                        field=", ".join(fields),
                        message=f"only non-primary evidence for: {', '.join(fields)} "
                        f"({'; '.join(f'{u} is {non_primary_reason(u)}' for u in urls[:3])}"
                        f"{'; ...' if len(urls) > 3 else ''})",
                        hint="cite the primary source (the dataset's page, its host record, the descriptor paper or "
                        "the authors' repository) for these facts, or remove them; aggregators, mirrors and other "
                        "catalogs may stay only as secondary links",
                        severity="warning",
                        entry=entry.id,
                    )
                )
            missing = unbacked_fields(entry)
            if not missing:
                continue
            line, column = catalog.document(entry.id).position((missing[0],))
            findings.append(
                Finding(
                    file=relative(path, catalog.root),
                    line=line,
                    column=column,
                    field=", ".join(missing),
                    message=f"stated without evidence: {', '.join(missing)}",
                    hint="add the field names to the `fields` of the evidence item whose URL states them, or add an "
                    "evidence item; leave a fact empty when no source states it",
                    severity="warning",
                    entry=entry.id,
                )
            )
    return findings
