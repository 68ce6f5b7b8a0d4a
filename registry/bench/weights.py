"""Locating a model's weights (fetching them when missing) and checking them against the entry's sha256.

Weights are fetched like datasets, by ``registry.fetch.fetch_dataset(model_entry)``: the fetch layer downloads every
weights source with retries and checksums into ``$USREG_HOME/downloads/<model id>/<version>/`` and unpacks archives
into ``$USREG_HOME/sources/<model id>/<version>/``. The runner looks there for the weights file (``weights.file``,
else the source's first file name, else the URL's last segment), fetches once when it is absent, and verifies a
declared sha256 again before running: a released file that does not match the entry's sha256 is an error, never a
warning, and is never run.

``--weights MODEL=PATH`` runs any local file instead: the user's own weights (fine-tuned, converted, a checkpoint of
their own) are never refused for their checksum, because they are not the release. Every run records what ran
(``weights_status`` on each result row, shown by `usreg bench` and the leaderboard):

- ``verified``: the file's sha256 is the one the entry declares, so it is the released file (fetched by usreg, or
  the same bytes given with --weights);
- ``unchecked``: the entry's released file as usreg fetched it, where the entry declares no sha256;
- ``unverified``: a --weights file whose sha256 is not the declared one (or the entry declares none). Its results
  are stored and shown, but they are not evidence about the entry: registry verification (reproduced metrics,
  forward-pass checks, ``registry.bench.verification``) leaves such runs out, so they never change a model's
  published score.

Hugging Face Hub weights pinned to a commit (``weights: {source: {kind: huggingface, id: owner/name}, file: ...,
revision: <40 hex>, sha256: ...}``) are downloaded with ``huggingface_hub.hf_hub_download`` at that revision into
``$USREG_HOME/hub/`` (``registry.home.hub_cache_dir``; huggingface_hub's own cache layout, so a second run reads the
snapshot without a request). The endpoint is ``$USREG_HF_URL``, else ``$HF_ENDPOINT``, else huggingface.co. The file
is checked against the declared sha256 before any adapter reads it; a file that does not match is removed from that
cache and never loaded.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsregError, hint_instead
from ..formats.layout import sha256_file
from ..settings import settings
from .compat import RUNNABLE_WEIGHTS

VERIFIED = "verified"  # sha256 equals the entry's declared sha256: the released weights
UNCHECKED = "unchecked"  # the entry's released file as usreg fetched it; the entry declares no sha256
UNVERIFIED = "unverified"  # a --weights file that is not shown to be the released one: never counted as evidence
WEIGHTS_STATUSES = (VERIFIED, UNCHECKED, UNVERIFIED)


@dataclass(frozen=True)
class ResolvedWeights:
    """The weights file a run uses, its sha256, its ``weights_status`` and whether the user gave it (--weights)."""

    path: Path
    sha256: str
    status: str
    given: bool = False
    declared: str | None = None  # the entry's sha256, if any

    def describe(self) -> str:
        """One line for the CLI: which file ran and whether it is the verified release."""
        origin = "--weights file" if self.given else "released weights"
        if self.status == VERIFIED:
            why = "sha256 matches the entry"
        elif self.status == UNCHECKED:
            why = "the entry declares no sha256"
        elif self.declared:
            why = f"sha256 {self.sha256[:12]} is not the entry's {self.declared[:12]}; not counted in verification"
        else:
            why = "the entry declares no sha256 to check it against; not counted in verification"
        return f"{origin} {self.path} ({self.status}: {why})"


def runnable_weights(model):
    """The first weights declaration the runner can execute: onnx or torchscript, or for an adapter that reads
    tensors (``sam``, ``torch-state-dict``) a safetensors file or a PyTorch state dict / checkpoint."""
    from .compat import TENSOR_ADAPTERS, TENSOR_WEIGHTS

    adapter = getattr(model, "adapter", None)
    formats = TENSOR_WEIGHTS if adapter is not None and adapter.name in TENSOR_ADAPTERS else tuple(RUNNABLE_WEIGHTS)
    index = adapter.options.get("weights_index") if adapter is not None else None
    if isinstance(index, int) and not isinstance(index, bool):  # the entry names which declaration to run
        if 0 <= index < len(model.weights) and model.weights[index].format in formats:
            return model.weights[index]
        raise UsregError(
            f"model {model.id}: adapter option weights_index={index} does not name weights in {', '.join(formats)}",
            hint=f"the entry declares {len(model.weights)} weights; indices start at 0",
        )
    for w in model.weights:
        if w.format in formats:
            return w
    return None


def file_name(w) -> str | None:
    if w.file:
        return w.file
    if w.source.files:
        return w.source.files[0].name
    url = w.source.url or ""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None


LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def _verify(path: Path, expected: str | None, model_id: str) -> str:
    digest = sha256_file(path)
    if expected and digest != expected.lower():
        if path.stat().st_size < 1024 and path.read_bytes().startswith(LFS_POINTER):
            # a repository archive holds Git LFS pointers, not the files they point to
            raise UsregError(
                f"model {model_id}: {path} is a Git LFS pointer, not the weights (the repository archive does not "
                "include Git LFS files)",
                hint=f"download the file itself (sha256 {expected}) from the repository page and pass "
                f"--weights {model_id}=PATH: it runs as the verified release",
            )
        raise UsregError(
            f"model {model_id}: weights {path} have sha256 {digest}, the entry declares {expected}",
            hint="the file is corrupt or a different release; fetch it again or fix the entry's weights.sha256",
        )
    return digest


def cached(model, w, home: Path) -> Path | None:
    """The weights file under the fetch layer's downloads or unpacked sources, if present."""
    from ..fetch import pick_version
    from ..fetch.cache import Layout

    name = file_name(w)
    if not name:
        return None
    layout = Layout(Path(home))
    version = pick_version(model, None)
    direct = layout.downloads(model.id, version) / name
    if direct.is_file():
        return direct
    tree = layout.sources(model.id, version)
    if tree.is_dir():
        found = sorted(p for p in tree.rglob(name) if p.is_file())
        if found:
            return found[0]
    return None


