"""`usreg show` as read in a terminal: lines wrap between words, a manual source says how to fetch it, a model says
whether `usreg bench` runs it and how."""

from __future__ import annotations

import re

import pytest

from tests.conftest import minimal_dataset, minimal_model
from tests.fixtures.catalogs import add_plane_models

LONG_NAME = (
    "Maternal-fetal ultrasound video dataset for end-to-end intrapartum biometry with an unusually long descriptive "
    "title that no terminal line holds"
)
LONG_URL = "https://github.com/example-lab/a-dataset-repository/blob/0598ecc2e3cfab67aa627dca93c76c3f26558524/README.md"
EVIDENCE_FIELDS = ["name", "description", "sources", "anatomy", "tasks", "species", "year", "links", "modality"]


@pytest.fixture()
def show_catalog(catalog_root):
    catalog_root.dataset(
        minimal_dataset(
            "long-video-set",
            name=LONG_NAME,
            sources=[{"kind": "zenodo", "id": "17655183", "version": "V3"}],
            evidence=[{"url": LONG_URL, "fields": EVIDENCE_FIELDS}],
        )
    )
    catalog_root.dataset(minimal_dataset("versioned-set", sources=[{"kind": "zenodo", "id": "123", "version": "1.0"}]))
    catalog_root.dataset(
        minimal_dataset(
            "by-hand-set",
            sources=[
                {
                    "kind": "manual",
                    "url": "https://example.org/data",
                    "instructions": "Sign the data use agreement on the project page, then download the archive.",
                }
            ],
        )
    )
    add_plane_models(catalog_root, "plane-net-with-a-rather-long-identifier", evaluated_on="versioned-set")
    return catalog_root


def _words_intact(output: str, text: str) -> bool:
    """Every word of ``text`` appears whole among the output's words (no word was cut at a line end)."""
    words = set(output.split())
    return all(word in words for word in text.split())


@pytest.mark.parametrize("columns", [80, 120])
def test_show_wraps_the_title_and_the_runnable_verdict_between_words(show_catalog, run_cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    dataset = run_cli("show", "long-video-set", root=show_catalog.root)
    model = run_cli("show", "plane-net-with-a-rather-long-identifier", root=show_catalog.root)
    assert dataset.exit_code == model.exit_code == 0, dataset.output + model.output
    for output in (dataset.stdout, model.stdout):
        head = output.split("\nCitation (BibTeX)")[0]  # BibTeX is printed as is, for copying
        # a line may pass the width only when it is one word (a URL, kept whole for copying)
        too_long = [line for line in head.splitlines() if len(line) > columns and len(line.split("- ")[-1].split()) > 1]
        assert not too_long, too_long
    assert _words_intact(dataset.stdout, LONG_NAME)
    assert f"  - {LONG_URL}\n" in dataset.stdout
    assert " ".join(dataset.stdout.split(LONG_URL)[1].split()).startswith("for: " + ", ".join(EVIDENCE_FIELDS))
    verdict = model.stdout.split("runnable by usreg bench:", 1)[1].split("\nrun it:")[0]
    assert " ".join(verdict.split()).startswith("yes, adapter torch-state-dict (architecture fpus23-resnet8")
    assert f"on the Hugging Face Hub at {'d' * 12})" in " ".join(verdict.split())


def test_show_names_the_run_command_of_a_runnable_model_only(show_catalog, run_cli):
    runnable = run_cli("show", "plane-net-with-a-rather-long-identifier", root=show_catalog.root)
    bare = run_cli("show", "bare-net", root=show_catalog.root)
    assert "run it: usreg bench versioned-set --model plane-net-with-a-rather-long-identifier" in runnable.stdout
    assert "runnable by usreg bench: no (pytorch-checkpoint weights and no adapter naming" in bare.stdout
    assert "run it:" not in bare.stdout


def test_show_prints_a_source_version_once(show_catalog, run_cli):
    named = run_cli("show", "long-video-set", root=show_catalog.root).stdout
    numbered = run_cli("show", "versioned-set", root=show_catalog.root).stdout
    assert re.search(r"- zenodo 17655183 V3\b", named) and "vV3" not in named
    assert re.search(r"- zenodo 123 v1\.0\b", numbered)


def test_show_tells_how_to_fetch_a_dataset_downloaded_by_hand(show_catalog, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    manual = run_cli("show", "by-hand-set", root=show_catalog.root).stdout
    hosted = run_cli("show", "versioned-set", root=show_catalog.root).stdout
    flat = " ".join(manual.split())
    assert "how: Sign the data use agreement on the project page, then download the archive." in flat
    assert "then: usreg fetch by-hand-set --from-file PATH" in flat
    assert "fetch: usreg fetch versioned-set" in hosted and "--from-file" not in hosted


def test_the_models_of_a_dataset_are_wrapped_between_ids(catalog_root, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    catalog_root.dataset(minimal_dataset("shared-set"))
    ids = [f"a-model-with-a-long-identifier-{i}" for i in range(6)]
    for model_id in ids:
        catalog_root.model(minimal_model(model_id, trained_on=["shared-set"]))
    result = run_cli("show", "shared-set", root=catalog_root.root)
    assert result.exit_code == 0, result.output
    section = result.stdout.split("\nModels\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(section) > 1 and all(len(line) <= 80 for line in section), section
    assert [x.strip(" ,") for line in section for x in line.split()] == ids


def test_facts_keep_the_values_readable_at_80_columns(catalog_root, run_cli, monkeypatch):
    """The field column takes at most a quarter of the width; a longer field name gets its own line, so the values
    are never squeezed into a narrow column beside it."""
    monkeypatch.setenv("COLUMNS", "80")
    expertise = "two sonographers with more than ten years of experience in musculoskeletal ultrasound each"
    catalog_root.dataset(
        minimal_dataset(
            "deep-set",
            annotation={"label_types": ["mask"], "annotators": [{"count": 2, "expertise": expertise}]},
            year=2024,
        )
    )
    lines = run_cli("show", "deep-set", root=catalog_root.root).stdout.splitlines()
    facts = lines[lines.index(next(line for line in lines if line.startswith("year"))) :]
    year = next(line for line in facts if line.startswith("year"))
    assert year.index("2024") <= 22, year
    name = facts.index("annotation.annotators[0].expertise")
    below = []
    for line in facts[name + 1 :]:
        if not line.startswith(" "):
            break
        below.append(line)
    assert " ".join(" ".join(below).split()) == expertise
    assert all(len(line) <= 80 and line.startswith(" " * 10) for line in below), below
