"""Scaling laws at finite samples (issue 13, deliver 3; docs/finite_samples.md).

Power-law spectrum lambda_i = i^-alpha, target B_i = i^-beta (``power-law:BETA``), label
noise sigma^2 = 0.1 on the teacher's n samples. The teacher has width M_T = n^q and its
best ridge penalty; the student (infinitely wide, n_S = n^p fresh inputs labelled by the
teacher) its best penalty. Exponents are slopes of log L against log n over
n = 1e3 .. 3e4 (four points; the best penalties on a grid of 29 over 1e-7 .. 1: a grid
minimum, not the certified search).

Expectation for the teacher (balance of the approximation error of M features,
sum_{i > M} i^-beta ~ M^(1-beta), and the statistical rate of ridge regression,
n^(-(beta-1)/beta), when beta - 1 < 2 alpha): exponent min(q (beta - 1), (beta - 1)/beta);
this is the regime structure of Defilippis, Loureiro and Misiakiewicz (2024, section 4).
Run: python benchmarks/scaling_finite_samples.py
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from w2s_theory._src.precision import FLOAT64
from w2s_theory._src.setting import Setting
from w2s_theory._src.simulation.runner import blas_threads
from w2s_theory._src.theory.sample_moments import flow_weights, teacher_labels
from w2s_theory._src.theory.samples import SampleTrajectory, _model, _table


def best_teacher(table, M, n, noise, floor, lams):
    out = None
    for lam in lams:
        model = _model(table, M, n, "teacher_width", "samples")
        nodes = model.ridge(lam)
        lab = teacher_labels(model, nodes, flow_weights(FLOAT64, nodes, None), noise, floor)
        if out is None or lab.risk < out[0]:
            out = (lab.risk, lam, lab)
    return out


def exponents(alpha, beta, q, p, ns=(1e3, 3e3, 1e4, 3e4)):
    s = Setting(power_law=alpha, target=f"power-law:{beta}", teacher_width=10, samples=20,
                noise="0.1", ridge=0, student_samples=10, student_ridge=[1])
    lams = np.logspace(-7, 0, 29)
    LT, LS = [], []
    for n in ns:
        n = int(n)
        M = max(2, int(round(n ** q)))
        nS = int(round(n ** p))
        table = _table(s.spectrum, s.bound_target, min(M, n), nS, None, FLOAT64, True)
        floor, energy = math.exp(float(table.log_null)), math.exp(float(table.log_energy))
        lt, _, lab = best_teacher(table, M, n, 0.1, floor, lams)
        traj = SampleTrajectory(_model(table, None, nS, "student_width", "student_samples"),
                                lab, energy, "ridge", lt)
        ls = min(float(v) for v in traj.risk([1 / x for x in lams])[0])
        LT.append(lt)
        LS.append(ls)
    x = np.log(np.array(ns))
    sT = -np.polyfit(x, np.log(LT), 1)[0]
    sS = -np.polyfit(x, np.log(LS), 1)[0]
    return sT, sS, LT, LS


def main():
    warnings.simplefilter("ignore")
    print("alpha  beta   q    p   | teacher exponent (expected) | best student exponent")
    for alpha, beta in ((1.5, 2.0), (2.0, 3.0)):
        for q, p in ((0.25, 1.2), (0.5, 1.2), (1.0, 1.2)):
            sT, sS, LT, LS = exponents(alpha, beta, q, p)
            expect = min(q * (beta - 1), (beta - 1) / beta)
            print(f"{alpha:5.2f} {beta:5.2f} {q:4.2f} {p:4.2f} | {sT:6.3f} ({expect:5.3f})"
                  f"              | {sS:6.3f}   (L_T {LT[-1]:.3g}, L_S {LS[-1]:.3g} at n = 3e4)")


if __name__ == "__main__":
    with blas_threads(1):
        main()
