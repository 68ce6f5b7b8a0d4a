"""Progress reporting: rich bars on stderr for people, JSON lines for machines, logging for library callers.

Reporters are called from the download threads; every implementation is thread-safe.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import IO, TYPE_CHECKING, Any

from ..settings import settings
from .errors import redact_text

if TYPE_CHECKING:
    from rich.console import Console

    from .plan import FetchPlan

log = logging.getLogger("registry.fetch")


class Reporter:
    """The interface, and the quiet default: messages go to the ``registry.fetch`` logger."""

    def plan(self, plan: FetchPlan) -> None:
        pass

    def file_started(self, name: str, total: int | None, already: int) -> None:
        pass

    def advance(self, name: str, nbytes: int) -> None:
        pass

    def file_done(self, name: str, status: str, info: dict[str, Any]) -> None:
        pass

    def message(self, text: str, level: str = "info") -> None:
        getattr(log, "warning" if level == "warning" else "info")(text)

    def result(self, obj: dict[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class JsonReporter(Reporter):
    """One JSON object per line: plan, start, progress (at most every ``interval`` seconds per file), file,
    message and result events."""

    def __init__(self, stream: IO[str] | None = None, interval: float = 0.5) -> None:
        self.stream = stream or sys.stdout
        self.interval = interval
        self._lock = threading.Lock()
        self._files: dict[str, dict[str, Any]] = {}

    def _emit(self, obj: dict[str, Any]) -> None:
        with self._lock:
            self.stream.write(redact_text(json.dumps(obj, default=str)) + "\n")  # no credentials or signatures
            self.stream.flush()

    def plan(self, plan: FetchPlan) -> None:
        self._emit({"event": "plan", **plan.as_dict()})

    def file_started(self, name: str, total: int | None, already: int) -> None:
        with self._lock:
            self._files[name] = {
                "bytes": already,
                "total": total,
                "t0": time.monotonic(),
                "last": 0.0,
                "start": already,
            }
        self._emit({"event": "start", "file": name, "total": total, "resumed_from": already})

    def advance(self, name: str, nbytes: int) -> None:
        with self._lock:
            state = self._files.get(name)
            if state is None:
                return
            state["bytes"] += nbytes
            now = time.monotonic()
            if now - state["last"] < self.interval:
                return
            state["last"] = now
            elapsed = max(now - state["t0"], 1e-6)
            rate = (state["bytes"] - state["start"]) / elapsed
            total = state["total"]
            eta = (total - state["bytes"]) / rate if total and rate > 0 else None
            event = {
                "event": "progress",
                "file": name,
                "bytes": state["bytes"],
                "total": total,
                "rate": round(rate),
                "eta": round(eta, 1) if eta is not None else None,
            }
        self._emit(event)

    def file_done(self, name: str, status: str, info: dict[str, Any]) -> None:
        self._emit({"event": "file", "file": name, "status": status, **info})

    def message(self, text: str, level: str = "info") -> None:
        self._emit({"event": "message", "level": level, "text": text})

    def result(self, obj: dict[str, Any]) -> None:
        self._emit({"event": "result", **obj})


class RichReporter(Reporter):
    """Rich progress bars on stderr: one per file (bytes, rate, ETA) and one overall."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.console = console or Console(stderr=True, no_color=settings().no_color, highlight=False)
        self.progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._overall: Any = None
        self._overall_total: int | None = None
        self._overall_label: str | None = None
        self._lock = threading.Lock()
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self.progress.start()
            self._started = True

    def plan(self, plan: FetchPlan) -> None:
        """Note the plan; the bars appear with the first transfer (a manual source, a --from-file ingest or a
        cached file moves no bytes and shows none)."""
        with self._lock:
            self._overall_label = f"{plan.dataset_id} (all files)"
            self._overall_total = plan.total_size
            if self._overall is not None:
                self.progress.update(self._overall, total=plan.total_size)

    def file_started(self, name: str, total: int | None, already: int) -> None:
        with self._lock:
            self._start()
            if self._overall is None and self._overall_label is not None:
                self._overall = self.progress.add_task(self._overall_label, total=self._overall_total)
            label = name if len(name) <= 40 else "…" + name[-39:]
            task = self._tasks.get(name)
            if task is None:
                self._tasks[name] = self.progress.add_task(label, total=total, completed=already)
                if self._overall is not None and already:
                    self.progress.advance(self._overall, already)
            else:
                self.progress.update(task, total=total)

    def advance(self, name: str, nbytes: int) -> None:
        task = self._tasks.get(name)
        if task is not None:
            self.progress.advance(task, nbytes)
        if self._overall is not None:
            self.progress.advance(self._overall, nbytes)

    def file_done(self, name: str, status: str, info: dict[str, Any]) -> None:
        with self._lock:
            task = self._tasks.get(name)
            size = info.get("size")
            if task is not None and size is not None:
                self.progress.update(task, total=size, completed=size)
            elif task is None and size and self._overall_total is not None:
                # a cached or ingested file moves no bytes: take it out of the total instead of faking a rate
                self._overall_total = max(0, self._overall_total - size)
                if self._overall is not None:
                    self.progress.update(self._overall, total=self._overall_total)

    def message(self, text: str, level: str = "info") -> None:
        style = "yellow" if level == "warning" else None
        prefix = "warning: " if level == "warning" else ""
        from ..wrapping import wrap_text

        width = self.console.width if self.console.is_terminal else None
        self.console.print(wrap_text(prefix + redact_text(text), width), style=style, markup=False, highlight=False)

    def close(self) -> None:
        with self._lock:
            if self._started:
                self.progress.stop()
                self._started = False
