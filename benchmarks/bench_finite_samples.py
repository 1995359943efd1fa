"""Timing of the finite-sample theory (issue 13; docs/finite_samples.md).

1. A curve over 100 sample sizes in float64 (``sample_curve``: one table for all;
   ReLU features, d = 10, M_T = 100, M_S = 800, n_S = 2 n_T, ridge on both sides):
   target 2 s.
2. ``risk_curve`` with the certified optimum and the ceiling (each a search of a few
   hundred points) for gradient flow and ridge students, on the sphere and on a power
   law.
3. More digits: a gradient-flow point at 30 and 60 digits.

Run: ``python benchmarks/bench_finite_samples.py`` (one BLAS thread, as the simulations).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from w2s_theory import risk_curve
from w2s_theory._src.setting import Setting
from w2s_theory._src.simulation.runner import blas_threads
from w2s_theory._src.theory.sample_curve import sample_curve


def clock(f):
    t0 = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t0


def main():
    warnings.simplefilter("ignore")
    relu = dict(activation="relu", dim=10, teacher_width=100, student_width=800)
    ns = np.geomspace(200, 20000, 100).astype(int).tolist()
    s = Setting(**relu, samples=1000, student_samples=2000, ridge=0,
                student_ridge=["0.0001"])
    r, dt = clock(lambda: sample_curve(s, samples=ns, student_samples=[2 * n for n in ns]))
    print(f"1. 100 sample sizes, ridge teacher and student (float64): {dt:.2f} s "
          f"(target 2 s); L_T from {r['teacher_risk'][0]:.3g} to {r['teacher_risk'][-1]:.3g}")
    s = Setting(**relu, samples=1000, student_samples=2000, ridge=0, times=[1000.0])
    r, dt = clock(lambda: sample_curve(s, samples=ns, student_samples=[2 * n for n in ns]))
    print(f"   ... gradient-flow student at t = 1000: {dt:.2f} s")
    cases = [
        ("sphere, flow student", Setting(**relu, samples=2000, student_samples=4000,
                                         noise="0.001", times=[1e3, 1e4])),
        ("sphere, ridge student", Setting(**relu, samples=2000, student_samples=4000,
                                          noise="0.001", student_ridge=["1e-4"])),
        ("sphere, flow teacher", Setting(**relu, samples=2000, teacher_time=1e4,
                                         student_samples=4000, times=[1e4])),
        ("power law 1.5, flow", Setting(power_law=1.5, target="power-law:1.2",
                                        teacher_width=100, samples=400,
                                        student_samples=1600, times=[100.0])),
    ]
    for name, st in cases:
        c, dt = clock(lambda: risk_curve(st))
        print(f"2. {name}: {dt:.2f} s with t* (L_T = {c.teacher_risk:.4g}, L_S* = "
              f"{c.optimal_student_risk:.4g}, ceiling {c.student_ceiling_risk:.4g}, "
              f"table K = {c.diagnostics['K']})")
    base = dict(eigenvalues=[1, "0.3", "0.05"], multiplicities=[10, 30, 60],
                target="energies:0=0.5,1=0.3,2=0.2", teacher_width=40, samples=60,
                noise="0.1", student_width=60, student_samples=40, teacher_time="7",
                times=["3"])
    for d in (30, 60):
        _, dt = clock(lambda: risk_curve(Setting(**base, precision=d),
                                         optimal_stopping=False))
        print(f"3. {d} digits, flow teacher and student (one time each): {dt:.2f} s")


if __name__ == "__main__":
    with blas_threads(1):
        main()
