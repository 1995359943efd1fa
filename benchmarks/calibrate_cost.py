"""Calibration of the cost models of ``w2s_theory/_src/cost.py`` (issue 15 item 2).

Times a small grid of computations on this machine, fits the constants of the models
by non-negative least squares on the relative errors (not absolute seconds), and
prints them with the prediction error of every point, ready to paste into ``cost.py``:

* ``risk``: float64 ``T = a + b n`` (``n`` times, ``+ s`` for the search of t*), and at
  ``D`` digits (``x = D/100``) ``T += c1 x + c3 x^3 + cb x K evals``: the tail sums and
  the spectral table at the working precision (terms ``~ D/3``, quadrature nodes ``~ D``,
  one mpmath operation ``~ D``) plus the block evaluations of the times and of the
  search for t* (``K = 20`` blocks, 20 evaluations for the search);
* ``spectrum``: ``T = c1 x + c3 x^3`` (the tail mass on the sphere at ``D`` digits);
* ``simulate`` (exact method): per seed ``T = s0 + s3 (M_T^3 + M_S^3) + s2 (M_T^2 +
  M_S^2 + M_T M_S)`` (eigendecompositions ``~ m^3`` flops at a measured rate, Gram and
  cross kernels ``~ m^2`` evaluations).

Run: ``python benchmarks/calibrate_cost.py [--quick] [--only risk|spectrum|simulate]``
(one process, one BLAS thread; a few minutes). The point at 300 digits takes over a
minute and is skipped with ``--quick``. The constants in ``cost.py`` come from this
script's points on the development machine (2 cores shared with other jobs) plus one
300-digit risk curve (76 s without, 90 s with the search for t*).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

warnings.simplefilter("ignore")


def _time(fn, repeats=1):
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        el = time.perf_counter() - t0
        best = el if best is None else min(best, el)
    return best, out


def risk_points(quick):
    from w2s_theory import risk_curve

    kw = dict(activation="relu", target="degree:1")
    # warm the per-process caches (first call), then float64 against the number of times
    risk_curve(dim=6, teacher_width=10, times=[1], **kw)
    rows = []
    for n in (1, 1000, 10000):
        times = list(np.logspace(-1, 6, n))
        el, c = _time(lambda: risk_curve(dim=6, teacher_width=100, times=times,
                                         optimal_stopping=False, **kw), 3)
        rows.append(dict(digits=None, n=n, search=False, dim=6, M=100, K=c.diagnostics["K"],
                         seconds=el))
    el, c = _time(lambda: risk_curve(dim=6, teacher_width=100, times=[1], **kw), 3)
    rows.append(dict(digits=None, n=1, search=True, dim=6, M=100, K=c.diagnostics["K"],
                     seconds=el))
    grid = [(30, 1, False, 6, 10), (50, 1, False, 6, 10), (80, 1, False, 6, 10),
            (120, 1, False, 6, 10), (60, 1, False, 3, 10), (60, 1, False, 12, 10),
            (60, 1, False, 6, 1000), (60, 20, False, 6, 10), (60, 1, True, 6, 10)]
    if not quick:
        grid.append((300, 1, False, 6, 10))
    for D, n, search, d, M in grid:
        times = list(np.logspace(0, 3, n))
        el, c = _time(lambda: risk_curve(dim=d, teacher_width=M, times=times,
                                         precision=D, optimal_stopping=search, **kw))
        rows.append(dict(digits=D, n=n, search=search, dim=d, M=M, K=c.diagnostics["K"],
                         seconds=el))
        print(f"  risk: {rows[-1]}", flush=True)
    return rows


def simulate_points():
    from w2s_theory import simulate

    kw = dict(activation="relu", dim=6, target="degree:1", times=[100], seeds=1,
              workers=1)
    simulate(teacher_width=50, student_width="inf", **kw)            # warm-up
    rows = []
    for M_T, M_S in ((200, None), (500, None), (1000, None), (1500, None),
                     (200, 500), (200, 1000), (200, 1500), (1000, 1000)):
        el, r = _time(lambda: simulate(teacher_width=M_T, student_width=M_S or "inf",
                                       **kw))
        seconds = sum(r.runs[0].seconds.values())       # the seed itself
        rows.append(dict(M_T=M_T, M_S=M_S, seconds=seconds, wall=el))
        print(f"  simulate: {rows[-1]}", flush=True)
    return rows


def fit_relative(X, y):
    """Non-negative coefficients minimizing the sum of squared *relative* errors
    ``sum ((X c - y) / y)^2`` (``scipy.optimize.nnls`` on the rows divided by ``y``)."""
    from scipy.optimize import nnls

    X, y = np.asarray(X, float), np.asarray(y, float)
    return nnls(X / y[:, None], np.ones(len(y)))[0]


def risk_features(r):
    """The model of ``cost.risk_seconds`` at D digits, without its float64 part:
    ``[x, x^3, x * K * evals]`` with ``x = D/100``, ``K = cost.RISK_BLOCKS``."""
    from w2s_theory._src import cost

    x = r["digits"] / 100
    evals = r["n"] + (cost.RISK_SEARCH_EVALS if r["search"] else 0)
    return [x, x ** 3, x * cost.RISK_BLOCKS * evals]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["risk", "simulate", "spectrum"])
    a = ap.parse_args(argv)
    if a.only in (None, "risk"):
        rows = risk_points(a.quick)
        fl = [r for r in rows if r["digits"] is None and not r["search"]]
        b = (fl[-1]["seconds"] - fl[0]["seconds"]) / (fl[-1]["n"] - fl[0]["n"])
        a0 = fl[0]["seconds"]
        srch = [r for r in rows if r["digits"] is None and r["search"]][0]["seconds"] - a0
        print(f"risk float64: RISK_FLOAT_BASE {a0:.4f} s, RISK_FLOAT_PER_TIME {b:.3e} s, "
              f"RISK_FLOAT_SEARCH {srch:.4f} s")
        mp = [r for r in rows if r["digits"] is not None]
        X = [risk_features(r) for r in mp]
        c = fit_relative(X, [r["seconds"] - a0 for r in mp])
        print(f"risk mpmath: RISK_MP_LINEAR {c[0]:.3g} s, RISK_MP_CUBIC {c[1]:.3g} s, "
              f"RISK_MP_BLOCK {c[2]:.3g} s")
        for r, x in zip(mp, X):
            p = a0 + float(np.dot(x, c))
            print(f"   D={r['digits']:4d} d={r['dim']:3d} M={r['M']:5d} n={r['n']:3d} "
                  f"search={r['search']!s:5} K={r['K']:4d}: {r['seconds']:8.3f} s, "
                  f"model {p:8.3f} s ({p / r['seconds']:.2f}x)")
    if a.only in (None, "spectrum"):
        rows = spectrum_points(a.quick)
        X = [[r["digits"] / 100, (r["digits"] / 100) ** 3] for r in rows]
        c = fit_relative(X, [r["seconds"] for r in rows])
        print(f"spectrum: SPECTRUM_MP_LINEAR {c[0]:.3g} s, SPECTRUM_MP_CUBIC {c[1]:.3g} s")
        for r, x in zip(rows, X):
            p = float(np.dot(x, c))
            print(f"   D={r['digits']:4d} {r['activation']} d={r['dim']}: "
                  f"{r['seconds']:7.3f} s, model {p:7.3f} s ({p / r['seconds']:.2f}x)")
    if a.only in (None, "simulate"):
        rows = simulate_points()
        X = [[1.0, (r["M_T"] ** 3 + (r["M_S"] or 0) ** 3) / 1e9,
              (r["M_T"] ** 2 + (r["M_S"] or 0) ** 2 + r["M_T"] * (r["M_S"] or 0)) / 1e6]
             for r in rows]
        c = fit_relative(X, [r["seconds"] for r in rows])
        print(f"simulate (exact, per seed): SIM_SEED {c[0]:.3g} s, SIM_CUBIC {c[1]:.3g} s "
              f"per 1e9 m^3 (rate {2 / max(c[1], 1e-12):.3g} GFlop/s at 2 m^3 flops), "
              f"SIM_SQUARE {c[2]:.3g} s per 1e6 m^2")
        for r, x in zip(rows, X):
            p = float(np.dot(x, c))
            print(f"   M_T={r['M_T']:5d} M_S={str(r['M_S']):>5}: {r['seconds']:7.3f} s, "
                  f"model {p:7.3f} s ({p / r['seconds']:.2f}x)")


def spectrum_points(quick):
    """The tail mass of ``w2s spectrum`` at D digits (the command's own computation)."""
    from w2s_theory._src.cli.spectrum import _compute
    from w2s_theory._src.precision import Precision, number_formatter
    from w2s_theory._src.spectra import SphereSpectrum

    rows = []
    grid = [(30, "relu", 6), (60, "relu", 6), (100, "relu", 6), (60, "relu", 3),
            (60, "tanh", 10)] + ([] if quick else [(150, "relu", 6)])
    for D, act, d in grid:
        spec = SphereSpectrum(act, d)
        el, _ = _time(lambda: _compute(spec, 11, Precision(D), D, number_formatter(D)))
        rows.append(dict(digits=D, activation=act, dim=d, seconds=el))
        print(f"  spectrum: {rows[-1]}", flush=True)
    return rows


if __name__ == "__main__":
    main()
