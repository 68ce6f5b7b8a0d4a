"""Quirks of real copies of the downloads (set i), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file, folder, sheet and column names that the real copy
showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.builders._common import rgb, save, us_image, write_xlsx
from tests.loaders.conftest import real_catalog


def test_regensburg_appendicitis_summary_rows_are_not_patients(tmp_path: Path, convert) -> None:
    # MonyVannn/Pediatric-Appendicitis-ML-Research@84f4c04 holds the release's app_data.xlsx: its 'All cases' sheet
    # lists 782 patients, then two summary rows of formulas (=COUNTBLANK(AN2:AN783) under US_Number,
    # =COUNTBLANK(J2:J783) under Diagnosis, then =AN784/783 ...). Read with cached values they are US number 22 with
    # diagnosis 2 and US number 0.028 with diagnosis 0.0026; a summary count equal to a real US number took that
    # patient's diagnosis away. Here the blank count is 3, the US number of a real patient.
    src = tmp_path / "src"
    header = ["Age", "BMI", "Sex", "Diagnosis_Presumptive", "Diagnosis", "US_Performed", "US_Number"]
    write_xlsx(
        src / "app_data.xlsx",
        [
            header,
            [12.68, None, "female", "appendicitis", "appendicitis", "yes", 1],
            [9.5, 17.1, "male", "no appendicitis", "no appendicitis", "yes", 2],
            [14.35, 19.7, "female", "appendicitis", "appendicitis", "yes", 3],
            [11.0, 18.0, "male", "appendicitis", "appendicitis", "no", None],
            [0, 2, 0, 0, 0, 0, 3],  # =COUNTBLANK(A2:A783) ... as cached values
            [0.0, 0.0026, 0.0, 0.0, 0.0, 0.0, 0.0038],  # =A784/783 ...
        ],
        title="All cases",
    )
    (src / "test_set_codes.csv").write_text("2\n")
    for n, name in enumerate(("1.1.bmp", "2.1.bmp", "3.1.bmp", "3.2 appendix.bmp")):
        save(src / "US_Pictures" / name, rgb(us_image(30, 40, 6100 + n)))
    out = convert(real_catalog().datasets["regensburg-appendicitis"], src)
    labels = {r["sample_id"]: r["label"] for r in out.rows}
    assert labels == {
        "1_1": "appendicitis",
        "2_1": "no appendicitis",
        "3_1": "appendicitis",
        "3_2_appendix": "appendicitis",
    }
    assert not out.problems("unknown_label")
    assert out.splits()["test"] == 1
