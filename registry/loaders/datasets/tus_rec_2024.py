"""TUS-REC2024 (MICCAI 2024 trackerless freehand reconstruction challenge): tracked forearm scans as sampled frames.

Layout (from the organisers' data page ``UCL/tus-rec-challenge`` ``TUS-REC2024/data.md`` and baseline README and
evaluation code, ``QiLi111/tus-rec-challenge_baseline``):

- training data in three Zenodo parts: ``train_part1.zip`` (11178508), ``train_part2.zip`` and ``calib_matrix.csv``
  (11180794), ``landmark.zip`` (11355499). The train_part archives start at the subject folders (``000/`` ...), each
  with 24 scans ``<RH|LH>_<Per|Par>_<L|C|S>_<DtP|PtD>.h5`` holding ``frames`` ([N, H, W]) and ``tforms``
  ([N, 4, 4]); ``landmark.zip`` unzips to ``landmark_<subject>.h5``. The baseline puts the subject folders under
  ``data/frames_transfs/``.
- validation data (Zenodo 12979481, ``Freehand_US_data_val.zip``, unzipped as the ``data`` folder the evaluation
  code reads): ``frames/<subject>/<scan>.h5`` (``frames``) with the transforms in a separate file
  ``transfs/<subject>/<scan>.h5`` (``tforms``), ``landmark/landmark_<subject>.h5``, ``calib_matrix.csv`` and
  ``dataset_keys.h5`` (keys ``sub<NNN>__<scan>``).

Sampling and poses are those of TUS-REC2025 (``frames`` evenly spaced frames per scan, subject = the three-digit
folder, tracker pose in ``extra``; a validation scan's pose from its ``transfs/`` file). The official split is the
archives': scans of the training parts are train, those of the validation archive (``frames/``) val; the test set
is hidden (evaluated by the organisers).
"""

from __future__ import annotations

from ..base import register
from .tus_rec_2025 import TusRecScans


@register
class TusRec2024(TusRecScans):
    name = "tus-rec-2024"
    summary = "<subject>/<RH|LH>_<Per|Par>_<L|C|S>_<DtP|PtD>.h5 scans (frames, tforms), frames sampled"
    layout = "<subject>/<scan>.h5 (three-digit subject folders); frames/<subject>/<scan>.h5 + transfs/<subject>/"
    folder_splits = False
    split_note = "Official split: training parts train, the validation archive's frames/ val (test set hidden)."