def given_weights(model, override: Path, expected: str | None) -> ResolvedWeights:
    """A --weights file: run as given, ``verified`` only when its sha256 is the entry's, else ``unverified``."""
    given = Path(override)
    if not given.is_file():
        raise UsregError(f"model {model.id}: --weights file {given} does not exist")
    digest = sha256_file(given)
    status = VERIFIED if expected and digest == expected.lower() else UNVERIFIED
    return ResolvedWeights(given, digest, status, given=True, declared=expected)


def released(path: Path, expected: str | None, model_id: str) -> ResolvedWeights:
    """A released file usreg fetched: refused unless it matches a declared sha256; ``unchecked`` if none."""
    return ResolvedWeights(
        path, _verify(path, expected, model_id), VERIFIED if expected else UNCHECKED, declared=expected
    )


def resolve(model, home: Path, override: Path | None = None, fetch: bool = True) -> ResolvedWeights:
    """The weights to run for ``model``: ``override`` (--weights) as given, else the released file, verified."""
    w = runnable_weights(model)
    expected = w.sha256 if w is not None else None
    if override is not None:
        return given_weights(model, override, expected)
    if w is None:
        from .compat import TENSOR_ADAPTERS, TENSOR_WEIGHTS

        adapter = getattr(model, "adapter", None)
        wanted = TENSOR_WEIGHTS if adapter is not None and adapter.name in TENSOR_ADAPTERS else tuple(RUNNABLE_WEIGHTS)
        raise UsregError(
            f"model {model.id} declares no weights in a format its adapter reads ({', '.join(wanted)})",
            hint="add weights in one of those formats to the entry, or pass --weights MODEL=PATH",
        )
    if w.revision is not None:
        return hub_file(model, w, home)
    path = cached(model, w, home)
    if path is None and fetch:
        from ..fetch import FetchError, fetch_dataset

        try:
            fetch_dataset(model, home=Path(home))
        except FetchError as exc:
            hint = hint_instead(exc.hint, f"download the weights elsewhere and pass --weights {model.id}=PATH")
            raise UsregError(f"model {model.id}: cannot fetch its weights: {exc.message}", hint=hint) from exc
        path = cached(model, w, home)
    if path is None:
        raise UsregError(
            f"model {model.id}: weights file {file_name(w) or '(unnamed)'} is not in the cache under {home}",
            hint=f"run `usreg fetch {model.id}`, or pass --weights {model.id}=PATH",
        )
    return released(path, expected, model.id)


