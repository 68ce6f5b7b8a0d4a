"""Quirks found by converting real copies of the downloads (round g: fetal and obstetric sets), rebuilt in fixtures.

No real data is stored here: each fixture rebuilds only the file and folder names (and the table layout) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.builders._common import save, us_image
from tests.loaders.conftest import real_catalog


def test_fetal_planes_db_split_values_with_a_trailing_space(tmp_path: Path, convert) -> None:
    # The real FETAL_PLANES_DB_data.csv (kareemkhaleel4/DeepLearningProjectDataset@17d2ead, 909,942 characters) has
    # the header '...;US_Machine;Train' and ends every row with the Train code and a space ('...;Aloka;1 '); its
    # Brain_plane column says 'Not A Brain' or, for brain images, a sub-plane or 'Other'. Split codes must match.
    root = tmp_path / "src" / "FETAL_PLANES_ZENODO"
    rows = [
        ("Patient00001_Plane1_1_of_15", 1, "Other", "Not A Brain", "Other", "Aloka", 1),
        ("Patient00001_Plane1_2_of_15", 1, "Other", "Not A Brain", "Other", "Aloka", 1),
        ("Patient01316_Plane3_2_of_3", 1316, "Fetal brain", "Other", "Op. 2", "Voluson E6", 0),
        ("Patient01310_Plane4_1_of_7", 1310, "Maternal cervix", "Not A Brain", "Op. 2", "Voluson E6", 0),
    ]
    lines = ["Image_name;Patient_num;Plane;Brain_plane;Operator;US_Machine;Train"]
    for n, row in enumerate(rows):
        save(root / "Images" / f"{row[0]}.png", us_image(24, 28, 7000 + n))
        lines.append(";".join(map(str, row)) + " ")
    (root / "FETAL_PLANES_DB_data.csv").write_text("\n".join(lines) + "\n")
    out = convert(real_catalog().datasets["fetal-planes-db"], tmp_path / "src")
    assert out.splits() == {"train": 2, "test": 2}
    assert out.metadata["splits"]["kind"] == "official"
    assert out.by_id["Patient01316_Plane3_2_of_3"]["label"] == "Fetal brain"
    assert out.by_id["Patient01316_Plane3_2_of_3"]["subject_id"] == "1316"
    assert out.metadata["source_files"]["dropped"] == 0
