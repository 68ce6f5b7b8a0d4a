"""Bad input to the reading commands: a clear error with what to do and exit 2, never an empty result or a
traceback."""

from __future__ import annotations

import pytest

from tests.conftest import minimal_dataset


@pytest.mark.parametrize("command", [["list"], ["validate"], ["show", "breast-a"], ["stats"]])
def test_a_root_without_entries_is_a_usage_error_not_an_empty_catalog(tmp_path, run_cli, command):
    result = run_cli(*command, root=tmp_path)
    assert result.exit_code == 2, result.output
    assert f"no catalog at --root {tmp_path.resolve()}: it has no 'entries/' directory" in result.output
    assert "0 entries" not in result.output and "Traceback" not in result.output


def test_export_to_a_missing_folder_or_parquet_to_stdout_is_a_usage_error(catalog_root, run_cli, tmp_path):
    catalog_root.dataset(minimal_dataset("breast-a"))
    missing = tmp_path / "no-such-folder" / "catalog.csv"
    result = run_cli("export", "--format", "csv", "-o", missing, root=catalog_root.root)
    assert result.exit_code == 2, result.output
    assert f"cannot write {missing}: No such file or directory" in result.output
    assert ".tmp" not in result.output and not missing.parent.exists()
    parquet = run_cli("export", "--format", "parquet", root=catalog_root.root)
    assert parquet.exit_code == 2 and "pass -o FILE.parquet" in parquet.output
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    under_a_file = run_cli("export", "--format", "json", "-o", blocker / "sub" / "x.json", root=catalog_root.root)
    assert under_a_file.exit_code == 2
    assert f"cannot write {blocker / 'sub' / 'x.json'}: Not a directory" in under_a_file.output


def test_ctrl_c_anywhere_exits_130_with_what_to_do():
    """Click alone prints 'Aborted!' and exits 1 on Ctrl-C outside a download (unpacking, converting, scoring)."""
    from click.testing import CliRunner

    from registry.cli import UsregGroup

    group = UsregGroup()

    @group.command()
    def busy() -> None:
        raise KeyboardInterrupt

    result = CliRunner().invoke(group, ["busy"])
    assert result.exit_code == 130
    assert "error: interrupted" in result.stderr and "run the same command again" in result.stderr


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "C:\\\\Users\\\\x.zip", "a/../../b.zip"])
def test_a_source_file_name_leaving_the_download_folder_fails_validation(catalog_root, run_cli, name):
    """A file name an importer copied from a hostile host (or a typo) is refused where the entry is written, not only
    when fetch plans it."""
    files = [{"name": name}]
    catalog_root.dataset(minimal_dataset("breast-a", sources=[{"kind": "zenodo", "id": "1", "files": files}]))
    result = run_cli("validate", root=catalog_root.root)
    assert result.exit_code == 1, result.output
    assert "is not a relative file name inside the download folder" in result.output
    catalog_root.dataset(
        minimal_dataset("breast-a", sources=[{"kind": "zenodo", "id": "1", "files": [{"name": "x/a.zip"}]}])
    )
    assert run_cli("validate", root=catalog_root.root).exit_code == 0
