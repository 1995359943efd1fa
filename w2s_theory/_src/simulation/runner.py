"""Many seeds, reproducibly, in parallel across the cores.

* **Reproducibility.** ``numpy.random.SeedSequence(seed).spawn(seeds)`` gives seed ``i``
  its own stream, independent of how many workers run and in which order they finish;
  each seed's stream is spawned again into the teacher's weights, the student's weights
  and (practitioner's simulation) the data (:func:`seed_streams`).
* **Parallelism.** A process pool, with one BLAS thread per worker so that two workers
  on two cores do not oversubscribe them: on Linux the workers are forked (no
  re-import, and scripts without a ``__main__`` guard work) and each sets the thread
  count of every OpenBLAS library loaded in it through its ``*_set_num_threads`` entry
  point (the ``threadpoolctl`` technique, without the dependency); elsewhere they are
  spawned with ``OPENBLAS_NUM_THREADS=1`` and friends in their environment. A single
  worker runs in-process, with one BLAS thread by default too (:func:`blas_threads`:
  OpenBLAS threads spin-wait, and on cores busy with other work a small ``dsytrd`` was
  measured 250 times slower with two threads than with one); ask for more for one big
  eigendecomposition on an idle machine. The pool is kept for later calls of the same
  size and shut down at exit.
* **Interrupts.** A long LAPACK call holds its process's interpreter lock: a process
  inside one cannot react to Ctrl-C until it returns (minutes for a width of 8,000). So
  long work runs in worker processes (``isolate``: a pool of one worker rather than
  in-process), the calling process waits on them and stays responsive, and an error or
  an interrupt kills the workers at once (:func:`_abandon_pool`) - nothing keeps the
  command alive after Ctrl-C.
* Work items are plain picklable tuples; each worker rebuilds (and caches) the feature
  family from the :class:`~w2s_theory._src.setting.Setting` (:func:`build_family`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
from functools import lru_cache

import numpy as np

__all__ = ["picklable", "build_family", "seed_streams", "run_seeds", "cpu_count",
           "shutdown_pool", "kill_pool", "limit_blas_threads", "blas_threads"]

_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
              "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                      # pragma: no cover
        return max(1, os.cpu_count() or 1)


def picklable(obj) -> bool:
    """Whether ``obj`` can be sent to a worker process (user lambdas cannot)."""
    try:
        pickle.dumps(obj)
        return True
    except Exception:  # noqa: BLE001 - lambdas, local functions...
        return False


@lru_cache(maxsize=8)
def build_family(setting, truncation: int | None = None):
    """The feature family of a :class:`~w2s_theory._src.setting.Setting` (cached per
    process: workers receive the setting, which pickles, and rebuild the family once)."""
    from .families import make_family

    return make_family(setting.spectrum, setting.bound_target, truncation)


def seed_streams(seed_seq: np.random.SeedSequence):
    """``(teacher, student, data)`` generators of one seed."""
    t, s, x = seed_seq.spawn(3)
    return np.random.default_rng(t), np.random.default_rng(s), np.random.default_rng(x)


# --------------------------------------------------------------------------------------
# The pool

_POOL = {"executor": None, "workers": 0}


def _noop():
    return os.getpid()


def limit_blas_threads(n: int = 1) -> int:
    """Set the thread count of the OpenBLAS libraries loaded in this process (the
    ``threadpoolctl`` technique, without the dependency), and the usual environment
    variables for libraries loaded later. Returns how many libraries were set."""
    import ctypes

    for k in _BLAS_VARS:
        os.environ[k] = str(n)
    libs = _openblas_libs()
    for set_, _ in libs:
        set_(ctypes.c_int(int(n)))
    return len(libs)


def _openblas_libs():
    import ctypes

    out = []
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh}
    except OSError:                                             # pragma: no cover
        return out
    for path in sorted(paths):
        base = os.path.basename(path).lower()
        if "openblas" not in base or ".so" not in base:
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError:                                         # pragma: no cover
            continue
        for suffix in ("64_", ""):
            for prefix in ("scipy_openblas", "openblas"):
                setter = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                getter = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    out.append((setter, getter))
                    break
            else:
                continue
            break
    return out


@contextlib.contextmanager
def blas_threads(n: int | None):
    """Run a block with ``n`` OpenBLAS threads (``None``: leave them), then restore.

    Multithreaded OpenBLAS spin-waits for its threads: on cores busy with other work
    a small ``dsytrd`` can run a hundred times slower than on one thread, so the
    simulations use one thread per process by default.
    """
    import ctypes

    if n is None:
        yield
        return
    libs = _openblas_libs()
    saved = [int(get()) for _, get in libs]
    for set_, _ in libs:
        set_(ctypes.c_int(int(n)))
    try:
        yield
    finally:
        for (set_, _), k in zip(libs, saved):
            set_(ctypes.c_int(k))


def _worker_init(workers=1, threads=1):
    if threads is not None:
        limit_blas_threads(threads)
    os.environ["W2S_SIM_WORKERS"] = str(workers)   # memory_budget() per worker


@contextlib.contextmanager
def _signals_deferred():
    """Hold SIGINT while worker processes are forked, and deliver it after. A Ctrl-C
    landing in an at-fork handler (the logging module registers some) would be printed
    and dropped ("Exception ignored"), and the command would run on; held, it is raised
    right after the forks, where the pool is cleaned up. (The workers inherit the held
    signal: they ignore Ctrl-C, and are killed by their parent.)"""
    import signal
    import threading

    if not hasattr(signal, "pthread_sigmask") or \
            threading.current_thread() is not threading.main_thread():
        yield                                                   # pragma: no cover
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _get_pool(workers: int, threads: int | None = 1):
    # the pool machinery is imported only when a pool is wanted (issue 15: start-up)
    import concurrent.futures as cf
    import multiprocessing

    if _POOL["executor"] is not None and _POOL["workers"] == workers and \
            _POOL.get("threads", 1) == threads:
        return _POOL["executor"]
    shutdown_pool()
    linux = os.path.exists("/proc/self/maps")
    fork = "fork" in multiprocessing.get_all_start_methods() and linux
    saved = {k: os.environ.get(k) for k in _BLAS_VARS}
    try:
        if not fork:                                            # pragma: no cover
            for k in _BLAS_VARS:
                os.environ[k] = "1"
        ex = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
            initializer=_worker_init, initargs=(workers, threads))
        # registered before its workers start: an interrupt from here on kills them
        _POOL.update(executor=ex, workers=workers, threads=threads)
        try:
            # `workers` tasks start every worker now (while the variables are set)
            with _signals_deferred():
                futures = [ex.submit(_noop) for _ in range(workers)]
            for f in futures:
                f.result()
        except BaseException:
            _abandon_pool(ex)
            raise
    finally:
        if not fork:                                            # pragma: no cover
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return ex


def shutdown_pool() -> None:
    """Stop the worker processes (also done at exit)."""
    ex = _POOL["executor"]
    if ex is not None:
        ex.shutdown(wait=True, cancel_futures=True)
    _POOL.update(executor=None, workers=0)


def _abandon_pool(ex, futures=()) -> None:
    """Drop the pool ``ex`` at once: cancel what has not started, and kill the workers
    (one may be inside a LAPACK call that would run for minutes and ignores signals
    handled in Python; SIGKILL, since a forked worker inherits the parent's Python-level
    handlers). Nothing is left running that could keep the process alive at exit."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    for f in futures:
        f.cancel()
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        try:
            p.kill()
        except (OSError, ValueError, AttributeError):         # pragma: no cover
            pass
    for p in procs:
        try:
            p.join(1.0)
        except (OSError, ValueError, AssertionError):          # pragma: no cover
            pass
    if _POOL["executor"] is ex:
        _POOL.update(executor=None, workers=0)


