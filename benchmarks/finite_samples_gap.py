"""The finite-sample theory against simulation: the measured gaps (docs/finite_samples.md).

Simulation (w2s_theory/_src/simulation/samples.py): actual ridge and gradient-flow fits
on sampled inputs, risks computed exactly from population Grams, averaged over seeds.
Theory: risk_curve. For each case the relative gap (simulation - theory)/theory and its
standard error, for the teacher and each student point, at sizes s = 1, 4 (D, M, n all
multiplied by s; Gaussian features, a finite spectrum), and for ReLU features on the
sphere. A measurement: nothing is asserted here (tests/test_finite_samples.py asserts).

Run: python benchmarks/finite_samples_gap.py [--quick]
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from w2s_theory import risk_curve
from w2s_theory._src.setting import Setting
from w2s_theory._src.simulation.runner import blas_threads
from w2s_theory._src.simulation.samples import simulate_samples

LAM, MULT = [1.0, 0.3, 0.05], [10, 30, 60]
ENERGIES = "energies:0=0.5,1=0.3,2=0.2"
GRID = [
    ("ridge/ridge", 40, 60, dict(ridge="0.01"), 60, 40,
     dict(student_ridge=["0.001", "0.02", "0.3"])),
    ("least squares/ridge", 60, 40, dict(ridge=0), 30, 80, dict(student_ridge=[0, "0.03"])),
    ("flow/flow", 40, 60, dict(teacher_time=30), 60, 40, dict(times=[1, 10, 100])),
    ("flow/flow, M_S = inf", 80, 30, dict(teacher_time=10), None, 60,
     dict(times=[1, 10, 100])),
]


def row(name, setting, seeds):
    c = risk_curve(setting, optimal_stopping=False)
    s = simulate_samples(setting, seeds=seeds)
    theory = np.concatenate([[c.teacher_risk], np.array(c.student_risk, dtype=float)])
    sim = np.concatenate([[s["teacher_mean"]], s["student_mean"]])
    se = np.concatenate([[s["teacher_stderr"]], s["student_stderr"]])
    rel = (sim - theory) / theory
    cells = "  ".join(f"{100 * r:+6.2f}% +- {100 * e / t:4.2f}" for r, e, t in
                      zip(rel, se, theory))
    print(f"  {name:34s} {cells}")


def main(quick=False):
    warnings.simplefilter("ignore")
    seeds = {1: 100 if quick else 400, 4: 20 if quick else 80}
    print("relative gap (simulation - theory)/theory +- standard error; columns: teacher, "
          "then the student's points")
    for name, M_T, n_T, teach, M_S, n_S, stud in GRID:
        for s in (1, 4):
            setting = Setting(eigenvalues=LAM, multiplicities=[s * m for m in MULT],
                              target=ENERGIES, teacher_width=s * M_T, samples=s * n_T,
                              noise="0.1", student_width=None if M_S is None else s * M_S,
                              student_samples=s * n_S, **teach, **stud)
            row(f"{name} (size {s}: n_T = {s * n_T})", setting, seeds[s])
    print("ReLU features on the sphere, d = 5 (noise 0.01):")
    for M_T, n_T, M_S, n_S in [(40, 80, 160, 120), (80, 160, 320, 240)]:
        setting = Setting(activation="relu", dim=5, teacher_width=M_T, samples=n_T,
                          noise="0.01", student_width=M_S, student_samples=n_S,
                          times=[10, 100, 1000])
        row(f"M_T = {M_T}, n_T = {n_T}, M_S = {M_S}, n_S = {n_S}", setting,
            40 if quick else 160)


if __name__ == "__main__":
    with blas_threads(1):
        main("--quick" in sys.argv)
