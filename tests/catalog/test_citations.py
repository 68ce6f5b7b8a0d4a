"""Citations: structured authors, and BibTeX that parses with names split for every entry of the real catalog."""

from __future__ import annotations

import re
import shutil
import subprocess

import bibtexparser
import pytest
from bibtexparser.middlewares import SeparateCoAuthors, SplitNameParts
from pydantic import ValidationError

from registry.catalog import Catalog, load_catalog
from registry.citation import _escape, authors_text, entry_bibtex, publication_bibtex
from registry.export import export_catalog
from registry.schema import Dataset
from registry.schema.common import Author, Publication
from tests.conftest import REPO_ROOT

#: a volume, issue or page number folded into a journal name ("Data in Brief 28, 104863", "Nature 580, 252-256")
VOLUME_IN_NAME = re.compile(r"\s\d+\s*(\(\d+\))?\s*([,:]|$)")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO_ROOT)


def parse(text: str):
    return bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), SplitNameParts()])


def test_whole_catalog_bibtex_parses_with_names_split(catalog: Catalog):
    library = parse(export_catalog(catalog, "bibtex"))
    assert not library.failed_blocks, [b.raw[:200] for b in library.failed_blocks]
    records = {e.key: e for e in library.entries}
    entries = [*catalog.datasets.values(), *catalog.models.values()]
    assert len(records) >= len(entries)
    checked = 0
    for entry in entries:
        assert f"usreg_{entry.id}".replace("-", "_") in records, entry.id
        for i, pub in enumerate(entry.publications):
            key = re.sub(r"[^A-Za-z0-9]+", "_", f"usreg_{entry.id}_pub{i + 1}")
            if not pub.title or pub.bibtex:
                continue  # an untitled publication is named in the entry's note (see the test below)
            record = records[key]
            fields = record.fields_dict
            if pub.authors:
                names = fields["author"].value
                expected = len(pub.authors) + (1 if pub.authors_truncated else 0)
                assert len(names) == expected, (entry.id, names)
                assert all(n.last for n in names), (entry.id, names)
                for name, author in zip(names, pub.authors, strict=False):
                    if author.family and author.given:
                        assert name.first, (entry.id, name)  # given names split off, not one long last name
                checked += 1
            if pub.journal:
                assert record.entry_type == "article"
                assert fields["journal"].value == _escape(pub.journal)
                assert not VOLUME_IN_NAME.search(pub.journal), (entry.id, pub.journal)
            if pub.volume:
                assert fields["volume"].value == pub.volume
            if pub.issue:
                assert fields["number"].value == pub.issue
    assert checked >= 120


#: publications still without structured authors, as (entry id, DOI / arXiv id / URL / title): no primary source
#: read so far (publisher, PMC or arXiv page, the paper's first page) gave their author list. Fill ``authors`` from
#: one, then drop the row; a publication not listed here must have authors.
AUTHORS_PENDING = {
    ("bite", "10.1118/1.4709600"),
    ("bratious", "https://www.mdpi.com/2072-6694/17/2/315"),
    ("c-trus", "10.1007/978-3-031-73647-6_10"),
    ("cetus", "10.54294/1xf2id"),
    ("covidx-us", "10.31083/j.fbl2707198"),
    ("deepus-reconseg", "10.1016/j.dib.2025.112083"),
    ("dolphin-r1", "arXiv:2509.25748"),
    ("dolphin-v1", "arXiv:2509.25748"),
    ("fast-u-net", "Fast and Accurate U-Net Model for Medical Image Segmentation"),
    ("fh-ps-aop", "arXiv:2409.10980"),
    ("intrapartum-video-2026", "10.1038/s41597-026-06900-5"),
    ("lung-us-3class-mendeley", "10.1016/j.dib.2025.112034"),
    ("mid-breast", "10.1016/j.patcog.2018.01.032"),
    ("prostate-mri-us-biopsy", "10.1016/j.juro.2012.08.095"),
    ("psfhs", "10.1038/s41597-024-03266-4"),
    ("pu2756", "10.1038/s41597-026-07715-0"),
    ("saudi-nafld", "10.1016/j.dib.2024.111266"),
    ("usenhance-2023", "10.5281/zenodo.7841250"),
}


