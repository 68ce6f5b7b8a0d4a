"""Quirks found by converting real copies of the downloads (picmus onward), rebuilt in tiny fixtures made by code.

No real data is stored here: each fixture rebuilds only the file and folder names (and the line formats) that the
real copy showed, with synthetic pixels.
"""

from __future__ import annotations

import fractions
from pathlib import Path

import numpy as np

from tests.fixtures.builders._common import blob_mask, save, us_image
from tests.loaders.conftest import make_entry, real_catalog


def test_samus_us30k_umbrella_task_list_does_not_name_the_classes(tmp_path: Path, convert) -> None:
    # xianlin7/SAMUS@030ed07 example_of_required_dataset_format/US30K/MainPatient holds, beside the per-class lists
    # train-EchocardiographyLV/MYO/LA-CAMUS.txt, a list train-Echocardiography-CAMUS.txt with the lines of all three
    # classes (1/, 2/, 3/Echocardiography-CAMUS/...) and a test-Echocardiography-CAMUS.txt of '<folder>/<name>' lines.
    # Those sort first; the loader took their task name for every class (1-3 all 'Echocardiography').
    base = tmp_path / "src" / "US30K"
    lists = base / "MainPatient"
    lists.mkdir(parents=True)
    (lists / "class.json").write_text('{\n    "Echocardiography-CAMUS": 4,\n    "ThyroidNodule-TG3K": 2\n}')
    save(base / "Echocardiography-CAMUS" / "img" / "0055_2CH_000.png", us_image(32, 32, 3100))
    label = np.zeros((32, 32), np.uint8)
    label[4:12, 4:12], label[14:20, 4:12], label[22:30, 4:12] = 1, 2, 3
    save(base / "Echocardiography-CAMUS" / "label" / "0055_2CH_000.png", label)
    save(base / "ThyroidNodule-TG3K" / "img" / "trainval0000.png", us_image(32, 32, 3101))
    save(base / "ThyroidNodule-TG3K" / "label" / "trainval0000.png", blob_mask(32, 32, 3101))
    camus = "Echocardiography-CAMUS/0055_2CH_000"
    (lists / "train.txt").write_text(f"1/{camus}\n2/{camus}\n3/{camus}\n1/ThyroidNodule-TG3K/trainval0000")
    (lists / "val.txt").write_text("")
    (lists / "test.txt").write_text("")
    (lists / "test-Echocardiography-CAMUS.txt").write_text(camus)
    (lists / "train-Echocardiography-CAMUS.txt").write_text(f"1/{camus}\n2/{camus}\n3/{camus}")
    (lists / "train-EchocardiographyLA-CAMUS.txt").write_text(f"3/{camus}")
    (lists / "train-EchocardiographyLV-CAMUS.txt").write_text(f"1/{camus}")
    (lists / "train-EchocardiographyMYO-CAMUS.txt").write_text(f"2/{camus}")
    (lists / "train-ThyroidGland-TG3K.txt").write_text("1/ThyroidNodule-TG3K/trainval0000")
    out = convert(make_entry("samus-us30k", "samus-us30k"), tmp_path / "src")
    assert out.targets()["Echocardiography-CAMUS"] == {
        0: "background",
        1: "EchocardiographyLV",
        2: "EchocardiographyMYO",
        3: "EchocardiographyLA",
    }
    assert out.targets()["ThyroidNodule-TG3K"] == {0: "background", 1: "ThyroidGland"}
    assert out.splits() == {"train": 2}
    assert set(np.unique(out.mask("Echocardiography-CAMUS_0055_2CH_000", "Echocardiography-CAMUS"))) == {0, 1, 2, 3}


def test_samus_us30k_umbrella_list_still_names_a_class_no_other_list_names(tmp_path: Path, convert) -> None:
    base = tmp_path / "src" / "US30K"
    lists = base / "MainPatient"
    lists.mkdir(parents=True)
    (lists / "class.json").write_text('{"Echocardiography-CAMUS": 4}')
    save(base / "Echocardiography-CAMUS" / "img" / "a.png", us_image(16, 16, 3110))
    save(base / "Echocardiography-CAMUS" / "label" / "a.png", np.zeros((16, 16), np.uint8))
    (lists / "train.txt").write_text("1/Echocardiography-CAMUS/a\n")
    (lists / "train-Echocardiography-CAMUS.txt").write_text("1/Echocardiography-CAMUS/a\n2/Echocardiography-CAMUS/a\n")
    (lists / "train-EchocardiographyLV-CAMUS.txt").write_text("1/Echocardiography-CAMUS/a\n")
    out = convert(make_entry("samus-us30k", "samus-us30k"), tmp_path / "src")
    assert out.targets()["Echocardiography-CAMUS"] == {
        0: "background",
        1: "EchocardiographyLV",
        2: "Echocardiography",
        3: "class_3",
    }


