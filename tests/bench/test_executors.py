"""The local process pool and the Ray executor give the same results as running jobs one by one."""

from __future__ import annotations

import pytest

from registry.bench.executors import run_jobs
from registry.bench.jobs import BenchJob, ModelRef
from registry.errors import UsageError
from tests.bench.helpers import view
from tests.bench.synthetic import carotid_like


def _jobs():
    samples = carotid_like(8, seed=11)
    return [
        BenchJob("synthetic-carotid", ModelRef(builtin=name), n_boot=20, view=view(samples))
        for name in ("all-background", "intensity-threshold")
    ]


def _values(outcomes):
    return [{r["metric"]: r["value"] for r in o.rows} for o in outcomes]


def test_process_pool_matches_serial_runs():
    serial = run_jobs(_jobs(), workers=1)
    pooled = run_jobs(_jobs(), workers=2)
    assert [o.model_id for o in pooled] == ["builtin:all-background", "builtin:intensity-threshold"]
    assert all(o.ok for o in pooled)
    assert _values(serial) == _values(pooled)


def test_unknown_executor_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown executor"):
        run_jobs(_jobs(), executor="dask")


def test_ray_executor_on_a_local_instance():
    pytest.importorskip("ray", reason="Ray is the optional executor (pip install 'usreg[ray]')")
    serial = run_jobs(_jobs(), workers=1)
    seen = []
    remote = run_jobs(_jobs(), executor="ray", workers=2, on_done=lambda o: seen.append(o.model_id))
    assert all(o.ok for o in remote), [o.error for o in remote]
    assert _values(serial) == _values(remote)
    assert seen == ["builtin:all-background", "builtin:intensity-threshold"]
