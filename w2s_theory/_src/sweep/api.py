r"""``run_sweep`` and ``open_sweep``: grids of theory curves and exact simulations, run on
Dask, stored as a labelled xarray Dataset in a resumable Zarr store.

>>> import tempfile, os, w2s_theory as w2s
>>> tmp = tempfile.TemporaryDirectory()
>>> out = os.path.join(tmp.name, "S.zarr")
>>> run = w2s.run_sweep(out=out, dim=6, teacher_width=[50, 100], student_width="inf",
...                     simulation=False, scheduler="serial")
>>> run.computed, run.skipped
(1, 0)
>>> ds = w2s.open_sweep(out)
>>> ds.optimal_pgr.dims, bool((ds.optimal_pgr > 0.9).all())
(('teacher_width',), True)
>>> w2s.run_sweep(out=out, dim=6, teacher_width=[50, 100], student_width="inf",
...               simulation=False, scheduler="serial").computed     # nothing left
0
>>> tmp.cleanup()
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidArgument
from .config import SweepConfig, load_config_file
from .grid import Grid
from .store import StoreWriter, check_store, create_store, done_tasks, open_sweep
from .variables import variables

__all__ = ["run_sweep", "open_sweep", "SweepRun", "SweepError", "build_grid"]


@dataclass
class SweepRun:
    """What a call of :func:`run_sweep` did: tasks computed now, tasks the store already
    had, the failures (``(task, point, kind, argument, message)``, the argument as the
    user named it), the workers and the seconds."""

    path: Path
    grid: Grid
    computed: int = 0
    skipped: int = 0
    failures: list = field(default_factory=list)
    workers: int = 0
    scheduler: str = ""
    seconds: float = 0.0
    warnings: set = field(default_factory=set)

    @property
    def tasks(self) -> int:
        return len(self.grid.tasks)

    @property
    def complete(self) -> bool:
        return not self.failures and self.computed + self.skipped == self.tasks

    def failure_summary(self) -> str:
        """One line: the first failure (its option and point) and how many there were."""
        if not self.failures:
            return ""
        task, point, kind, argument, message = self.failures[0]
        where = self.grid.describe_point(point)
        more = f"; {len(self.failures)} of {self.tasks} tasks failed" \
            if len(self.failures) > 1 else ""
        head = f"{argument}: " if argument else f"{kind}: " if kind != \
            "InvalidArgument" else ""
        at = f" (at {where})" if where else ""
        return f"{head}{message}{at}{more}"


class SweepError(RuntimeError):
    """Some tasks of a sweep failed (the others are in the store; ``.run`` says which)."""

    def __init__(self, run: SweepRun):
        self.run = run
        super().__init__(run.failure_summary())


def build_grid(config=None, **values) -> tuple:
    """``(grid, out)``: the validated grid of a config (a TOML path, a dict of values or
    a :class:`SweepConfig`) with ``values`` overriding its keys, and the TOML's ``out``."""
    out = None
    sources = []
    if isinstance(config, SweepConfig):
        if values:
            raise InvalidArgument("config", "give a SweepConfig or values, not both")
        return Grid.build(config), None
    if isinstance(config, (str, Path)):
        file_values, file_label, out = load_config_file(config)
        sources.append((file_values, file_label))
    elif isinstance(config, dict):
        sources.append((dict(config), lambda k: k))
    elif config is not None:
        raise InvalidArgument("config", f"expected a TOML path, a dict or a SweepConfig, "
                              f"got {config!r}")
    sources.append((values, lambda k: k))
    return Grid.build(SweepConfig.from_sources(sources)), out