def hub_endpoint() -> str:
    """The Hub to download from: ``$USREG_HF_URL`` (the fetch layer's variable), else ``$HF_ENDPOINT``."""
    return settings().urls.get("USREG_HF_URL") or settings().hf_endpoint or "https://huggingface.co"


def hub_file(model, w, home: Path) -> ResolvedWeights:
    """Hub weights pinned to ``w.revision``: downloaded once into the hub cache, then verified."""
    from ..home import hub_cache_dir

    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import (
            EntryNotFoundError,
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError as exc:
        raise UsregError(
            f"model {model.id}: its weights are on the Hugging Face Hub and huggingface_hub is not installed",
            hint="pip install 'usreg[bench]'",
        ) from exc
    repo, name, revision = str(w.source.id), str(w.file), str(w.revision)
    where = f"{repo}@{revision[:12]}/{name}"
    endpoint = hub_endpoint()
    try:
        got = hf_hub_download(
            repo_id=repo,
            filename=name,
            revision=revision,
            cache_dir=str(hub_cache_dir(home)),
            endpoint=endpoint,
            token=settings().hf_token or False,
        )
    except GatedRepoError as exc:
        raise UsregError(
            f"model {model.id}: {where} is gated on the Hub ({first_line(exc)})",
            hint=f"accept its terms at {endpoint}/{repo} and set HF_TOKEN",
        ) from None
    except RepositoryNotFoundError as exc:
        raise UsregError(
            f"model {model.id}: Hub repository {repo} is not available ({first_line(exc)})",
            hint="check weights.source.id; private repositories need HF_TOKEN",
        ) from None
    except RevisionNotFoundError as exc:
        raise UsregError(
            f"model {model.id}: Hub repository {repo} has no commit {revision} ({first_line(exc)})",
            hint="check weights.revision (the full 40-digit commit of the release)",
        ) from None
    except EntryNotFoundError as exc:  # also LocalEntryNotFoundError (offline, file not in the cache)
        offline = isinstance(exc, LocalEntryNotFoundError)
        raise UsregError(
            f"model {model.id}: {where} "
            + ("is not in the hub cache and the Hub cannot be reached" if offline else "does not exist on the Hub"),
            hint=f"check the network or HF_ENDPOINT, or pass --weights {model.id}=PATH"
            if offline
            else "check weights.file against the repository at that commit",
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise UsregError(
            f"model {model.id}: cannot download {where} from {endpoint}: {first_line(exc)}",
            hint=f"try again later, or pass --weights {model.id}=PATH",
        ) from None
    path = Path(got)
    digest = sha256_file(path)
    if digest != str(w.sha256).lower():
        _discard(path)
        raise UsregError(
            f"model {model.id}: Hub file {where} has sha256 {digest}, the entry declares {w.sha256}; "
            "the file was removed from the hub cache and not used",
            hint="the download is corrupt or the entry's sha256/revision is wrong; run again or fix the entry",
        )
    return ResolvedWeights(path, digest, VERIFIED, declared=str(w.sha256))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (at most 300 characters), or its type when the message is empty (an
    empty weights file makes torch.load raise with none)."""
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _discard(path: Path) -> None:
    """Remove a snapshot file and the blob it links to, so the next run downloads it again."""
    blob = path.resolve()
    for p in (path, blob):
        with contextlib.suppress(OSError):
            p.unlink()
