"""Knee ultrasound dataset in a population-based cohort (JoCoHS, Harvard Dataverse doi:10.7910/DVN/SKP9IB).

Layout (the curators' user guide, kuhlaid/jocoknow ``docs/datasets/10.7910_DVN_SKP9IB/overview.mdx``): fourteen
archives ``imageArchive.<code>.zip`` (directory label ``data/image/ultrasound``), one per standard knee view, of PNGs
named ``<E03SUBJECTID>_<E03USIMGT>.png``; the table ``dataTable.IMAGE_REF`` (Dataverse serves the ingested ``.tab``,
tab-separated, or the original ``.csv``) has one row per image: subject UUID ``E03SUBJECTID``, view ``E03USIMGT``
(codes 11-17 right, 21-27 left), file name ``E03USIMGF``, size in bytes ``E03USIMGZ`` and side ``E03USIMGD``
(1 right, 2 left); ``dataTable.SUBJECT`` has one row per participant (sex, 5-year age band, Kellgren-Lawrence grade
and knee pain of each side). ``example.us.image.png`` (``data/image/example``) is a copy of one image that the guide
says not to use for analysis.

The guide does not show whether the PNGs sit at an archive's root or in a folder, so the images are found by file name
anywhere in the download. Each table row with its image is one sample: label = the view's name (14 classes), subject =
the participant, and the side, view code and that knee's KL grade and pain (with sex and age band) in ``extra``.
Codes are mapped to the guide's category names; a table that already holds the names is read as it is. A view whose
archive was not downloaded is reported once (the guide invites downloading only some views); a single image missing
from a downloaded view, a PNG no row names, a name whose view code disagrees with its row and a file whose size
differs from ``E03USIMGZ`` are each reported. No official split: a seeded split grouped by participant.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from ...errors import UsregError
from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import image_decode
from ..tables import csv_dicts

VIEWS = {
    "11": "right anterior suprapatellar longitudinal",
    "12": "right anterior suprapatellar longitudinal with power Doppler",
    "13": "right anterior suprapatellar transverse in 30 degrees flexion",
    "14": "right medial longitudinal",
    "15": "right lateral longitudinal",
    "16": "right anterior suprapatellar transverse in maximal flexion",
    "17": "right posterior medial transverse",
    "21": "left anterior suprapatellar longitudinal",
    "22": "left anterior suprapatellar longitudinal with power Doppler",
    "23": "left anterior suprapatellar transverse in 30 degrees flexion",
    "24": "left medial longitudinal",
    "25": "left lateral longitudinal",
    "26": "left anterior suprapatellar transverse in maximal flexion",
    "27": "left posterior medial transverse",
}
SIDES = {"1": "Right", "2": "Left"}
SEX = {"1": "Male", "2": "Female"}
PAIN = {"0": "None", "1": "Mild", "2": "Moderate", "3": "Severe", "888": "No response"}
KL = {
    "0": "No OA",
    "1": "Questionable OA",
    "2": "Mild OA",
    "3": "Moderate OA",
    "4": "Severe OA",
    "99": "Total joint replacement",
    "-99": "No image to read",
}
AGE = {"1": "35-39", "2": "40-44", "3": "45-49", "4": "50-54", "5": "55-59", "6": "60-64", "7": "65-70"}
EXAMPLE = "example.us.image.png"
MAX_ROWS = 100_000


def find_table(ctx: ConvertContext, name: str) -> Path | None:
    """``dataTable.<name>.tab`` (Dataverse's ingested form) or ``.csv`` (the original), shallowest first."""
    found = [
        f for f in ctx.files() if f.name.lower() in (f"datatable.{name.lower()}.tab", f"datatable.{name.lower()}.csv")
    ]
    return min(found, key=lambda f: (len(f.parts), f.suffix.lower() != ".tab", str(f))) if found else None


def read_table(ctx: ConvertContext, path: Path) -> list[dict[str, str]]:
    delimiter = "\t" if path.suffix.lower() == ".tab" else ","
    try:
        rows = csv_dicts(ctx, path, delimiter=delimiter, max_rows=MAX_ROWS, strip=True, kind="too_large")
        return [row for _, row in rows]
    except (OSError, csv.Error) as exc:
        ctx.problem("annotation_unreadable", path, f"not a readable table: {exc}")
        return []


def named(value: str, names: dict[str, str]) -> str:
    """A category's name: the guide's name for a code (``"2"`` or ``"2.0"``), else the value as written."""
    key = value[:-2] if value.endswith(".0") else value
    return names.get(key, value)


def view_code(value: str) -> str | None:
    """The view code of an ``E03USIMGT`` value, written as a code or as the view's name."""
    key = value[:-2] if value.endswith(".0") else value
    if key in VIEWS:
        return key
    by_name = {v.lower(): k for k, v in VIEWS.items()}
    return by_name.get(value.strip().lower())


@register
class KneeUsCohort(Converter):
    name = "knee-us-cohort"
    summary = "imageArchive.<view>.zip PNGs <subject>_<view>.png listed in dataTable.IMAGE_REF (+ SUBJECT)"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        ref = find_table(ctx, "IMAGE_REF")
        if ref is None:
            raise UsregError(
                f"{ctx.dataset_id}: dataTable.IMAGE_REF.tab (or .csv) not found under {ctx.source_dir}",
                hint="download the table with the image archives (directory data/reference of the Dataverse record) "
                "and pass it with another --from-file",
            )
        ctx.declare_labels(list(VIEWS.values()))
        ctx.split_note = "No official split: a seeded split grouped by participant (E03SUBJECTID)."
        subjects = self._subjects(ctx)
        pngs: dict[str, list[Path]] = defaultdict(list)
        for f in ctx.files():
            if f.name.lower() == EXAMPLE:
                ctx.ignore_file(f, "the guide's example copy of one image (data/image/example), not for analysis")
            elif f.suffix.lower() == ".png":
                pngs[f.name.lower()].append(f)
        rows = read_table(ctx, ref)
        present_views = {code for name in pngs if (code := view_code(Path(name).stem.rpartition("_")[2]))}
        missing_views: dict[str, int] = defaultdict(int)
        listed: set[str] = set()
        for line, row in enumerate(rows, start=2):
            where = f"{ctx.rel(ref)}:{line}"
            file_name, subject = row.get("E03USIMGF", ""), row.get("E03SUBJECTID", "")
            code = view_code(row.get("E03USIMGT", ""))
            if not file_name or not subject or code is None:
                ctx.problem("annotation_unreadable", ref, f"line {line}: no file name, subject or known view code")
                continue
            listed.add(file_name.lower())
            found = pngs.get(file_name.lower(), [])
            stem = Path(file_name).stem
            if not found:
                if code in present_views:
                    ctx.problem(
                        "missing_image", ref, f"line {line}: {file_name} is not in the download", sample_id=stem
                    )
                else:
                    missing_views[code] += 1
                continue
            if len(found) > 1:
                ctx.problem(
                    "duplicate_image", found[1], f"{file_name} is in the download {len(found)} times; the first is used"
                )
            image = found[0]
            if view_code(stem.rpartition("_")[2]) != code:
                ctx.problem(
                    "annotation_unreadable",
                    ref,
                    f"line {line}: the file name's view code disagrees with E03USIMGT {code}; the row's view is used",
                    severity="warning",
                    sample_id=stem,
                )
            size = row.get("E03USIMGZ", "")
            if size.isdigit() and int(size) != image.stat().st_size:
                ctx.problem(
                    "size_mismatch",
                    image,
                    f"{image.stat().st_size} bytes, the table says {size}; the file may be damaged or replaced",
                    severity="warning",
                    sample_id=stem,
                )
            side = named(row.get("E03USIMGD", ""), SIDES) or ("Right" if code.startswith("1") else "Left")
            knee = subjects.get(subject, {})
            extra = {"view_code": int(code), "side": side}
            if knee:
                r_or_l = "R" if side == "Right" else "L"
                extra |= {
                    "sex": knee.get("sex"),
                    "age_band": knee.get("age_band"),
                    "kl_grade": knee.get(f"kl_{r_or_l}"),
                    "knee_pain": knee.get(f"pain_{r_or_l}"),
                }
            elif subjects:
                ctx.problem(
                    "missing_annotation",
                    ref,
                    f"line {line}: subject {subject} is not in dataTable.SUBJECT; kept without its KL grade and pain",
                    severity="warning",
                    sample_id=stem,
                )
            yield Item(
                sample_id=stem,
                image=image_decode(ctx, image),
                source_file=ctx.rel(image),
                subject_id=subject,
                label=ctx.check_label(VIEWS[code], where, stem),
                extra=extra,
                annotation_file=where,
            )
        for code, n in sorted(missing_views.items()):
            ctx.problem(
                "missing_image",
                ref,
                f"none of the {n} images of view {code} ({VIEWS[code]}) is in the download: imageArchive.{code}.zip "
                "was not downloaded or not passed; those rows are skipped",
                severity="warning",
            )
        for name, paths in sorted(pngs.items()):
            if name not in listed:
                for p in paths:
                    ctx.problem("missing_annotation", p, "no row of dataTable.IMAGE_REF names this image; skipped")

    @staticmethod
    def _subjects(ctx: ConvertContext) -> dict[str, dict[str, str]]:
        table = find_table(ctx, "SUBJECT")
        if table is None:
            ctx.problem(
                "missing_annotation",
                ctx.source_dir,
                "dataTable.SUBJECT.tab (or .csv) is not in the download; samples carry no sex, age, KL grade or pain",
                severity="warning",
            )
            return {}
        out: dict[str, dict[str, str]] = {}
        for row in read_table(ctx, table):
            sid = row.get("E03SUBJECTID", "")
            if sid:
                out[sid] = {
                    "sex": named(row.get("E03GENDER", ""), SEX),
                    "age_band": named(row.get("E03AGE", ""), AGE),
                    "kl_R": named(row.get("E03RADRPAKKL", ""), KL),
                    "kl_L": named(row.get("E03RADLPAKKL", ""), KL),
                    "pain_R": named(row.get("E03PASKR", ""), PAIN),
                    "pain_L": named(row.get("E03PASKL", ""), PAIN),
                }
        return out
