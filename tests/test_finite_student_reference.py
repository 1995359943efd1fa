"""Self-tests of the finite-width-student reference (``tests/_finite_student_reference.py``)
against facts that do not use its method.

* Exact facts of the equivalent measure: total mass 1, first moment ``lam_k`` and second
  moment ``lam_k^2 + lam_k tr(Sigma)/M_S`` (large-z expansion of ``Qbar_k``), Stieltjes
  transform at ``z < 0`` = ridge equation solved on the real line; to ``10^-(dps-5)``.
* Limits: ``t = 0``, ``t -> inf`` (projection on the student's span), ``M_S >= D``,
  ``M_S -> inf`` with the exact first-order coefficient in ``1/M_S`` (perturbation of
  ``Qbar_k``: ``lam_k sum_j N_j lam_j f[lam_j, lam_k, lam_k]``, f[..] divided
  differences of ``exp(-t x)``), gradient descent -> gradient flow as the step -> 0.
* Monte Carlo of actual random kernels in eigen-coordinates (Gaussian features
  ``Sigma^{1/2} g``), at D = 50, 100, 200, 400 with N_k, M_T, M_S proportional to D
  (the equivalent depends on the ratios only, so one reference serves every size):
  block averages of ``diag exp(-t K_S)`` and ``diag (I - lr K_S)^n``, the top eigenvalue,
  and the student risk of the exact simulation (section 5 in eigen-coordinates).

Tolerances are arguments of each test (see the parametrizations and the constants).
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import pytest

import _finite_student_reference as R

# --------------------------------------------------------------------------------------
# Exact facts of the measure

MEASURES = [
    # lam, N, M_S, dps, expected number of support pieces; what it exercises
    ([1, 0.3, 0.05], [10, 30, 60], 50, 30, 1),        # atom at 0 + one bulk
    ([1, 0.3, 0.05], [10, 30, 60], 100, 30, 2),       # M_S = D: hard edge x^-1/2 at 0
    ([1, 0.3, 0.05], [10, 30, 60], 200, 30, 3),       # M_S > D: three bulks, no atom
    ([1, 0.01], [5, 50], 30, 20, 2),                  # atom + two bulks
    ([1, 0.3, 0.05], [10, 30, 60], 1, 20, 1),         # M_S = 1
    ([1, 0.5, 0.2, 0.1, 0.05, 0.02], [3, 5, 10, 20, 40, 80], 60, 20, 1),  # K = 6
]


def _mp(v):
    return [mpmath.mpf(x) for x in v]


@pytest.mark.parametrize("lam,N,M_S,dps,pieces", MEASURES)
def test_mass_moments_and_atom(lam, N, M_S, dps, pieces, digits_lost=5):
    tol = mpmath.mpf(10) ** (digits_lost - dps)
    with mpmath.workdps(dps):
        lamm = _mp(lam)
        trS = mpmath.fsum(l * n for l, n in zip(lamm, N))
        mass, err = R.spectral_integral(lam, N, M_S, lambda x: 1, dps=dps, error=True)
        m1 = R.spectral_integral(lam, N, M_S, lambda x: x, dps=dps)
        m2 = R.spectral_integral(lam, N, M_S, lambda x: x * x, dps=dps)
        assert err <= tol
        for k, l in enumerate(lamm):
            assert abs(mass[k] - 1) <= tol, (k, mass[k])
            assert abs(m1[k] - l) <= tol * l, (k, m1[k])
            assert abs(m2[k] - (l * l + l * trS / M_S)) <= tol * l, (k, m2[k])
        # the atom (t = inf) is nu_S/(lam + nu_S), nu_S from the width equation; and the
        # support has the expected number of pieces, inside (0, top edge]
        nu_S = R.width_nu(lam, N, M_S, dps=dps)
        if M_S < sum(N):
            assert abs(mpmath.fsum(n * l / (l + nu_S) for l, n in zip(lamm, N)) - M_S) <= tol * M_S
        else:
            assert nu_S == 0
        for a, l in zip(R.student_factors(lam, N, M_S, mpmath.inf, dps=dps), lamm):
            assert abs(a - nu_S / (l + nu_S)) <= tol
        sup = R.support(lam, N, M_S, dps=dps)
        merged = [list(sup[0])]
        for a, b in sup[1:]:
            if a == merged[-1][1]:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        assert len(merged) == pieces, sup
        assert merged[0][0] >= 0 and merged[-1][1] == R.top_edge(lam, N, M_S, dps=dps)
        # hard edge at 0 exactly when M_S = D
        assert (merged[0][0] == 0) == (M_S == sum(N))


@pytest.mark.parametrize("lam,N,M_S,dps", [
    ([1, 0.3, 0.05], [10, 30, 60], 50, 30),
    ([1, 0.3, 0.05], [10, 30, 60], 200, 30),
    ([1, 0.01], [5, 50], 30, 20),
])
def test_stieltjes_transform_against_ridge_equation(lam, N, M_S, dps, digits_lost=5):
    # int mu_k(dx)/(x + r) (density quadrature + atom) = (kappa/r)/(lam_k + kappa) with
    # kappa (1 - df(kappa)/M_S) = r solved by bisection on the real line: checks the branch
    # choice and the normalisation of the density at once.
    tol = mpmath.mpf(10) ** (digits_lost - dps)
    for z in ("-0.001", "-0.3", "-5"):
        got = R.stieltjes(lam, N, M_S, mpmath.mpf(z), dps=dps)
        want = R.ridge_resolvent(lam, N, M_S, mpmath.mpf(z), dps=dps)
        for g, w in zip(got, want):
            assert abs(g - w) <= tol * abs(w), (z, g, w)


def test_precision_consistency(t=4, low=20, high=30, digits_lost=5):
    # the same risk at two working precisions agrees to the lower one
    a = R.student_risk([1, 0.3, 0.05], [10, 30, 60], [0.6, 0.3, 0.1], 20, 50, t, dps=low)
    b = R.student_risk([1, 0.3, 0.05], [10, 30, 60], [0.6, 0.3, 0.1], 20, 50, t, dps=high)
    assert abs(a - b) <= mpmath.mpf(10) ** (digits_lost - low) * abs(b)


# --------------------------------------------------------------------------------------
# Limits

LAM, NB, B = [1, 0.3, 0.05], [10, 30, 60], [0.6, 0.3, 0.1]


@pytest.mark.parametrize("M_T,M_S", [(20, 50), (40, 100), (30, 250)])
def test_time_zero_and_infinity(M_T, M_S, dps=20, digits_lost=5, t_large=1e5,
                                sqrt_decay=(0.09, 0.11)):
    tol = mpmath.mpf(10) ** (digits_lost - dps)
    with mpmath.workdps(dps):
        total = mpmath.fsum(_mp(B))
        assert abs(R.student_risk(LAM, NB, B, M_T, M_S, 0, dps=dps) - total) <= tol
        lim = R.student_limit(LAM, NB, B, M_T, M_S, dps=dps)
        assert abs(R.student_risk(LAM, NB, B, M_T, M_S, mpmath.inf, dps=dps) - lim) <= tol
        gap = lambda t: abs(R.student_risk(LAM, NB, B, M_T, M_S, t, dps=dps) - lim)
        if M_S != sum(NB):
            # lowest edge a > 0 (>= 0.0058 here): the gap is O(exp(-t a)), t_large a >= 580
            assert gap(t_large) <= tol
        else:
            # M_S = D: density ~ c x^-1/2 at 0, so e_k(t) - atom ~ c sqrt(pi/t) and the
            # gap falls only like t^-1/2: a factor 1/10 per factor 100 in t
            ratio = gap(100 * t_large) / gap(t_large)
            assert sqrt_decay[0] <= ratio <= sqrt_decay[1], ratio
        L_T = R.teacher(LAM, NB, B, M_T, dps=dps)["L_T"]
        ceil = R.student_ceiling(LAM, NB, B, M_S, dps=dps)
        if M_S >= sum(NB):      # the student spans everything: it ends at the teacher
            assert abs(lim - L_T) <= tol and ceil == 0
        else:
            assert ceil > 0 and lim > L_T
        # sum F_k = sum s_k (1 - s_k) B_k (section 3)
        tch = R.teacher(LAM, NB, B, M_T, dps=dps)
        assert abs(mpmath.fsum(tch["F"]) - mpmath.fsum(
            s * (1 - s) * b for s, b in zip(tch["s"], _mp(B)))) <= tol


def _divided(f, df, a, b):
    """f[a, b, b] for a != b, and f''(b)/2 (passed as df[1]) for a == b."""
    if a == b:
        return df[1](b) / 2
    fab = (f(b) - f(a)) / (b - a)
    return (df[0](b) - fab) / (b - a)


def test_infinite_width_limit(t=2, widths=(10 ** 3, 10 ** 4, 10 ** 5), dps=20, min_ratio=7):
    # Qbar_k = 1/(lam_k - z) + lam_k delta/(lam_k - z)^2 + O(M^-2), delta = M^-1 sum_j
    # N_j lam_j/(lam_j - z) + O(M^-2), so e_k(t) = exp(-t lam_k) + c_k/M + O(M^-2) with
    # c_k = lam_k sum_j N_j lam_j f[lam_j, lam_k, lam_k], f(x) = exp(-t x). The remainder
    # M e_k - M exp(-t lam_k) - c_k must fall like 1/M: by >= min_ratio per decade.
    with mpmath.workdps(dps):
        lam, tt = _mp(LAM), mpmath.mpf(t)
        f = lambda x: mpmath.exp(-tt * x)
        df = (lambda x: -tt * mpmath.exp(-tt * x), lambda x: tt * tt * mpmath.exp(-tt * x))
        c = [lk * mpmath.fsum(n * lj * _divided(f, df, lj, lk) for lj, n in zip(lam, NB))
             for lk in lam]
        rem = []
        for M in widths:
            e = R.student_factors(LAM, NB, M, t, dps=dps)
            rem.append([abs(M * (ek - f(lk)) - ck) for ek, lk, ck in zip(e, lam, c)])
        for k in range(len(lam)):
            for r0, r1 in zip(rem[:-1], rem[1:]):
                assert r1[k] * min_ratio <= r0[k], (k, rem)
        # the risk tends to the infinite-width formula of section 3, also like 1/M
        tch = R.teacher(LAM, NB, B, 20, dps=dps)
        a = [1 - f(lk) for lk in lam]
        inf_width = mpmath.fsum((1 - ak * (1 - sk)) ** 2 * b + ak ** 2 * Fk
                                for ak, sk, b, Fk in zip(a, tch["s"], _mp(B), tch["F"]))
        gaps = [abs(R.student_risk(LAM, NB, B, 20, M, t, dps=dps) - inf_width) for M in widths]
        for g0, g1 in zip(gaps[:-1], gaps[1:]):
            assert g1 * min_ratio <= g0, gaps


def test_gradient_descent_tends_to_flow(t=3, M_S=50, steps=(10, 100, 1000), dps=20,
                                        min_ratio=7):
    # (1 - (t/n) x)^n -> exp(-t x) with error ~ t^2 x^2 exp(-t x)/(2n): the gap between
    # gd_factors(t/n, n) and student_factors(t) falls like 1/n.
    e = R.student_factors(LAM, NB, M_S, t, dps=dps)
    gaps = []
    for n in steps:
        g = R.gd_factors(LAM, NB, M_S, mpmath.mpf(t) / n, n, dps=dps)
        gaps.append([abs(a - b) for a, b in zip(g, e)])
    for g0, g1 in zip(gaps[:-1], gaps[1:]):
        for k in range(len(LAM)):
            assert g1[k] * min_ratio <= g0[k], gaps
    with mpmath.workdps(dps):      # no step: the risk of the zero function, ||f*||^2
        assert abs(R.gd_risk(LAM, NB, B, 20, M_S, 0.1, 0, dps=dps) - mpmath.fsum(_mp(B))) \
            <= mpmath.mpf(10) ** (-dps)


# --------------------------------------------------------------------------------------
# Monte Carlo of actual random kernels (eigen-coordinates)
#
# Sigma = diag(lam_k repeated N_k times), D = sum N. Functions are coefficient vectors in
# the orthonormal eigenbasis x_j / sqrt(lam_j) of L2(N(0, Sigma)); the feature
# phi_i(x) = <g_i, x> is the vector Sigma^{1/2} g_i (L2 Gram g_i^T Sigma g_j), so
# K_S = Sigma^{1/2} G_S G_S^T Sigma^{1/2} / M_S, the teacher is the Euclidean projection
# P_T onto span(Sigma^{1/2} G_T), f_S(t) = (I - exp(-t K_S)) P_T f*.

FRAC = np.array([1, 3, 6]) / 10        # N_k / D
RATIO_T, RATIO_S = 1 / 5, 1 / 2        # M_T / D, M_S / D
D_REF = 100                            # the equivalent depends on the ratios only
SIZES = ((50, 160), (100, 80), (200, 40), (400, 20))     # (D, seeds)
TIMES = (1, 4, 16, 64)
GD = (0.3, 10)                         # lr, steps (lr * top edge ~ 0.72 < 1)
MC_DPS = 20


def _sizes(D):
    N = [int(round(f * D)) for f in FRAC]
    assert sum(N) == D
    return N, int(round(RATIO_T * D)), int(round(RATIO_S * D))


@lru_cache(maxsize=None)
def reference():
    N, M_T, M_S = _sizes(D_REF)
    out = {
        "e": np.array([[float(v) for v in R.student_factors(LAM, N, M_S, t, dps=MC_DPS)]
                       for t in TIMES]),
        "gd": np.array([float(v) for v in R.gd_factors(LAM, N, M_S, *GD, dps=MC_DPS)]),
        "top": float(R.top_edge(LAM, N, M_S, dps=MC_DPS)),
        "risk": np.array([float(R.student_risk(LAM, N, B, M_T, M_S, t, dps=MC_DPS))
                          for t in TIMES]),
        "limit": float(R.student_limit(LAM, N, B, M_T, M_S, dps=MC_DPS)),
        "ceil": float(R.student_ceiling(LAM, N, B, M_S, dps=MC_DPS)),
        "L_T": float(R.teacher(LAM, N, B, M_T, dps=MC_DPS)["L_T"]),
    }
    return out


@lru_cache(maxsize=None)
def simulate(D, seeds):
    """Per seed: block means of diag exp(-t K_S) and diag (I - lr K_S)^n, the top
    eigenvalue, and the risks. The risk is averaged exactly over the direction of f*
    inside each block (E f* f*^T = diag(B_k/N_k)), which the equivalent does not see:
    E_f* ||(h(K_S) P_T - I) f*||^2 = sum_j (B/N)_j ||(h(K_S) P_T - I) e_j||^2, a
    normalized trace with O(1/D) fluctuations instead of O(1/sqrt D)."""
    N, M_T, M_S = _sizes(D)
    lv = np.repeat(np.array(LAM, dtype=float), N)
    blk = np.repeat(np.arange(len(N)), N)
    wB = np.repeat(np.array(B) / np.array(N), N)
    rng = np.random.default_rng([2024, D])
    lr, n = GD
    e, gd, top, risk, limit, ceil, L_T = [], [], [], [], [], [], []

    def block_means(v):
        return [v[blk == k].mean() for k in range(len(N))]

    def risk_of(h, V, RP, RP2):
        # ||(h P - I) e_j||^2 = ||h P e_j||^2 - 2 (h P)_jj + 1, h P = V diag(h) V^T P
        col = (h ** 2) @ RP2
        diag = np.einsum("ji,i,ij->j", V, h, RP)
        return float(np.sum(wB * (col - 2 * diag + 1)))

    for _ in range(seeds):
        Q, _r = np.linalg.qr(np.sqrt(lv)[:, None] * rng.standard_normal((D, M_T)))
        X = np.sqrt(lv)[:, None] * rng.standard_normal((D, M_S))
        w, V = np.linalg.eigh(X @ X.T / M_S)
        w = np.clip(w, 0, None)
        V2 = V * V
        RP = V.T @ Q @ Q.T                       # V^T P_T
        RP2 = RP * RP
        e.append([block_means(V2 @ np.exp(-t * w)) for t in TIMES])
        gd.append(block_means(V2 @ (1 - lr * w) ** n))
        top.append(w[-1])
        risk.append([risk_of(1 - np.exp(-t * w), V, RP, RP2) for t in TIMES])
        span = np.zeros(D)
        span[D - M_S:] = 1                       # rank M_S < D: the top M_S eigenvectors
        limit.append(risk_of(span, V, RP, RP2))
        ceil.append(float(np.sum(wB * (1 - V2 @ span))))
        L_T.append(float(np.sum(wB * (1 - np.sum(Q * Q, axis=1)))))
    return {k: np.array(v) for k, v in
            dict(e=e, gd=gd, top=top, risk=risk, limit=limit, ceil=ceil, L_T=L_T).items()}


def _mean_se(a):
    return a.mean(0), a.std(0, ddof=1) / np.sqrt(a.shape[0])


def test_factors_against_random_kernels(n_se=4, bias_const=1.0, shrink=3):
    # |mean - e_k| <= n_se standard errors + bias_const / D (the equivalent's own O(1/D)
    # error; measured D * gap ~ 0.4 for the lam = 1 block), and the summed gap falls by
    # >= shrink from D = 50 to D = 400.
    ref = reference()
    agg = []
    for D, seeds in SIZES:
        sim = simulate(D, seeds)
        for key, want in (("e", ref["e"]), ("gd", ref["gd"])):
            m, se = _mean_se(sim[key])
            gap = np.abs(m - want)
            assert np.all(gap <= n_se * se + bias_const / D), (D, key, gap, se)
        agg.append(np.sum(np.abs(_mean_se(sim["e"])[0] - ref["e"])))
    assert agg[-1] * shrink <= agg[0], agg


def test_top_edge_against_random_kernels(rtol_largest=0.06, shrink=2):
    # The largest eigenvalue converges to the top edge (Tracy-Widom: fluctuations and
    # a negative bias of order D^-2/3): the gap of its mean falls monotonically over the
    # sizes, by >= shrink overall, and ends within rtol_largest.
    edge = reference()["top"]
    gaps = [edge - simulate(D, s)["top"].mean() for D, s in SIZES]
    assert all(g1 < g0 for g0, g1 in zip(gaps[:-1], gaps[1:])), gaps
    assert gaps[-1] * shrink <= gaps[0], gaps
    assert abs(gaps[-1]) <= rtol_largest * edge, gaps


def test_risk_against_exact_simulation(n_se=4, bias_const=3.0, shrink=5):
    # Relative gap of the mean simulated risk (t in TIMES, t = inf, ceiling, L_T) to the
    # reference: <= n_se standard errors + bias_const / D, and the largest falls by
    # >= shrink from D = 50 to D = 400 (measured D * gap ~ 1-2).
    ref = reference()
    worst = []
    for D, seeds in SIZES:
        sim = simulate(D, seeds)
        w = 0.0
        for key in ("risk", "limit", "ceil", "L_T"):
            m, se = _mean_se(sim[key])
            rel, rel_se = np.abs(m - ref[key]) / ref[key], se / ref[key]
            assert np.all(rel <= n_se * rel_se + bias_const / D), (D, key, rel, rel_se)
            w = max(w, float(np.max(rel)))
        worst.append(w)
    assert worst[-1] * shrink <= worst[0], worst
