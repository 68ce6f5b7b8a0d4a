"""`usreg show` reads the entries from a fresh index instead of parsing every entry file again, and still reports
the files that do not validate."""

from __future__ import annotations

import json

from tests.conftest import minimal_dataset, minimal_model


def test_a_second_show_parses_no_entry_file(run_cli, catalog_root, monkeypatch) -> None:
    catalog_root.dataset(minimal_dataset("shown-set"))
    catalog_root.model(minimal_model("uses-net", trained_on=["shown-set"]))
    first = run_cli("show", "shown-set", "--format", "json", root=catalog_root.root)
    assert first.exit_code == 0, first.output

    import registry.yamlsafe

    def refuse(path):
        raise AssertionError(f"parsed {path}")

    monkeypatch.setattr(registry.yamlsafe, "load_file", refuse)
    monkeypatch.setattr("registry.catalog.load_file", refuse)
    again = run_cli("show", "shown-set", "--format", "json", root=catalog_root.root)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == json.loads(first.stdout)
    assert json.loads(again.stdout)["models"] == ["uses-net"]
    missing = run_cli("show", "shown-sett", root=catalog_root.root)
    assert missing.exit_code != 0 and "did you mean shown-set" in missing.output


def test_show_names_the_entry_files_it_skips(run_cli, catalog_root) -> None:
    catalog_root.dataset(minimal_dataset("shown-set"))
    catalog_root.raw(
        "datasets", "broken-set", "# yaml-language-server: $schema=../../schemas/dataset.schema.json\nid: [\n"
    )
    done = run_cli("show", "shown-set", root=catalog_root.root)
    assert done.exit_code == 0, done.output
    assert "warning: skipping 1 entry file(s) that do not validate: entries/datasets/broken-set.yaml" in done.output
