"""How fast the finite-width student approaches the infinite-width one (exact simulation).

For relu features on the sphere (d = 6), a degree-1 target and a few fixed teachers
(M_T = 50), prints the mean relative difference ``(L_S^{M_S}(t) - L_S^inf(t)) / L_S^inf(t)``
over student draws, with its standard error, the root-mean-square difference, and the
slope of log(mean difference) against log M_S fitted by weighted least squares.

    python benchmarks/student_convergence.py
"""

from __future__ import annotations

import math
import time

import numpy as np


def main():
    from w2s_theory._src.simulation import (fit_teacher, finite_student, infinite_student,
                                            make_family)
    from w2s_theory._src.simulation.runner import blas_threads
    from w2s_theory._src.spectra import SphereSpectrum
    from w2s_theory._src.targets import parse_target

    sp = SphereSpectrum("relu", 6)
    fam = make_family(sp, parse_target("degree:1").bind(sp))
    times = [100.0, 300.0, 1000.0]
    widths = [50, 100, 200, 400, 800, 1600]
    seeds = {50: 64, 100: 48, 200: 32, 400: 16, 800: 12, 1600: 8}
    teachers = 3
    rng = np.random.default_rng(2024)
    print("relu, d = 6, target degree:1, M_T = 50; relative difference of the finite-width "
          "student's risk from the infinite-width student's, in %")
    print(f"({teachers} teachers; for each, student draws as listed; mean +- standard "
          "error, and root-mean-square)\n")
    head = ["M_S", "draws"] + [f"t = {t:g}: mean" for t in times] + \
        [f"t = {t:g}: rms" for t in times]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    means, ses = {M: [] for M in widths}, {M: [] for M in widths}
    with blas_threads(1):
        fits = []
        for _ in range(teachers):
            W = fam.sample_weights(50, rng)
            fit = fit_teacher(fam, W)
            fits.append((W, fit, infinite_student(fam, W, fit, times)[0]))
        for M in widths:
            t0 = time.perf_counter()
            D = []
            for W, fit, inf in fits:
                for _ in range(seeds[M] // teachers + 1):
                    r, _ = finite_student(fam, W, fit, fam.sample_weights(M, rng), times)
                    D.append((r - inf) / inf)
            D = np.array(D)
            m = D.mean(axis=0)
            se = D.std(axis=0, ddof=1) / math.sqrt(len(D))
            rms = np.sqrt((D ** 2).mean(axis=0))
            means[M], ses[M] = m, se
            cells = [str(M), str(len(D))] + [f"{100 * a:.3g} +- {100 * b:.2g}"
                                             for a, b in zip(m, se)] + \
                [f"{100 * x:.3g}" for x in rms]
            print("| " + " | ".join(cells) + " |", flush=True)
            print(f"<!-- {time.perf_counter() - t0:.1f} s -->", flush=True)
    x = np.log(widths)
    X = np.column_stack([np.ones_like(x), x])
    print()
    for j, t in enumerate(times):
        m = np.array([means[M][j] for M in widths])
        s = np.array([ses[M][j] for M in widths])
        ok = m > 2 * s
        w = (m[ok] / s[ok]) ** 2
        cov = np.linalg.inv(X[ok].T @ (w[:, None] * X[ok]))
        slope = (cov @ (X[ok].T @ (w * np.log(m[ok]))))[1]
        print(f"t = {t:g}: fitted slope of log(mean difference) vs log M_S: "
              f"{slope:.2f} +- {math.sqrt(cov[1, 1]):.2f} (widths with mean > 2 se)")


if __name__ == "__main__":
    main()