def _publication_ref(pub: Publication) -> str:
    return pub.doi or (f"arXiv:{pub.arxiv}" if pub.arxiv else None) or pub.url or pub.title or ""


def test_every_publication_has_structured_authors_unless_pending(catalog: Catalog):
    """Every publication of the real catalog names its authors as persons or groups; only the listed ones still wait."""
    missing = {
        (entry.id, _publication_ref(pub))
        for items in (catalog.datasets, catalog.models)
        for entry in items.values()
        for pub in entry.publications
        if not pub.authors
    }
    assert missing <= AUTHORS_PENDING, sorted(missing - AUTHORS_PENDING)
    assert len(AUTHORS_PENDING) <= 18  # only shrinks: fill a publication's authors, then remove its row


def test_authors_pending_names_real_publications(catalog: Catalog):
    known = {
        (entry.id, _publication_ref(pub))
        for items in (catalog.datasets, catalog.models)
        for entry in items.values()
        for pub in entry.publications
    }
    assert known >= AUTHORS_PENDING, sorted(AUTHORS_PENDING - known)


def test_no_publication_keeps_volume_or_pages_in_its_venue(catalog: Catalog):
    bad = [
        (e.id, p.journal or p.venue)
        for items in (catalog.datasets, catalog.models)
        for e in items.values()
        for p in e.publications
        if (p.journal and VOLUME_IN_NAME.search(p.journal)) or (p.venue and re.search(r"pp\.|\d+-\d+$", p.venue))
    ]
    assert not bad


def test_every_author_is_one_person_or_group(catalog: Catalog):
    for items in (catalog.datasets, catalog.models):
        for entry in items.values():
            for pub in entry.publications:
                for author in pub.authors:
                    for part in (author.family, author.given, author.name):
                        assert not part or ("," not in part and " and " not in part), (entry.id, part)


def test_bibtex_names_groups_truncation_and_specials():
    pub = Publication(
        title="Alpha & {Beta}: 100% data_set",
        authors=[
            Author(family="van den Heuvel", given="T.L.A."),
            Author(family="Coelho de Albuquerque Pereira", given="W."),
            Author(name="The CAMUS Consortium"),
        ],
        authors_truncated=True,
        journal="Medical Physics",
        volume="51",
        issue="4",
        pages="3110-3123",
        year=2024,
        doi="10.1000/xyz",
    )
    text = publication_bibtex(pub, "k1")
    library = parse(text)
    assert not library.failed_blocks
    (record,) = library.entries
    names = record.fields_dict["author"].value
    assert [n.last for n in names[:2]] == [["Heuvel"], ["{Coelho de Albuquerque Pereira}"]]
    assert names[0].von == ["van", "den"] and names[0].first == ["T.L.A."]
    assert names[2].last == ["{The CAMUS Consortium}"] and names[3].last == ["others"]
    assert record.fields_dict["journal"].value == "Medical Physics"
    assert record.fields_dict["pages"].value == "3110--3123"
    assert record.fields_dict["title"].value == r"Alpha \& (Beta): 100\% data\_set"
    assert authors_text(pub) == "van den Heuvel T.L.A., Coelho de Albuquerque Pereira W., The CAMUS Consortium, et al."


def test_proceedings_and_article_numbers():
    conf = publication_bibtex(
        Publication(title="A", authors=[Author(family="Doe", given="J.")], venue="MICCAI 2022"), "c"
    )
    assert conf.startswith("@inproceedings{c,") and "booktitle = {MICCAI 2022}" in conf
    art = publication_bibtex(Publication(title="B", journal="Scientific Data", volume="13", article_number="702"), "a")
    assert "eid = {702}" in art and "volume = {13}" in art and "journal = {Scientific Data}" in art


