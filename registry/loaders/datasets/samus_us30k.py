"""US30K (the SAMUS authors' preprocessed collection of seven ultrasound segmentation sets) as one dataset.

Layout (from SAMUS's ``utils/data_us.py`` ``ImageToImage2D``, which reads the release, and the repository's
``example_of_required_dataset_format/US30K``): one folder per source set (``Breast-BUSI``, ``Echocardiography-CAMUS``,
``ThyroidNodule-TN3K`` ...) holding ``img/<name>.png`` and ``label/<name>.png``, and ``MainPatient/`` with
``class.json`` (source folder -> number of classes, background included), the split lists ``train.txt``,
``val.txt`` (lines ``<class id>/<folder>/<name>``) and ``test.txt`` (lines ``<folder>/<name>``), and per-task lists
``{train,val,test}-<Task>-<Set>.txt``.

- One mask target per source folder, so the class maps of the seven sets stay apart. A folder with 2 classes has a
  binary mask (any non-zero pixel is 1, as SAMUS reads it: ``mask[mask > 1] = 1``); a folder with more classes keeps
  the pixel values as class ids (CAMUS: 1-3).
- Class names come from the per-task lists: ``train-EchocardiographyLA-CAMUS.txt`` with lines ``3/Echocardiography-
  CAMUS/...`` names class 3 of that folder ``EchocardiographyLA``; a list covering several classes (the release's
  ``train-Echocardiography-CAMUS.txt``: 1-3) names only the classes no single-class list names; a class no list
  names is ``class_<id>``.
- Split: ``train.txt``, ``val.txt`` and ``test.txt``; an image in none of them gets a seeded split (reported).
  Sample id ``<folder>_<name>``; no subject ids are in the release.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ..base import CommonOptions, ConvertContext, Converter, Item, register
from ..common import MaskSpec, image_decode, mask_decode
from ..tables import read_document, read_lines

TASK_LIST = re.compile(r"^(?P<split>train|val|test)-(?P<task>[A-Za-z0-9]+)-(?P<set>.+)\.txt$")
SPLITS = ("train", "val", "test")
MAX_LINES = 1_000_000


def _lines(path: Path) -> list[list[str]]:
    text = read_lines(path, MAX_LINES)
    return [line.strip().split("/") for line in text if line.strip()]


@register
class SamusUs30k(Converter):
    name = "samus-us30k"
    summary = "US30K: <set>/img/*.png with <set>/label/*.png, MainPatient/class.json and {train,val,test}.txt"
    Options = CommonOptions

    def items(self, ctx: ConvertContext) -> Iterator[Item]:
        root = ctx.find_dir(lambda d: (d / "MainPatient" / "class.json").is_file(), "MainPatient/class.json")
        lists = root / "MainPatient"
        try:
            text = read_document(ctx, lists / "class.json", "nothing is converted")
            if text is None:
                return
            counts = {str(k): int(v) for k, v in json.loads(text).items()}
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            ctx.problem("annotation_unreadable", lists / "class.json", f"not a {{folder: class count}} object: {exc}")
            return
        names = self._class_names(lists)
        for folder, count in sorted(counts.items()):
            classes = {0: "background"}
            for k in range(1, max(count, 2)):
                classes[k] = names.get(folder, {}).get(k) or f"class_{k}"
            ctx.declare_target(folder, classes, f"{folder}: {count} classes (class.json)")
        splits = self._splits(ctx, lists)
        ctx.split_note = "Official split: MainPatient/train.txt, val.txt and test.txt of the release."
        for folder, count in sorted(counts.items()):
            images = root / folder / "img"
            if not images.is_dir():
                ctx.problem("missing_image", root / folder, f"class.json names {folder!r}, which has no img/ folder")
                continue
            spec = MaskSpec(encoding="binary") if count <= 2 else MaskSpec(encoding="index")
            for path in sorted(p for p in images.iterdir() if p.is_file() and p.suffix.lower() == ".png"):
                sid = f"{folder}_{path.stem}"
                mask = root / folder / "label" / path.name
                if not mask.is_file():
                    ctx.problem("missing_mask", path, f"no label/{path.name} beside it; image skipped", sample_id=sid)
                    continue
                split = splits.get((folder, path.stem))
                if split is None:
                    ctx.problem("not_in_split_list", path, "in none of train/val/test.txt; seeded split", "warning")
                yield Item(
                    sample_id=sid,
                    image=image_decode(ctx, path),
                    source_file=ctx.rel(path),
                    masks={folder: mask_decode(ctx, mask, spec, folder)},
                    split=split,
                    extra={"source_set": folder},
                )

    @staticmethod
    def _class_names(lists: Path) -> dict[str, dict[int, str]]:
        """Folder -> {class id: task name} from the per-task lists (``train-EchocardiographyLV-CAMUS.txt``).

        A list whose lines give one class id of a folder names that class; a list that covers several ids of a folder
        (the release's ``{split}-Echocardiography-CAMUS.txt`` holds ids 1-3) or gives none (``test-*.txt`` lines are
        ``<folder>/<name>``) only names the classes no single-class list names, whatever order the files sort in.
        """
        ids: dict[tuple[str, str], set[int]] = {}
        for path in sorted(lists.glob("*.txt")):
            m = TASK_LIST.match(path.name)
            if not m:
                continue
            for parts in _lines(path):
                if len(parts) == 3 and parts[0].isdigit():
                    ids.setdefault((parts[1], m.group("task")), set()).add(int(parts[0]))
                elif len(parts) == 2:
                    ids.setdefault((parts[0], m.group("task")), set())
        out: dict[str, dict[int, str]] = {}
        for specific in (True, False):
            for (folder, task), found in ids.items():
                if (len(found) == 1) != specific:
                    continue
                for k in sorted(found or {1}):
                    out.setdefault(folder, {}).setdefault(k, task)
        return out

    @staticmethod
    def _splits(ctx: ConvertContext, lists: Path) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for split in SPLITS:
            path = lists / f"{split}.txt"
            if not path.is_file():
                ctx.problem("missing_annotation", path, f"no MainPatient/{split}.txt", "warning")
                continue
            for parts in _lines(path):
                key = (parts[-2], parts[-1]) if len(parts) >= 2 else None
                if key is None:
                    continue
                if out.get(key, split) != split:
                    ctx.problem("split_conflict", path, f"{'/'.join(key)} is also in {out[key]}.txt; kept there")
                    continue
                out[key] = split
        return out
