"""Timings of the simulators (issue 4).

1. The exact teacher and the infinite-width student for M_T = 2,000 at 100 times, one
   seed (target: under 10 s).
2. A finite-width student with M_S = 8,000 (target: under 60 s on 2 cores).
3. The time each simulator needs to estimate the student's risk to 1% relative
   standard error: from a pilot of seeds, the per-seed relative spread ``s`` and the
   per-seed time ``tau`` give ``(s / 0.01)^2`` seeds, i.e. ``(s / 0.01)^2 tau / cores``
   seconds; their ratio (sampled / exact) is printed.

    python benchmarks/bench_simulation.py            # all three
    python benchmarks/bench_simulation.py --skip-8000
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np


def bench_teacher_and_infinite_student():
    from w2s_theory._src.simulation import simulate

    times = np.logspace(0, 5, 100)
    simulate(activation="relu", dim=6, target="degree:1", teacher_width=50, times=[1],
             seeds=1, workers=1)                                      # warm caches
    t0 = time.perf_counter()
    r = simulate(activation="relu", dim=6, target="degree:1", teacher_width=2000,
                 student_width="inf", times=times, seeds=1, workers=1,
                 optimal_stopping=False)
    wall = time.perf_counter() - t0
    print(f"1. exact teacher + infinite student, relu d=6, M_T=2000, 100 times, 1 seed: "
          f"{wall:.2f} s (target < 10 s)")
    print(f"   L_T = {r.teacher_risk.mean:.4g} (theory {r.theory_teacher_risk:.4g}); "
          f"degrees summed {r.diagnostics['degrees']}, largest truncation bound "
          f"{max(r.diagnostics['truncation_bound']):.2g}")
    return wall


def bench_finite_student(M_S=8000, threads=2):
    from w2s_theory._src.simulation import simulate

    t0 = time.perf_counter()
    r = simulate(activation="relu", dim=6, target="degree:1", teacher_width=100,
                 student_width=M_S, times=[100, 1000, 10000], seeds=1, workers=1,
                 blas_threads=threads, optimal_stopping=False)
    wall = time.perf_counter() - t0
    d = r.diagnostics
    print(f"2. finite student, relu d=6, M_T=100, M_S={M_S}, 1 seed, {threads} BLAS "
          f"threads: {wall:.1f} s (target < 60 s)")
    print(f"   L_S(100, 1000, 10000) = "
          + ", ".join(f"{s.mean:.4g}" for s in r.student_risk)
          + "; student Gram condition number "
          + f"{d['student_conditioning']['max_condition']:.3g}")
    sec = d["student_seconds"]
    print(f"   student: Gram and cross terms {sec['gram']:.1f} s, eigendecomposition "
          f"{sec['eigen']:.1f} s, total {sec['total']:.1f} s")
    return wall


def _per_seed(method, seeds, **kw):
    from w2s_theory._src.simulation import simulate

    t0 = time.perf_counter()
    r = simulate(method=method, seeds=seeds, workers=1, **kw)
    tau = (time.perf_counter() - t0) / seeds
    s = r.student_risk[0]
    return tau, float(np.std(s.values, ddof=1) / abs(s.mean)), r


def bench_cost_ratio():
    kw = dict(activation="relu", dim=6, target="degree:1", teacher_width=20,
              student_width="inf", times=[100], seed=3, optimal_stopping=False)
    cores = min(2, os.cpu_count() or 1)
    _per_seed("exact", 2, **kw)                                      # warm caches
    rows = []
    for method, seeds in (("exact", 64), ("sampled", 8)):
        tau, spread, r = _per_seed(method, seeds, **kw)
        need = (spread / 0.01) ** 2
        rows.append((method, tau, spread, need, need * tau / cores))
    print("3. time to estimate L_S(100) to 1% relative standard error (relu d=6, M_T=20, "
          f"infinite student, {cores} cores)")
    for method, tau, spread, need, total in rows:
        print(f"   {method:8s} {tau * 1e3:9.1f} ms/seed, per-seed spread "
              f"{100 * spread:5.1f}% -> {math.ceil(need):6d} seeds, {total:9.1f} s")
    print(f"   ratio sampled / exact: {rows[1][4] / rows[0][4]:.0f}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-8000", action="store_true")
    p.add_argument("--threads", type=int, default=2,
                   help="BLAS threads for the M_S = 8000 eigendecomposition")
    args = p.parse_args(argv)
    bench_teacher_and_infinite_student()
    if not args.skip_8000:
        bench_finite_student(threads=args.threads)
    bench_cost_ratio()


if __name__ == "__main__":
    main()
