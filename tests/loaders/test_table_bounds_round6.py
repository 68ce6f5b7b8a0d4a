"""Every table a converter reads itself goes through the bounded readers of ``registry.loaders.tables``: a table past
the row limit is read up to it and the rest reported (naming the file), a JSON document over the byte limit is not
read (reported), and a value over the csv module's field limit stops the conversion with an error naming the file and
row. The limits are lowered here so that each hostile table stays small; each test fails with the direct, unbounded
reads the converters had before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from registry.errors import UsregError
from registry.loaders import tables
from registry.loaders.base import CommonOptions, ConvertContext
from registry.loaders.pipeline import _planned

from .conftest import make_entry

LIMIT = 5


def _ctx(root: Path, options: CommonOptions | None = None) -> ConvertContext:
    return ConvertContext(root, make_entry("bounds", "bounds"), options or CommonOptions(), "bounds")


def _problems(ctx: ConvertContext, kind: str = "annotation_unreadable") -> list[tuple[str, str]]:
    return [(p.file, p.message) for p in ctx.problems if p.kind == kind]


def _row_limit_reported(ctx: ConvertContext, file: str) -> bool:
    return (file, f"more than {LIMIT} rows: the rest are not read") in _problems(ctx)


@pytest.fixture
def low_row_limit(monkeypatch):
    monkeypatch.setattr(tables, "MAX_TABLE_ROWS", LIMIT)


# --- CSV tables read with a header (csv.DictReader before) ----------------------------------------------------------


def test_mimic_iv_echo_record_list_past_the_row_limit_is_read_up_to_it(tmp_path, low_row_limit):
    from registry.loaders.datasets.mimic_iv_echo import MimicEchoOptions, MimicIvEcho

    table = tmp_path / "echo-record-list.csv"
    rows = "".join(f"{i},s{i},files/p{i}/s{i}/{i}.dcm,2180-01-01\n" for i in range(40))
    table.write_text("\ufeffsubject_id,study_id,dicom_filepath,acquisition_datetime\n" + rows, encoding="utf-8")
    ctx = _ctx(tmp_path, MimicEchoOptions())
    assert list(MimicIvEcho().items(ctx)) == []
    missing = [m for _, m in _problems(ctx, "missing_image")]
    # the BOM is dropped as before (the first column is found), and only the rows up to the limit are looked at
    assert missing == [f"line {n}: files/p{n - 2}/s{n - 2}/{n - 2}.dcm is not in the download" for n in range(2, 7)]
    assert _row_limit_reported(ctx, "echo-record-list.csv")


def test_echonet_lvh_measurements_past_the_row_limit_are_read_up_to_it(tmp_path, low_row_limit):
    from registry.loaders.datasets.echonet_lvh import EchonetLvh

    (tmp_path / "MeasurementsList.csv").write_text(
        "HashedFileName,Calc,CalcValue,Frame\n" + "".join(f"0X{i:04d},LVPWd,1.0,\n" for i in range(40)),
        encoding="utf-8",
    )
    ctx = _ctx(tmp_path)
    assert list(EchonetLvh().items(ctx)) == []
    lines = [m for _, m in _problems(ctx) if m.endswith("no file name or no frame index; ignored")]
    assert len(lines) == LIMIT
    assert _row_limit_reported(ctx, "MeasurementsList.csv")


def test_erdes_split_file_past_the_row_limit_is_read_up_to_it(tmp_path, low_row_limit):
    from registry.loaders.datasets.erdes import _official_split

    split_dir = tmp_path / "splits" / "non_rd_vs_rd"
    split_dir.mkdir(parents=True)
    rows = "".join(f"Retinal_Detachment/Macula_Detached/c_{i}.mp4,1\n" for i in range(40))
    (split_dir / "train.csv").write_text("path,label\n" + rows, encoding="utf-8")
    ctx = _ctx(tmp_path)
    split = _official_split(ctx, "non_rd_vs_rd")
    assert len(split) == LIMIT and set(split.values()) == {"train"}
    assert _row_limit_reported(ctx, "splits/non_rd_vs_rd/train.csv")


def test_intrapartum_seg_info_past_the_row_limit_is_read_up_to_it(tmp_path, low_row_limit):
    from registry.loaders.datasets.intrapartum_video_2026 import IntrapartumVideo2026

    split = tmp_path / "DatasetV3" / "val"
    (split / "videos").mkdir(parents=True)
    (split / "seg").mkdir()
    rows = "".join(f"v{i}.avi,not-a-frame\n" for i in range(40))
    (split / "seg" / "seg_info.csv").write_text("filename,labeled_index\n" + rows, encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert list(IntrapartumVideo2026().items(ctx)) == []
    lines = [m for _, m in _problems(ctx) if m.endswith("no file name or unreadable frame index")]
    assert len(lines) == LIMIT
    assert _row_limit_reported(ctx, "DatasetV3/val/seg/seg_info.csv")
    # the header is still checked before the rows
    (split / "seg" / "seg_info.csv").write_text("name,other\n", encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert list(IntrapartumVideo2026().items(ctx)) == []
    assert any("no 'filename' or frame-index column" in m for _, m in _problems(ctx))


# --- CSV lists read without a header (csv.reader before) ------------------------------------------------------------


def test_gbcu_split_list_past_the_row_limit_is_read_up_to_it(tmp_path, low_row_limit):
    from registry.loaders.datasets.gbcu import _read_list

    listing = tmp_path / "train.txt"
    listing.write_text("".join(f"im{i:05d}.jpg,1\n" for i in range(40)), encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert [name for _, name, _ in _read_list(ctx, listing)] == [f"im{i:05d}.jpg" for i in range(LIMIT)]
    assert _row_limit_reported(ctx, "train.txt")


def test_regensburg_test_codes_past_the_row_limit_are_read_up_to_it(tmp_path, monkeypatch):
    from registry.loaders.datasets import regensburg_appendicitis

    monkeypatch.setattr(regensburg_appendicitis, "MAX_ROWS", LIMIT)
    codes = tmp_path / "test_set_codes.csv"
    codes.write_text("".join(f"{i}\n" for i in range(100, 140)), encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert regensburg_appendicitis.read_test_codes(ctx, codes) == {str(i) for i in range(100, 100 + LIMIT)}
    assert _row_limit_reported(ctx, "test_set_codes.csv")


# --- JSON documents read whole --------------------------------------------------------------------------------------


def test_gbcu_box_document_over_the_byte_limit_is_not_read(tmp_path, monkeypatch):
    from registry.loaders.datasets.gbcu import Gbcu

    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1000)
    (tmp_path / "imgs").mkdir()
    (tmp_path / "train.txt").write_text("", encoding="utf-8")
    boxes = {f"im{i:05d}.jpg": {"bbs": [["benign", [1, 2, 3, 4]]]} for i in range(200)}
    (tmp_path / "bbox_annot.json").write_text(json.dumps(boxes), encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert list(Gbcu().items(ctx)) == []
    assert ctx.box_categories == []  # nothing of the document was read
    assert (
        "bbox_annot.json",
        "more than 1,000 bytes, over the limit: not read; images are converted without boxes",
    ) in _problems(ctx)


def test_read_json_of_a_document_over_the_byte_limit_is_reported_not_read(tmp_path, monkeypatch):
    from registry.loaders.common import read_json

    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1000)
    doc = tmp_path / "landmark.json"
    doc.write_text("\ufeff" + json.dumps({f"m{i}.png": [[1, 2]] for i in range(200)}), encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert read_json(ctx, doc, dict, "a JSON object", "landmarks ignored") is None
    assert _problems(ctx) == [("landmark.json", "more than 1,000 bytes, over the limit: not read; landmarks ignored")]
    # a document under the limit is read as before, its BOM dropped
    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1 << 20)
    assert len(read_json(_ctx(tmp_path), doc, dict, "a JSON object", "landmarks ignored") or {}) == 200


# --- the csv module's field size limit ------------------------------------------------------------------------------


def test_a_value_over_the_csv_field_limit_stops_with_an_error_naming_the_table(tmp_path):
    from registry.loaders.datasets.mimic_iv_echo import MimicEchoOptions, MimicIvEcho

    table = tmp_path / "echo-record-list.csv"
    table.write_text("subject_id,dicom_filepath\n1,a.dcm\n2," + "x" * 200_000 + "\n", encoding="utf-8")
    ctx = _ctx(tmp_path, MimicEchoOptions())
    with pytest.raises(UsregError) as caught:
        list(_planned(MimicIvEcho().items(ctx), "mimic-iv-echo", "mimic-iv-echo"))
    assert "echo-record-list.csv, row 3: a value longer than the csv module's limit of 131,072 characters" in str(
        caught.value
    )


def test_the_generic_csv_reader_reports_a_value_over_the_field_limit_with_its_row(tmp_path):
    from registry.loaders.generic_csv import read_csv_rows

    table = tmp_path / "FileList.csv"
    table.write_text("FileName,Split\n" + "v,train\n" * 3 + "w," + "y" * 200_000 + "\n", encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert read_csv_rows(ctx, table) == []
    message = "not a readable CSV file: FileList.csv, row 5: a value longer than the csv module's limit of 131,072"
    assert [(f, m[: len(message)]) for f, m in _problems(ctx)] == [("FileList.csv", message)]


def test_a_coco_file_over_the_byte_limit_is_reported_not_read(tmp_path, monkeypatch):
    from registry.loaders.generic_coco import CocoFile

    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1000)
    doc = {
        "images": [{"id": i, "file_name": f"{i}.png", "width": 4, "height": 4} for i in range(100)],
        "categories": [{"id": 1, "name": "lesion"}],
        "annotations": [],
    }
    (tmp_path / "_annotations.coco.json").write_text(json.dumps(doc), encoding="utf-8")
    ctx = _ctx(tmp_path)
    coco = CocoFile(ctx, tmp_path / "_annotations.coco.json")
    assert coco.images == [] and coco.categories == {}
    assert _problems(ctx) == [
        ("_annotations.coco.json", "more than 1,000 bytes, over the limit: not read; its images are not converted")
    ]


# --- text lists read line by line (read_text().splitlines() before) and the published split lists -------------------


def test_a_text_list_without_line_breaks_is_not_read_whole(tmp_path, monkeypatch):
    from registry.loaders.datasets.nnus_neck import _classes

    monkeypatch.setattr(tables, "MAX_LINE_CHARS", 100)
    names = tmp_path / "classes.txt"
    names.write_text("\ufeffthyroid\ncarotid\n" + "x" * 5000, encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert _classes(ctx, names) == ["thyroid", "carotid"]
    assert _problems(ctx) == [("classes.txt", "line 3 is over 100 characters: it and the rest are not read")]


def test_split_lists_past_the_row_or_byte_limit_are_reported(tmp_path, monkeypatch):
    from registry.loaders import splits

    monkeypatch.setattr(splits, "MAX_TABLE_ROWS", LIMIT)
    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1000)
    (tmp_path / "split.csv").write_text("name,split\n" + "".join(f"a{i},train\n" for i in range(40)), encoding="utf-8")
    (tmp_path / "folds.json").write_text(json.dumps({"train": [f"b{i}" for i in range(400)]}), encoding="utf-8")
    ctx = _ctx(tmp_path)
    splits.read_split_lists(ctx, splits.SplitLists(files="split.csv", column="name", split_column="split"))
    splits.read_split_lists(ctx, splits.SplitLists(files="folds.json"))
    assert _problems(ctx) == [
        ("split.csv", f"more than {LIMIT} rows: the rest are not read"),
        ("folds.json", "more than 1,000 bytes, over the limit: not read; no split is taken from it"),
    ]


def test_a_voc_xml_file_over_the_byte_limit_is_reported_not_parsed(tmp_path, monkeypatch):
    from registry.loaders.generic_voc import parse_voc

    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1000)
    box = "<object><name>nodule</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>3</ymax></bndbox>"
    box += "</object>"
    xml = tmp_path / "a.xml"
    xml.write_text(f"<annotation><filename>a.png</filename>{box * 40}</annotation>", encoding="utf-8")
    ctx = _ctx(tmp_path)
    assert parse_voc(ctx, xml, False, "a") is None
    assert _problems(ctx) == [("a.xml", "more than 1,000 bytes, over the limit: not read; its boxes are not converted")]
    monkeypatch.setattr(tables, "MAX_DOCUMENT_BYTES", 1 << 20)
    parsed = parse_voc(_ctx(tmp_path), xml, False, "a")
    assert parsed is not None and parsed.filename == "a.png"


# --- no converter reads a table or a document directly ---------------------------------------------------------------

#: direct reads left on purpose: each is bounded another way (a size check before the read, its own row limit) or
#: reads usreg's own output, not a download
BOUNDED_ELSEWHERE = {
    ("datasets/ultrasuite_uxtd.py", "read_text("): 2,  # param files and doc/speakers: st_size checked first
    ("datasets/cubs_tech.py", "read_text("): 1,  # a tracing: st_size checked against MAX_TRACING_BYTES first
    ("pipeline.py", "read_text("): 2,  # metadata.json and checks.json written by usreg itself
}
DIRECT_READS = ("csv.reader(", "csv.DictReader(", "read_text(", "ET.parse(", "json.load(", "readlines(", "pd.read_csv(")


def test_converters_read_tables_and_documents_only_through_the_bounded_readers():
    loaders = Path(tables.__file__).parent
    found: dict[tuple[str, str], int] = {}
    for path in sorted(loaders.rglob("*.py")):
        rel = path.relative_to(loaders).as_posix()
        if rel == "tables.py":
            continue
        text = path.read_text(encoding="utf-8")
        for call in DIRECT_READS:
            if text.count(call):
                found[(rel, call)] = text.count(call)
    assert found == BOUNDED_ELSEWHERE
