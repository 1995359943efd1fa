"""Does a student fitted to finitely many samples cross the lower bound? (issue 5, 3d)

The bound of THEORY.md section 4 covers students f_S = A f_T with A self-adjoint on
L2(mu) and 0 <= A <= alpha I. A student trained on n fixed inputs labelled by the
teacher is not of that form: its operator acts on the sample values (docs/bounds.md,
section 7, gives an exact three-point instance that goes below the bound). This script
measures what happens in the random-feature model itself.

Setting: ReLU features on the sphere, degree-1 target f*(x) = sqrt(d) <beta, x>, an exact
teacher of width M_T (population projection, inputs integrated), and the infinite-width
student trained by gradient flow on the empirical loss over n inputs:
    f_S(t) = K(., X) c(t),  c(t) = K_XX^{-1} (I - exp(-t K_XX / n)) f_T(X).
Its population risk is computed exactly (no held-out sampling):
    ||f_S||^2 = c^T K2 c with K2(x, x') = sum_k lambda_k^2 N(d,k) P_k(<x, x'>)
    (truncated where the omitted part is below 1e-15 of the trace, bound reported),
    <f_S, f*> = lambda_1 sum_i c_i f*(x_i)  (f* is an eigenfunction of K).
For each n, 20 seeds (teacher weights and inputs), times on a log grid: the smallest
ratio L_S / bound over seeds and times, and the fraction of (seed, time) pairs below the
bound. The bound uses the seed's exact teacher risk and alpha = 1 (the weakest form).

A measurement, not a derivation (the bound makes no claim here, so nothing is asserted):
it lives in benchmarks/ and prints its table. Run: python benchmarks/bound_finite_sample.py [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from w2s_theory import SphereSpectrum, gegenbauer, kernel, parse_target, student_lower_bound
from w2s_theory._src.simulation.exact import fit_teacher
from w2s_theory._src.simulation.families import make_family
from w2s_theory._src.sphere import log_multiplicities


def composed_kernel(d, k_max=200):
    """u -> sum_{k <= k_max} lambda_k^2 N(d,k) P_k(u), and a bound on the rest."""
    spec = SphereSpectrum("relu", d)
    la, _ = spec.coefficients(k_max + 1)
    lam = np.exp(2 * la)
    w = lam ** 2 * np.exp(log_multiplicities(d, np.arange(k_max + 1)))
    tail = spec.tail_moments(k_max + 1, 2)
    rest = math.exp(float(tail.log_mass)) * math.exp(float(tail.log_lambda_bar))

    def K2(u):
        P = gegenbauer(k_max, np.clip(u, -1, 1).ravel(), d)
        return (w @ P).reshape(np.shape(u))

    return K2, rest, float(lam[1])


def run(d, M_T, ns, seeds, times):
    spec = SphereSpectrum("relu", d)
    fam = make_family(spec, parse_target("degree:1").bind(spec))
    kap = kernel("relu", d)
    K2, rest, lam1 = composed_kernel(d)
    rows = []
    for n in ns:
        ratios, below = [], 0
        for seed in range(seeds):
            rng = np.random.default_rng([seed, n, M_T])
            W = fam.sample_weights(M_T, rng)
            fit = fit_teacher(fam, W)
            X = fam.sample_inputs(n, rng)
            y = fam.features(X, W) @ fit.a                     # f_T at the sample
            fstar = fam.target_values(X)
            G = X @ X.T
            mu, V = np.linalg.eigh(kap(G))
            mu = np.maximum(mu, 0.0)
            z = V.T @ y
            K2X = V.T @ K2(G) @ V
            lb = student_lower_bound(fit.teacher_risk, fit.target_energy)
            for t in times:
                with np.errstate(divide="ignore", invalid="ignore"):
                    g = np.where(mu > 1e-14 * mu.max(), -np.expm1(-t * mu / n) / mu, t / n)
                cz = g * z                                       # c in the eigenbasis
                norm2 = float(cz @ K2X @ cz)
                cross = lam1 * float((V @ cz) @ fstar)
                ls = norm2 - 2 * cross + fit.target_energy
                ratios.append(ls / lb)
                below += ls < lb
        rows.append((n, min(ratios), below / len(ratios), float(np.median(ratios))))
    return rows, rest


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    ns = (5, 20, 100) if args.quick else (3, 5, 10, 20, 50, 100, 200, 500, 1000)
    seeds = 5 if args.quick else 20
    times = np.logspace(0, 6, 25)
    for d, M_T in ((6, 20), (6, 100)) if not args.quick else ((6, 20),):
        rows, rest = run(d, M_T, ns, seeds, times)
        print(f"relu, d = {d}, degree:1, M_T = {M_T}, {seeds} seeds, 25 times in [1, 1e6] "
              f"(composed-kernel truncation <= {rest:.1e})")
        print(f"{'n':>6} {'min L_S/bound':>14} {'median':>10} {'fraction below':>15}")
        for n, mn, frac, med in rows:
            print(f"{n:6d} {mn:14.4g} {med:10.4g} {frac:15.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
