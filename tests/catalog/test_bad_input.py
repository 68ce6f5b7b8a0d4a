"""Every kind of bad entry gets a clear message naming file:line, exits 1, and leaves the index untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.paths import index_path
from tests.conftest import DATASET_HEADER, minimal_dataset, minimal_model

BILLION_LAUGHS = (
    DATASET_HEADER
    + """id: bomb
name: bomb
anatomy: [breast]
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""
)


def _bad_cases(builder) -> dict[str, tuple[callable, str, str]]:
    """name -> (writer, expected message fragment, expected file:line prefix)."""
    return {
        "malformed": (
            lambda: builder.raw("datasets", "bad", DATASET_HEADER + "id: bad\nname: [unclosed\n"),
            "malformed YAML",
            "entries/datasets/bad.yaml:",
        ),
        "wrong-type": (
            lambda: builder.dataset(minimal_dataset("bad", counts={"images": "many"})),
            "valid integer",
            "entries/datasets/bad.yaml:",
        ),
        "negative-count": (
            lambda: builder.dataset(minimal_dataset("bad", counts={"images": -3})),
            "greater than or equal to 0",
            "entries/datasets/bad.yaml:",
        ),
        "unknown-key": (
            lambda: builder.dataset(minimal_dataset("bad", licence="MIT")),
            "unknown key 'licence'",
            "entries/datasets/bad.yaml:",
        ),
        "bad-spdx": (
            lambda: builder.dataset(minimal_dataset("bad", license="CC-BY-4")),
            "not an SPDX licence id",
            "entries/datasets/bad.yaml:",
        ),
        "bad-doi": (
            lambda: builder.dataset(minimal_dataset("bad", dataset_doi="doi.org/10.1/x")),
            "should match pattern",
            "entries/datasets/bad.yaml:",
        ),
        "id-mismatch": (
            lambda: builder.dataset(minimal_dataset("other"), name="bad"),
            "differs from the file name",
            "entries/datasets/bad.yaml:",
        ),
        "dangling": (
            lambda: builder.model(minimal_model("bad", trained_on=["no-such-dataset"])),
            "'no-such-dataset' is not a dataset",
            "entries/models/bad.yaml:",
        ),
        "empty": (lambda: builder.raw("datasets", "bad", ""), "the file is empty", "entries/datasets/bad.yaml:1"),
        "huge": (
            lambda: builder.raw("datasets", "bad", DATASET_HEADER + "description: " + "x" * 10_000_000 + "\n"),
            "entries are limited to",
            "entries/datasets/bad.yaml:1",
        ),
        "billion-laughs": (
            lambda: builder.raw("datasets", "bad", BILLION_LAUGHS),
            "anchors and aliases",
            "entries/datasets/bad.yaml:",
        ),
        "python-tag": (
            lambda: builder.raw(
                "datasets", "bad", DATASET_HEADER + "id: bad\nname: !!python/object/apply:os.system ['echo pwned']\n"
            ),
            "is not allowed",
            "entries/datasets/bad.yaml:3:7",
        ),
        "duplicate-key": (
            lambda: builder.raw("datasets", "bad", DATASET_HEADER + "id: bad\nname: a\nname: b\nanatomy: [breast]\n"),
            "duplicate key 'name'",
            "entries/datasets/bad.yaml:4",
        ),
        "custom-licence-without-url": (
            lambda: builder.dataset(minimal_dataset("bad", license="LicenseRef-Custom")),
            "needs license_url",
            "entries/datasets/bad.yaml:",
        ),
    }


