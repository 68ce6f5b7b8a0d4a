"""TUS-REC2024 (MICCAI 2024 trackerless freehand reconstruction challenge): tracked forearm scans as sampled frames.

Layout (from the organisers' baseline README, ``QiLi111/tus-rec-challenge_baseline``): the Zenodo training records
hold ``train_part1.zip`` and ``train_part2.zip``, unzipped into one folder per subject (``000/`` to ``049/``), each
with 24 scans ``<RH|LH>_<Per|Par>_<L|C|S>_<DtP|PtD>.h5`` holding ``frames`` ([N, H, W]) and ``tforms`` ([N, 4, 4]);
``landmark.zip`` unzips to ``landmark_<subject>.h5`` and ``calib_matrix.csv`` lies beside them. The baseline puts the
subject folders under ``data/frames_transfs/``; the archives themselves start at the subject folders.

Sampling is that of TUS-REC2025 (``frames`` evenly spaced frames per scan, subject = the three-digit folder, tracker
pose in ``extra``). The unpacked folders do not say which record (training or validation) a subject came from, so no
official split is read: a seeded split grouped by subject is assigned.
"""

from __future__ import annotations

from ..base import register
from .tus_rec_2025 import TusRecScans


@register
class TusRec2024(TusRecScans):
    name = "tus-rec-2024"
    summary = "<subject>/<RH|LH>_<Per|Par>_<L|C|S>_<DtP|PtD>.h5 scans (frames, tforms), frames sampled"
    layout = "<subject>/<scan>.h5 (three-digit subject folders)"
    folder_splits = False
    split_note = "No split in the unpacked folders: a seeded split grouped by subject is assigned."
