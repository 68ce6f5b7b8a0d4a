"""Running `usreg` with the code of a given source tree, for the scripts that compare trees (compare_trees.py,
score_same.py, architecture.py).

The command runs as ``python -P -c ...`` with the tree on PYTHONPATH: without ``-P``, ``python -c`` puts the working
directory first on sys.path, and run from a checkout every tree would run that checkout's code.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

MAIN = "import sys; from registry.cli import main; sys.exit(main())"


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and its worker processes
    done: subprocess.CompletedProcess


def run_tree(src: Path, root: Path, home: Path, *args: str) -> Run:
    """``usreg --root ROOT ARGS`` with the code of ``src`` and its own ``USREG_HOME``, timed."""
    env = {**os.environ, "USREG_HOME": str(home), "PYTHONPATH": str(src), "NO_COLOR": "1", "COLUMNS": "200"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-P", "-c", MAIN, "--root", str(root), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done)


def run_tree_ok(src: Path, root: Path, home: Path, *args: str) -> Run:
    """:func:`run_tree`, stopping the script with the command's error when it fails."""
    run = run_tree(src, root, home, *args)
    if run.done.returncode != 0:
        raise SystemExit(f"{src}: usreg {' '.join(args)} failed ({run.done.returncode}): {run.done.stderr[-2000:]}")
    return run