CASES = [
    "malformed",
    "wrong-type",
    "negative-count",
    "unknown-key",
    "bad-spdx",
    "bad-doi",
    "id-mismatch",
    "dangling",
    "empty",
    "huge",
    "billion-laughs",
    "python-tag",
    "duplicate-key",
    "custom-licence-without-url",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_entry_is_reported_and_skipped_by_reading_commands(case, catalog_root, run_cli, usreg_home: Path):
    """`validate` fails on a bad entry; `list` reports it once and goes on with the entries that validate."""
    catalog_root.dataset(minimal_dataset("good"))
    writer, fragment, location = _bad_cases(catalog_root)[case]
    writer()

    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert fragment in result.output
    assert location in result.output

    listing = run_cli("list", "--format", "csv", root=catalog_root.root)
    assert listing.exit_code == 0, listing.output
    assert listing.output.count("do not validate") == 1
    assert location.split(":")[0] in listing.output
    index_file = index_path(catalog_root.root)
    import sqlite3

    with sqlite3.connect(index_file) as conn:
        indexed = {row[0] for row in conn.execute("select id from entry")}
    assert "good" in indexed or case == "id-mismatch"
    bad_stem = Path(location.split(":")[0]).stem
    assert bad_stem not in indexed or bad_stem == "good"


def test_duplicate_id_across_files(catalog_root, run_cli):
    catalog_root.dataset(minimal_dataset("same"))
    catalog_root.model(minimal_model("same"))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    assert "duplicate id 'same'" in result.output


def test_all_errors_reported_in_one_pass(catalog_root, run_cli):
    catalog_root.dataset(minimal_dataset("one", license="Nope"))
    catalog_root.dataset(minimal_dataset("two", counts={"images": -1}, foo=1))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    assert "one.yaml" in result.output and "two.yaml" in result.output
    assert "unknown key 'foo'" in result.output and "greater than or equal to 0" in result.output


def test_error_names_line_column_and_field(catalog_root, run_cli):
    catalog_root.raw(
        "datasets", "pos", DATASET_HEADER + "id: pos\nname: Pos\nanatomy: [breast]\ncounts:\n  images: -5\n"
    )
    result = run_cli("validate", root=catalog_root.root)
    assert "entries/datasets/pos.yaml:6:11: error [counts.images]" in result.output


def test_unknown_key_hint_suggests_the_right_field(catalog_root, run_cli):
    catalog_root.dataset(minimal_dataset("typo", licence="MIT"))
    result = run_cli("validate", root=catalog_root.root)
    assert "did you mean 'license'" in result.output


def test_missing_schema_comment(catalog_root, run_cli):
    catalog_root.raw("datasets", "nocomment", "id: nocomment\nname: x\nanatomy: [breast]\n")
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    assert "the first line must name the schema" in result.output


def test_github_annotations(catalog_root, run_cli):
    catalog_root.dataset(minimal_dataset("gh", license="Bogus-1.0"))
    result = run_cli("validate", "--format", "github", root=catalog_root.root)
    assert result.exit_code == 1
    assert result.output.startswith("::error file=entries/datasets/gh.yaml,line=")
    assert "not an SPDX licence id" in result.output


def test_validate_only_given_paths(catalog_root, run_cli):
    good = catalog_root.dataset(minimal_dataset("fine"))
    catalog_root.dataset(minimal_dataset("broken", license="Nope"))
    assert run_cli("validate", str(good), root=catalog_root.root).exit_code == 0
    assert run_cli("validate", root=catalog_root.root).exit_code == 1


def test_unknown_loader_and_bad_loader_options_are_errors(catalog_root, run_cli):
    catalog_root.dataset(minimal_dataset("no-such", loader={"name": "bus-bra-x"}))
    catalog_root.dataset(
        minimal_dataset("bad-options", loader={"name": "image-mask-folders", "options": {"no_such_option": 1}})
    )
    catalog_root.dataset(minimal_dataset("fine", loader={"name": "bus-bra"}))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1
    assert "no-such.yaml" in result.output and "no converter is registered as 'bus-bra-x'" in result.output
    assert "did you mean bus-bra" in result.output
    assert "bad-options.yaml" in result.output and "no_such_option" in result.output
    assert "fine.yaml" not in result.output


def test_validate_evidence_flags_stated_facts_without_a_source(catalog_root, run_cli):
    url = "https://example.org/dataset"
    catalog_root.dataset(
        minimal_dataset("backed", species=["human"], evidence=[{"url": url, "fields": ["anatomy", "tasks", "species"]}])
    )
    catalog_root.dataset(
        minimal_dataset("bare", species=["human"], year=2020, evidence=[{"url": url, "fields": ["anatomy"]}])
    )
    catalog_root.dataset(minimal_dataset("star", year=2021, evidence=[{"url": url, "fields": ["*"]}]))
    plain = run_cli("validate", root=catalog_root.root)
    assert plain.exit_code == 0 and "without evidence" not in plain.output
    result = run_cli("validate", "--evidence", root=catalog_root.root)
    assert result.exit_code == 0
    assert "bare.yaml" in result.output and "stated without evidence: year, tasks, species" in result.output
    assert "backed.yaml" not in result.output and "star.yaml" not in result.output
    assert run_cli("validate", "--evidence", "--strict", root=catalog_root.root).exit_code == 1
