r"""Where a sweep's tasks run: in this process, on a Dask LocalCluster, or on an existing
Dask cluster; and the memory each task needs, checked before anything is scheduled.

* ``"serial"``: in this process, one task after the other, one BLAS thread.
* ``"local"`` (the default): a :class:`distributed.LocalCluster` of worker processes,
  one per core (or ``workers``), one thread each, each worker's BLAS libraries set to
  one thread (:func:`~w2s_theory._src.simulation.runner.limit_blas_threads`).
* an address (``tcp://host:8786``) or a :class:`distributed.Client`: an existing
  cluster, used as it is; an address that does not answer within
  :data:`CONNECT_TIMEOUT` seconds is an error naming ``--scheduler``.

Results come back to this process, which alone writes the store (workers need no
access to it).
"""

from __future__ import annotations

import contextlib
import logging
import uuid

from ..errors import InvalidArgument, check_int

__all__ = ["CONNECT_TIMEOUT", "THEORY_BYTES", "task_bytes", "plan_workers", "Runner",
           "open_runner"]

#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 5
#: memory of one theory evaluation (tables of a few thousand blocks), an estimate
THEORY_BYTES = 64 << 20


def task_bytes(grid, task) -> int:
    """Peak bytes of one task: its widest exact simulation (the simulator's
    :func:`~w2s_theory._src.simulation.linalg.gram_bytes`), or the theory's estimate."""
    from ..simulation.linalg import gram_bytes

    need = THEORY_BYTES
    if grid.sim is not None:
        for i in task.points:
            s = grid.settings[i]
            widest = max(s.teacher_width, s.student_width or 0)
            need = max(need, gram_bytes(widest, s.teacher_width) + THEORY_BYTES)
    return need


def _widest_point(grid, tasks):
    """``(bytes, key, point)`` of the task that needs the most memory."""
    best = (0, "teacher_width", 0)
    for t in tasks:
        b = task_bytes(grid, t)
        if b > best[0]:
            i = max(t.points, key=lambda p: max(grid.settings[p].teacher_width,
                                                grid.settings[p].student_width or 0))
            s = grid.settings[i]
            key = "student_width" if (s.student_width or 0) > s.teacher_width \
                else "teacher_width"
            best = (b, key, i)
    return best


def plan_workers(grid, tasks, workers=None, label=lambda k: k) -> int:
    """Worker processes for a local run: ``workers``, or the cores (no more than the
    tasks); fewer when the widest task does not fit in each worker's share of memory
    (:func:`~w2s_theory._src.simulation.linalg.memory_budget`). A task that does not fit
    even alone is refused, naming its width's option and the point."""
    from ..simulation.linalg import memory_budget
    from ..simulation.runner import cpu_count

    explicit = workers is not None
    w = check_int("--workers", workers, minimum=1) if explicit else \
        max(1, min(cpu_count(), len(tasks)))
    if not tasks:
        return w
    need, key, point = _widest_point(grid, tasks)
    while need > memory_budget(w) and w > 1 and not explicit:
        w -= 1
    if need > memory_budget(w):
        budget = memory_budget(w)
        raise InvalidArgument(label(key), f"a task needs about {need / 2**30:.2f} GiB "
                              f"(at {grid.describe_point(point)}); each of {w} worker(s) "
                              f"has {budget / 2**30:.2f} GiB"
                              + (" (use fewer --workers)" if explicit and w > 1 else ""))
    return w


class Runner:
    """Runs task functions and hands each result to ``on_result`` as it completes."""

    def __init__(self, kind, client=None, cluster=None, workers=1):
        self.kind, self.client, self.cluster, self.workers = kind, client, cluster, workers

    def run(self, fn, jobs, on_result):
        """``on_result(job_key, result)`` for ``fn(*args)`` of each ``(job_key, args)``."""
        if self.client is None:
            from ..simulation.runner import blas_threads

            with blas_threads(1):
                for key, args in jobs:
                    on_result(key, fn(*args))
            return
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        futures = {}
        for key, args in jobs:
            fut = self.client.submit(fn, *args, key=f"w2s-sweep-{token}-{key}",
                                     pure=False)
            futures[fut] = key
        try:
            for fut in as_completed(list(futures)):
                key = futures.pop(fut)
                try:
                    result = fut.result()
                except Exception as exc:  # noqa: BLE001 - a worker died, ...
                    result = exc
                fut.release()
                on_result(key, result)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise

    def close(self):
        if self.client is not None and self.kind == "local":
            with contextlib.suppress(Exception):
                self.client.close()
            with contextlib.suppress(Exception):
                self.cluster.close()
        elif self.client is not None and self.kind == "address":
            with contextlib.suppress(Exception):
                self.client.close()

    def worker_memory(self) -> int | None:
        """The largest memory limit of the cluster's workers (``None``: unlimited or
        unknown)."""
        if self.client is None:
            return None
        try:
            info = self.client.scheduler_info()
        except Exception:  # noqa: BLE001
            return None
        limits = [w.get("memory_limit") or 0 for w in info.get("workers", {}).values()]
        return max(limits) if limits and all(limits) else None


def open_runner(scheduler="local", workers=None) -> Runner:
    """A :class:`Runner` for ``scheduler``: ``"serial"``, ``"local"`` (a LocalCluster
    of ``workers`` processes), an address, or a :class:`distributed.Client`."""
    if scheduler is None or scheduler == "local":
        return _local(workers)
    if scheduler == "serial":
        return Runner("serial")
    if isinstance(scheduler, str):
        return _connect(scheduler)
    # a Client (duck-typed: anything with submit and scheduler_info)
    if hasattr(scheduler, "submit") and hasattr(scheduler, "scheduler_info"):
        return Runner("client", client=scheduler)
    raise InvalidArgument("--scheduler", f"expected 'local', 'serial', an address or a "
                          f"distributed.Client, got {scheduler!r}")


def _quiet_logs():
    for name in ("distributed", "distributed.nanny", "distributed.scheduler",
                 "distributed.worker", "distributed.core", "distributed.comm",
                 "distributed.client", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _local(workers) -> Runner:
    from distributed import Client, LocalCluster

    _quiet_logs()
    n = int(workers)
    env = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["W2S_SIM_WORKERS"] = str(n)
    import dask

    # no statistical profiler in the workers (it samples every 10 ms) and a slower system
    # monitor: both cost CPU that the tasks need on a busy machine
    quiet = {"distributed.worker.profile.enabled": False,
             "distributed.admin.system-monitor.interval": "2s"}
    with _no_dask_warnings(), dask.config.set(quiet):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL,
                               env=env)
        client = Client(cluster)
    return Runner("local", client=client, cluster=cluster, workers=n)


def _connect(address) -> Runner:
    from distributed import Client

    _quiet_logs()
    try:
        with _no_dask_warnings():
            client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgument("--scheduler", f"cannot reach a Dask scheduler at "
                              f"{address} within {CONNECT_TIMEOUT} s ({detail[:120]})"
                              ) from None
    n = len(client.scheduler_info().get("workers", {}))
    return Runner("address", client=client, workers=n)


@contextlib.contextmanager
def _no_dask_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