def kill_pool() -> None:
    """Stop the worker processes at once (an interrupted command: they may be busy)."""
    if _POOL["executor"] is not None:
        _abandon_pool(_POOL["executor"])


atexit.register(shutdown_pool)


def run_seeds(task, args: tuple, seeds: int, seed: int, workers: int = 1, progress=None,
              threads: int | None = 1, isolate: bool = False):
    """``[task(*args, seed_seq_i) for i < seeds]``, in seed order, on ``workers`` cores.

    ``progress(done, total)`` is called as seeds complete (in the calling process).
    ``threads``: BLAS threads of a one-worker run (more workers always use one each).
    ``isolate``: run even one worker in a worker process (long work: the caller stays
    responsive to Ctrl-C); the results are the same, the seed streams do not depend on
    where a seed runs.
    """
    children = np.random.SeedSequence(int(seed)).spawn(int(seeds))
    results = [None] * len(children)
    import multiprocessing

    if multiprocessing.current_process().daemon:
        # inside a daemonic worker (a Dask worker, say) no child process may start:
        # run here (the caller's own process management handles interrupts)
        workers, isolate = 1, False
    if workers <= 1 and not isolate:
        if progress:
            progress(0, len(children))
        with blas_threads(threads):
            for i, ch in enumerate(children):
                results[i] = task(*args, ch)
                if progress:
                    progress(i + 1, len(children))
        return results
    import concurrent.futures as cf

    ex = _get_pool(max(1, workers), threads if workers <= 1 else 1)
    futs = {}
    done = 0
    try:
        if progress:
            progress(0, len(children))      # the pool exists: threads may start now
        for i, ch in enumerate(children):
            futs[ex.submit(task, *args, ch)] = i
        for f in cf.as_completed(futs):
            results[futs[f]] = f.result()
            done += 1
            if progress:
                progress(done, len(children))
    except BaseException:
        # an error or an interrupt: drop the pool (its workers may be busy for long)
        _abandon_pool(ex, futs)
        raise
    return results