def run_sweep(config=None, out=None, *, scheduler="local", workers=None, progress=None,
              errors="raise", **values) -> SweepRun:
    r"""Run a sweep into the Zarr store ``out``: every task the store does not have yet.

    Parameters
    ----------
    config
        A TOML file (its keys: the setting's, ``seeds``/``seed``/``method``, ``theory``,
        ``simulation``, ``grid``, ``points_per_task``, ``out``), a dict of the same keys,
        or a :class:`~.config.SweepConfig`; ``values`` (the same keys) override it. A
        list is an axis (see :mod:`.config`).
    out
        The store (a folder, ``.zarr`` by convention); default: the config's ``out``.
    scheduler
        ``"local"`` (a Dask LocalCluster of ``workers`` processes, default one per
        core), ``"serial"`` (this process), an address of a Dask scheduler, or a
        :class:`distributed.Client`.
    progress
        ``progress(done, total)`` as tasks complete.
    errors
        ``"raise"``: if tasks failed, raise :class:`SweepError` after the others are
        stored (:class:`InvalidArgument` if the failure is one); ``"return"``: report
        them in the result.

    Every point is validated before the store is touched; a store of another sweep or
    another package version is refused (:class:`InvalidArgument` naming ``--out``).
    """
    t0 = time.perf_counter()
    grid, file_out = build_grid(config, **values)
    out = out if out is not None else file_out
    if out is None:
        raise InvalidArgument("--out", "give the store to write (a path such as "
                              "sweep.zarr)")
    if errors not in ("raise", "return"):
        raise InvalidArgument("errors", f"must be 'raise' or 'return', got {errors!r}")
    path = Path(out)
    label = grid.config.label
    names = variables(grid.config.theory, grid.config.simulation, grid.curve_dim)
    info = check_store(path, grid)
    done = done_tasks(path) if info is not None else set()
    todo = [t for t in grid.tasks if t.id not in done]
    run = SweepRun(path=path, grid=grid, skipped=len(grid.tasks) - len(todo),
                   scheduler=_scheduler_name(scheduler))
    if not todo:
        run.seconds = time.perf_counter() - t0
        return run
    from .execute import open_runner, plan_workers, task_bytes

    if scheduler in (None, "local", "serial"):
        w = plan_workers(grid, todo, 1 if scheduler == "serial" else workers, label)
        runner = open_runner("serial" if scheduler == "serial" else "local", w)
    else:
        if workers is not None:
            raise InvalidArgument("--workers", "goes with a local cluster (the cluster at "
                                  "--scheduler has its own workers)")
        runner = open_runner(scheduler)
        limit = runner.worker_memory()
        need = max(task_bytes(grid, t) for t in todo)
        if limit is not None and need > limit:
            runner.close()
            raise InvalidArgument("--scheduler", f"a task needs about {need / 2**30:.2f} "
                                  f"GiB; the cluster's workers have at most "
                                  f"{limit / 2**30:.2f} GiB")
    run.workers = runner.workers
    try:
        if info is None and not create_store(path, grid, names):
            check_store(path, grid)                  # made meanwhile: must be this sweep
        with StoreWriter(path, grid, names) as writer:
            done = done_tasks(path)                  # under the lock: the final word
            todo = [t for t in todo if t.id not in done]
            run.skipped = len(grid.tasks) - len(todo)
            _execute(run, runner, writer, todo, names, progress)
    finally:
        runner.close()
    run.seconds = time.perf_counter() - t0
    if run.failures and errors == "raise":
        task, point, kind, argument, message = run.failures[0]
        if kind == "InvalidArgument":
            raise InvalidArgument(argument, message + f" (at {grid.describe_point(point)})")
        raise SweepError(run)
    return run


def _scheduler_name(scheduler) -> str:
    if scheduler is None:
        return "local"
    return scheduler if isinstance(scheduler, str) else "client"


def _execute(run, runner, writer, todo, names, progress):
    from .task import compute_task, compute_task_on_worker

    grid = run.grid
    c = grid.config
    by_id = {t.id: t for t in todo}
    var_names = [v.name for v in names]
    jobs = []
    for t in todo:
        settings = [grid.settings[i] for i in t.points]
        sims = None if grid.sim is None else [grid.sim[i] for i in t.points]
        jobs.append((t.id, (t.id, settings, sims, var_names, grid.curve_len, c.theory,
                            c.simulation)))
    fn = compute_task if runner.client is None else compute_task_on_worker
    total = len(jobs)
    if progress:
        progress(0, total)

    def on_result(task_id, result):
        task = by_id[task_id]
        if isinstance(result, BaseException):
            run.failures.append((task_id, task.points[0], type(result).__name__, "",
                                 str(result).splitlines()[0] if str(result) else ""))
        elif result.error is not None:
            offset, kind, argument, message = result.error
            run.failures.append((task_id, task.points[offset], kind,
                                 grid.config.label(argument) if argument else "",
                                 message))
        else:
            writer.write(task, result)
            run.computed += 1
            run.warnings.update(result.warnings)
        if progress:
            progress(run.computed + len(run.failures), total)

    runner.run(fn, jobs, on_result)