def _edit_list_mov(path: Path, frames: int = 10, trimmed: int = 3) -> Path:
    """A .mov whose edit list starts ``trimmed`` frames after its first packet (as a stream copy cut after a key frame
    writes it): the demuxer returns those packets flagged discard and the decoder shows ``frames`` frames."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    ramp = np.tile(np.linspace(0, 255, 64).astype(np.uint8), (32, 1))
    with av.open(str(path), "w", format="mov") as container:
        stream = container.add_stream("mpeg4", rate=10, options={"g": "100", "sc_threshold": "1000000000"})
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        packets = []
        for i in range(frames + trimmed):
            frame = av.VideoFrame.from_ndarray(np.repeat(ramp[:, i : i + 32, None], 3, axis=2).copy(), format="rgb24")
            frame.pts, frame.time_base = i, fractions.Fraction(1, 10)
            packets += list(stream.encode(frame))
        packets += list(stream.encode())
        for packet in packets:
            packet.pts = (packet.pts or 0) - trimmed
            packet.dts = (packet.dts or 0) - trimmed
            container.mux(packet)
    return path


def test_video_probe_leaves_out_packets_an_edit_list_trims(tmp_path: Path) -> None:
    # jannisborn/covid19_ultrasound (copy nickdnickd/covid19_ultrasound@3414d25)
    # data/pocus_videos/convex/Cov_denault_proposedUS_vid5.mov: 210 packets, 18 of them before the edit list's start
    # (negative pts, flagged discard), 192 decoded frames; probe counted 210, so frame 199 was picked and reported
    # unreadable (files_readable failed on a complete file). Five more of those .mov files had one trimmed packet.
    import av

    from registry.loaders.datasets._video import probe

    path = _edit_list_mov(tmp_path / "v.mov")
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(container.streams.video[0]) if p.size]
        assert sum(p.is_discard for p in packets) == 3 and len(packets) == 13  # the quirk is rebuilt
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 10
    count, fps = probe(str(path)) or (0, 0.0)
    assert (count, fps) == (10, 10.0)


def test_pocus_covid19_edit_list_video_converts_every_picked_frame(tmp_path: Path, convert) -> None:
    root = tmp_path / "src" / "covid19_ultrasound-master"
    _edit_list_mov(root / "data" / "pocus_videos" / "convex" / "Cov_denault_proposedUS_vid5.mov")
    save(root / "data" / "pocus_images" / "convex" / "Pneu_Avi_consolidated-lung.JPG", us_image(24, 24, 3120))
    out = convert(make_entry("pocus-covid19", "pocus-covid19", tasks=["classification"]), tmp_path / "src")
    assert not out.problems("unreadable")
    frames = sorted(r["frame"] for r in out.rows if r["frame"] is not None)
    assert frames == [1, 4, 7]  # every 3rd frame of 10 at 10 fps (was 1, 4, 7, 10: frame 10 does not exist)
    assert out.by_id["Pneu_Avi_consolidated-lung"]["label"] == "pneumonia"  # upper-case .JPG of the real folder


def test_tn_scui_2020_label_table_with_cr_line_ends_and_extensions(tmp_path: Path, convert) -> None:
    # the real TNSCUI2020_train/train.csv (MXHsj/TNSCUI2020_challenge@3444f0a): header ID,CATE, IDs with the upper-case
    # extension (5189.PNG), rows ended by a lone CR; the images are <ID> itself in image/ and mask/
    base = tmp_path / "src" / "TNSCUI2020_train"
    rows = {"5189.PNG": "0", "2090.PNG": "1", "5156.PNG": "0", "8303.PNG": "1"}
    for n, name in enumerate(rows):
        save(base / "image" / name, us_image(24, 32, 3130 + n), "PNG")
        save(base / "mask" / name, blob_mask(24, 32, 3130 + n), "PNG")
    (base / "train.csv").write_bytes(("ID,CATE\r" + "\r".join(f"{k},{v}" for k, v in rows.items())).encode())
    entry = real_catalog().datasets["tn-scui-2020"]
    out = convert(entry, tmp_path / "src")
    assert {r["sample_id"]: r["label"] for r in out.rows} == {
        "5189": "benign",
        "2090": "malignant",
        "5156": "benign",
        "8303": "malignant",
    }
    assert all(len(r["masks"]) == 1 for r in out.rows)
    assert not out.problems("listed_not_found") and not out.problems("unlisted")


def test_real_entries_still_use_these_loaders() -> None:
    catalog = real_catalog()
    for entry_id in ("samus-us30k", "pocus-covid19"):
        loader = catalog.datasets[entry_id].loader
        assert loader is not None and loader.name == entry_id
