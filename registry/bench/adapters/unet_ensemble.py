"""The trainable U-Net ensemble recipe, in the spirit of the carotid-plaque paper (Rulloni et al., Sci Data 2026):
three U-Nets with different encoders (see ``registry/bench/unet.py``), trained with flip and shift augmentation,
combined by a pixel-wise majority vote.

Recipe (the paper's exact backbones and schedule are unknown, docs/sources.md §1; these are usreg's choices):
- images to grey, resized to ``size`` x ``size`` (default 256), standardised per image; masks resized with nearest;
- augmentation per batch: horizontal flip (p = 0.5) and a random shift of up to ``shift`` (default 0.1) of the
  size in x and y, zero-filled;
- loss: cross-entropy + (1 - soft Dice over the foreground classes); Adam, learning rate ``lr`` (default 1e-3),
  ``epochs`` (default 40), ``batch_size`` (default 8); network k is seeded with ``seed + k``;
- inference: each network's softmax is resized bilinearly to the original size and arg-maxed; the vote picks, per
  pixel, the class chosen by most networks, ties broken by the highest mean probability.

Training writes one file (``torch.save`` of a dict with the config as JSON and the three state dicts, loadable with
``weights_only=True``); its sha256 is the run's weights checksum.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ...errors import UsregError
from ..adapter_options import DEFAULTS, UNetEnsembleOptions, check_recipe
from ..preprocess import Spec, prepare, resize_labels
from .base import Adapter, AdapterInfo, OutputClass, Prediction
from .torch_adapter import import_torch, torch_device

FORMAT = "usreg-unet-ensemble/1"


def majority_vote(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Pixel-wise vote of (M, H, W) label maps; ties go to the class with the highest mean probability.

    ``probs`` is the (C, H, W) mean probability over the M networks. Votes are integers and the tie-break adds
    less than one, so it only decides between classes with equal votes.
    """
    n_classes = probs.shape[0]
    votes = np.stack([(labels == c).sum(axis=0) for c in range(n_classes)]).astype(np.float32)
    return (votes + 0.5 * probs).argmax(axis=0).astype(np.uint8)