@pytest.mark.parametrize(
    "author",
    [
        {"family": "Doe, J., Roe"},
        {"family": "Doe et al."},
        {"family": "Doe and Roe"},
        {"given": "J."},
        {"family": "Doe", "name": "Group"},
    ],
)
def test_author_items_reject_lists_and_half_names(author):
    with pytest.raises(ValidationError):
        Author(**author)


def test_free_text_author_string_is_rejected():
    with pytest.raises(ValidationError):
        Publication(title="x", authors="Rulloni, V.S., Perez, H.A., Dori, T. et al.")


def test_show_prints_the_same_bibtex(catalog: Catalog, run_cli):
    entry = catalog.datasets["busi"]
    result = run_cli("show", "busi", root=REPO_ROOT)
    assert result.exit_code == 0
    bib = entry_bibtex(entry)
    assert "author = {Al-Dhabyani, W. and Gomaa, M. and Khaled, H. and Fahmy, A.}" in bib
    assert "Al-Dhabyani, W. and Gomaa, M." in result.output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (Debian: apt install biber)")
def test_whole_catalog_bibtex_passes_biber_tool(catalog: Catalog, tmp_path):
    bib = tmp_path / "catalog.bib"
    bib.write_text(export_catalog(catalog, "bibtex"), encoding="utf-8")
    run = subprocess.run(
        ["biber", "--tool", "--output-file", str(tmp_path / "out.bib"), str(bib)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "ERROR" not in run.stdout, [line for line in run.stdout.splitlines() if "ERROR" in line][:10]


def test_whole_catalog_bibtex_records_have_titles_and_verbatim_links(catalog: Catalog):
    """Every record has a title (an entry's record its name); url and doi round-trip unchanged (never escaped);
    an entry's record has a year exactly when the entry states one; an untitled publication is named in the note."""
    library = parse(export_catalog(catalog, "bibtex"))
    assert not library.failed_blocks
    untitled = [e.key for e in library.entries if "title" not in e.fields_dict]
    assert not untitled, untitled
    records = {e.key: e.fields_dict for e in library.entries}
    links = 0
    for entry in [*catalog.datasets.values(), *catalog.models.values()]:
        fields = records[re.sub(r"[^A-Za-z0-9]+", "_", f"usreg_{entry.id}")]
        assert fields["title"].value == _escape(entry.name)
        year = entry.year or (entry.release_date.year if entry.release_date else None)
        assert (fields["year"].value if "year" in fields else None) == (str(year) if year else None), entry.id
        doi = entry.dataset_doi if isinstance(entry, Dataset) else entry.archive_doi
        if doi:
            assert fields["doi"].value == doi, entry.id
            links += 1
        for i, pub in enumerate(entry.publications):
            if pub.bibtex:
                continue
            if not pub.title:
                if pub.doi or pub.arxiv:
                    assert (f"doi:{_escape(pub.doi)}" if pub.doi else f"arXiv:{pub.arxiv}") in fields["note"].value
                continue
            record = records[re.sub(r"[^A-Za-z0-9]+", "_", f"usreg_{entry.id}_pub{i + 1}")]
            for name, value in (("doi", pub.doi), ("url", pub.url)):
                if value:
                    assert record[name].value == value, (entry.id, name)
                    links += 1
    assert links >= 100
    underscored = [e.fields_dict[f].value for e in library.entries for f in ("url", "doi") if f in e.fields_dict]
    assert any("_" in v for v in underscored) and not any("\\" in v for v in underscored)


def test_url_and_doi_are_written_verbatim_text_is_escaped():
    pub = Publication(
        title="Data_set & more",
        doi="10.1007/978-3-031-73647-6_10",
        url="https://example.org/a_b/c%20d?x=1&y=2#frag",
        year=2024,
    )
    text = publication_bibtex(pub, "k")
    assert "doi = {10.1007/978-3-031-73647-6_10}" in text
    assert "url = {https://example.org/a_b/c%20d?x=1&y=2#frag}" in text
    assert r"title = {Data\_set \& more}" in text
    (record,) = parse(text).entries
    assert record.fields_dict["url"].value == pub.url and record.fields_dict["doi"].value == pub.doi