class UNetEnsemble(Adapter):
    output_kind = "mask"
    trainable = True

    def __init__(
        self,
        info: AdapterInfo,
        classes: Sequence[OutputClass],
        device: str = "cpu",
        workdir: Path | None = None,
    ) -> None:
        super().__init__(info)
        # ``weights`` is the runner's own option (the recipe's trained file, registry.bench.adapters.build_for_model)
        own = {k: v for k, v in info.options.items() if k != "weights"}
        check_recipe("unet-ensemble", own, info.model_id)
        self.torch = import_torch()
        self.device = torch_device(self.torch, device)
        self.config = {**DEFAULTS, **UNetEnsembleOptions.model_validate(own).model_dump(exclude_unset=True)}
        self.classes = list(classes)
        self.nets: list = []
        self.workdir = workdir
        if info.options.get("weights"):
            self.load(Path(info.options["weights"]))

    @property
    def n_classes(self) -> int:
        return max(2, len(self.classes))

    @property
    def spec(self) -> Spec:
        size = int(self.config["size"])
        return Spec(channels=1, size=(size, size), normalization="per-image")

    # -- training ----------------------------------------------------------------------------------------------
    def _arrays(self, samples: Iterable, target: str | None):
        images, masks = [], []
        size = (int(self.config["size"]),) * 2
        for s in samples:
            key = target or (next(iter(s.masks)) if s.masks else None)
            if key is None or key not in s.masks:
                continue
            images.append(prepare(s.image, self.spec))
            masks.append(resize_labels(s.masks[key], size).astype(np.int64))
        if not images:
            raise UsregError("unet-ensemble: the training split has no sample with a mask to learn from")
        return np.stack(images).astype(np.float32), np.stack(masks)

    def _new_net(self, encoder: str):
        from ..unet import UNet

        return UNet(encoder, 1, self.n_classes, int(self.config["width"]), int(self.config["depth"])).to(self.device)

    def estimate_fit_seconds(self, x_t, y_t) -> float:
        """Seconds the whole fit should take: one timed optimiser step (after a warm-up step) per encoder, times
        the steps of all epochs. Cheap next to training, and honest about the machine it runs on."""
        torch = self.torch
        batch = int(self.config["batch_size"])
        steps = -(-len(x_t) // batch) * int(self.config["epochs"])
        total = 0.0
        for encoder in self.config["encoders"]:
            net = self._new_net(encoder)
            opt = torch.optim.Adam(net.parameters(), lr=float(self.config["lr"]))
            xb, yb = x_t[:batch], y_t[:batch]
            timings = []
            for _ in range(2):
                t0 = time.perf_counter()
                opt.zero_grad()
                self._loss(net(xb), yb).backward()
                opt.step()
                timings.append(time.perf_counter() - t0)
            total += timings[-1] * steps
        return total

    def fit(self, samples, seed: int = 0, progress: Callable[[dict], None] | None = None, target: str | None = None):
        """Train the ensemble. ``progress`` receives event dicts: ``train-estimate`` first (seconds, epochs, steps),
        then ``epoch`` after each epoch of each network (loss, elapsed and remaining seconds)."""
        torch = self.torch

        x_all, y_all = self._arrays(samples, target or self.config.get("target"))
        if int(y_all.max()) >= self.n_classes:
            raise UsregError(f"unet-ensemble: mask label {int(y_all.max())} exceeds the {self.n_classes} classes")
        x_t = torch.from_numpy(x_all).to(self.device)
        y_t = torch.from_numpy(y_all).to(self.device)
        epochs = int(self.config["epochs"])
        nets = len(self.config["encoders"])
        if progress:
            progress(
                {
                    "event": "train-estimate",
                    # at least 0.1 s: a tiny training on a fast machine is not "0.0 seconds"
                    "seconds": max(0.1, round(self.estimate_fit_seconds(x_t, y_t), 1)),
                    "networks": nets,
                    "epochs": epochs,
                    "samples": len(x_t),
                    "device": self.device,
                }
            )
        self.nets = []
        started = time.perf_counter()
        for k, encoder in enumerate(self.config["encoders"]):
            torch.manual_seed(seed + k)
            gen = np.random.default_rng(seed + k)
            net = self._new_net(encoder)
            opt = torch.optim.Adam(net.parameters(), lr=float(self.config["lr"]))
            net.train()
            for epoch in range(int(self.config["epochs"])):
                order = gen.permutation(len(x_t))
                losses = []
                for start in range(0, len(order), int(self.config["batch_size"])):
                    idx = torch.from_numpy(order[start : start + int(self.config["batch_size"])]).to(self.device)
                    xb, yb = self._augment(x_t[idx], y_t[idx], gen)
                    opt.zero_grad()
                    loss = self._loss(net(xb), yb)
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.detach()))
                if progress:
                    done = k * epochs + epoch + 1
                    elapsed = time.perf_counter() - started
                    progress(
                        {
                            "event": "epoch",
                            "network": f"{k + 1}/{nets} ({encoder})",
                            "epoch": epoch + 1,
                            "epochs": epochs,
                            "loss": round(float(np.mean(losses)), 5),
                            "elapsed": round(elapsed, 1),
                            "eta": round(elapsed / done * (nets * epochs - done), 1),
                        }
                    )
            net.eval()
            self.nets.append(net)
        self.train_seconds = time.perf_counter() - started
        if self.workdir:
            path = self.save(self.workdir / f"unet-ensemble-seed{seed}.pt")
            self.info.weights_path = str(path)

    def _augment(self, x, y, gen: np.random.Generator):
        torch = self.torch
        if gen.random() < 0.5:
            x, y = torch.flip(x, dims=[-1]), torch.flip(y, dims=[-1])
        limit = round(float(self.config["shift"]) * x.shape[-1])
        if limit:
            dy, dx = (int(v) for v in gen.integers(-limit, limit + 1, size=2))
            x, y = _shift(torch, x, dy, dx), _shift(torch, y, dy, dx)
        return x, y

    def _loss(self, logits, target):
        torch = self.torch
        ce = torch.nn.functional.cross_entropy(logits, target)
        probs = torch.softmax(logits, dim=1)
        onehot = torch.nn.functional.one_hot(target, self.n_classes).permute(0, 3, 1, 2).float()
        inter = (probs * onehot).sum(dim=(0, 2, 3))[1:]
        denom = (probs + onehot).sum(dim=(0, 2, 3))[1:]
        dice = (2 * inter + 1.0) / (denom + 1.0)
        return ce + (1 - dice.mean())

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, path: Path) -> Path:
        torch = self.torch
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {**self.config, "format": FORMAT, "classes": [[c.id, c.name] for c in self.classes]}
        tmp = path.with_suffix(path.suffix + ".part")
        torch.save({"config": json.dumps(config), "state_dicts": [n.state_dict() for n in self.nets]}, tmp)
        tmp.replace(path)
        self.info.weights_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        return path

    def load(self, path: Path) -> None:
        torch = self.torch
        from ..unet import UNet

        try:
            blob = torch.load(str(path), map_location=self.device, weights_only=True)
            config = json.loads(blob["config"])
        except Exception as exc:
            raise UsregError(
                f"unet-ensemble: cannot read {path} ({exc})", hint="pass a file written by --train"
            ) from exc
        if config.get("format") != FORMAT:
            raise UsregError(f"unet-ensemble: {path} is not a {FORMAT} file")
        self.config = {k: config[k] for k in DEFAULTS if k in config}
        self.classes = [OutputClass(int(i), str(n)) for i, n in config["classes"]] or self.classes
        self.nets = []
        for encoder, state in zip(self.config["encoders"], blob["state_dicts"], strict=True):
            net = UNet(encoder, 1, self.n_classes, int(self.config["width"]), int(self.config["depth"]))
            net.load_state_dict(state)
            self.nets.append(net.to(self.device).eval())
        self.info.weights_sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        self.info.weights_path = str(path)

    # -- inference ---------------------------------------------------------------------------------------------
    def predict(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        if not self.nets:
            raise UsregError(
                "unet-ensemble has not been trained", hint="run `usreg bench DATASET --train unet-ensemble`"
            )
        torch = self.torch
        batch = torch.from_numpy(np.stack([prepare(im, self.spec) for im in images]).astype(np.float32))
        batch = batch.to(self.device)
        out = []
        with torch.inference_mode():
            probs = [torch.softmax(net(batch), dim=1) for net in self.nets]
            for i, im in enumerate(images):
                size = tuple(im.shape[:2])
                per_net = [
                    torch.nn.functional.interpolate(p[i : i + 1], size=size, mode="bilinear", align_corners=False)[0]
                    for p in probs
                ]
                stacked = torch.stack(per_net)
                labels = stacked.argmax(dim=1).cpu().numpy()
                mean = stacked.mean(dim=0).cpu().numpy()
                out.append(Prediction(mask=majority_vote(labels, mean)))
        return out


def _shift(torch, t, dy: int, dx: int):
    """Translate the last two axes by (dy, dx) pixels, filling with zeros (background for masks)."""
    out = torch.zeros_like(t)
    h, w = t.shape[-2:]
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[..., yd, xd] = t[..., ys, xs]
    return out
