"""Derivation of the deterministic-equivalent risks (THEORY.md section 3).

Start from the two projection moments of THEORY.md section 3: for the projection ``Pi``
onto the span of ``M`` i.i.d. feature vectors with covariance ``Sigma``,

    E[I - Pi] ~ nu (Sigma + nu)^-1,
    E[(I-Pi) A (I-Pi)] ~ nu^2 (Sigma+nu)^-1 A (Sigma+nu)^-1
        + nu^2 tr(A Sigma (Sigma+nu)^-2) / (M - tr(Sigma^2 (Sigma+nu)^-2))
          (Sigma+nu)^-1 Sigma (Sigma+nu)^-1,

and derive, in the eigenbasis of Sigma (blocks k of multiplicity N_k, eigenvalue
lambda_k, target energy B_k; six directions in three blocks, and a null block):

1. the mean teacher ``E f_T = (1 - s_k) P_k f*`` and the teacher risk
   ``L_T = sum_k s_k B_k + B_null`` (``(I - Pi)`` is an orthogonal projection);
2. the fluctuation energies ``F_k`` (block traces of Cov f_T = the second term), with
   ``S = tr(A Sigma (Sigma+nu)^-2)`` and ``D_2 = tr(Sigma^2 (Sigma+nu)^-2)``;
3. the width equation as the consistency of the two moments: ``tr E[e e^T] = E|e|^2``
   holds iff ``M = sum_k N_k lambda_k/(lambda_k + nu)``; then ``sum F = sum s(1-s) B``
   exactly (and not for another M);
4. the student: gradient flow ``f' = -K (f - f_T)`` from 0 gives ``a_k = 1 - e^{-t
   lambda_k}``, and ``E|A f_T - f*|^2 = |A E f_T - f*|^2 + tr(A Cov A)`` is the student
   risk; ``L_S(0) = |f*|^2``, ``L_S(inf) = L_T``;
5. every derived expression equals the package's (``w2s_theory._src.theory.expressions``);
6. independent numerics: a Monte-Carlo projection of Gaussian features (the moments
   themselves), and the risk engine ``risk_curve`` on a finite spectrum against the
   lambdified expressions.

Run: ``python derivations/deterministic_equivalents.py [--quick]`` (exit status 0 iff
every check holds; ``--quick`` uses fewer Monte-Carlo draws, every step still checked).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import sympy as sp
from scipy import optimize

from _checks import check, finish  # the shared bookkeeping: derivations/_checks.py

from w2s_theory._src.spectra import FiniteSpectrum
from w2s_theory._src.theory import expressions as th
from w2s_theory._src.theory import risk_curve

nu, M, t = th.nu_sym, th.M_sym, th.t_sym


def zero(expr) -> bool:
    """``expr == 0`` for rational functions (of the symbols and of ``exp(-t lambda)``):
    the numerator over a common denominator expands to 0."""
    return sp.expand(sp.numer(sp.together(expr))) == 0


_T0 = [time.time()]


def section(title):
    print(f"{title}   [{time.time() - _T0[0]:.1f} s]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    # three blocks: multiplicities 2, 1, 3; target coordinates x_1..x_6
    mult = [2, 1, 3]
    lam = sp.symbols("lambda_1:4", positive=True)
    x = sp.symbols("x_1:7", real=True)
    blocks = [i for i, n in enumerate(mult) for _ in range(n)]
    n_dir = len(blocks)
    Sig = sp.diag(*[lam[b] for b in blocks])
    I = sp.eye(n_dir)
    fstar = sp.Matrix(x)
    A = fstar * fstar.T
    B = [sum(x[j] ** 2 for j in range(n_dir) if blocks[j] == b) for b in range(3)]
    inv = (Sig + nu * I).inv()

    def block_trace(mat, b):
        return sum(mat[j, j] for j in range(n_dir) if blocks[j] == b)

    section("1. First moment: the mean teacher and the teacher risk")
    E_IminusPi = nu * inv
    mean_T = (I - E_IminusPi) * fstar
    s = [nu / (lam[b] + nu) for b in range(3)]
    check("E f_T = Sigma (Sigma + nu)^-1 f*: each block keeps (1 - s_k) P_k f*",
          all(zero(mean_T[j] - (1 - s[blocks[j]]) * x[j]) for j in range(n_dir)))
    # (I - Pi) is an orthogonal projection: |e|^2 = <f*, (I - Pi) f*>
    risk_T = sp.expand((fstar.T * E_IminusPi * fstar)[0])
    check("L_T = E<f*, (I - Pi) f*> = sum_k s_k B_k",
          zero(risk_T - sum(s[b] * B[b] for b in range(3))))
    gen = {th.lambda_sym: lam[0], th.B_sym: B[0], th.N_sym: mult[0]}
    check("s_k = nu/(lambda_k + nu) and its summand s_k B_k are the package's",
          zero(th.shrinkage_expr().subs(gen) - s[0])
          and zero(th.teacher_risk_summand_expr().subs(gen) - s[0] * B[0]))
    check("a null block (lambda = 0) has s = 1: its energy B_null stays in L_T",
          th.shrinkage_expr().subs(th.lambda_sym, 0) == 1)

    section("2. Second moment: the fluctuation energies")
    S = sp.expand((A * Sig * inv * inv).trace())
    D2 = sp.expand((Sig * Sig * inv * inv).trace())
    check("S = tr(A Sigma (Sigma+nu)^-2) = sum_k lambda_k B_k/(lambda_k+nu)^2 (package "
          "summand)", zero(S - sum(th.s_summand_expr().subs(
              {th.lambda_sym: lam[b], th.B_sym: B[b]}) for b in range(3))))
    check("D_2 = tr(Sigma^2 (Sigma+nu)^-2) = sum_k N_k lambda_k^2/(lambda_k+nu)^2 "
          "(package summand)", zero(D2 - sum(th.d2_summand_expr().subs(
              {th.lambda_sym: lam[b], th.N_sym: mult[b]}) for b in range(3))))
    # the second moment, with the two traces kept as symbols S, D_2 (values above)
    Ss, Ds = th.S_sym, th.D2_sym
    second = nu**2 * inv * A * inv + nu**2 * Ss / (M - Ds) * inv * Sig * inv
    mean_e = E_IminusPi * fstar
    cov = second - mean_e * mean_e.T
    check("E[e] E[e]^T = nu^2 (Sigma+nu)^-1 A (Sigma+nu)^-1: Cov f_T = Cov e is the "
          "second term", all(zero(v) for v in cov - nu**2 * Ss / (M - Ds) * inv * Sig * inv))
    F = [sp.factor(block_trace(cov, b)) for b in range(3)]
    ok = True
    for b in range(3):
        pkg = th.fluctuation_expr().subs({th.lambda_sym: lam[b], th.N_sym: mult[b]})
        ok &= zero(F[b] - pkg)
    check("F_k = block trace of Cov f_T = nu^2 N_k lambda_k/(lambda_k+nu)^2 S/(M - D_2) "
          "(package fluctuation_expr)", ok)

    section("3. Consistency of the two moments: the width equation")
    tr_second = sum(s[b] ** 2 * B[b] for b in range(3)) + sum(F)
    check("tr E[e e^T] = sum_k s_k^2 B_k + sum_k F_k", zero(second.trace() - tr_second))
    # from here on only block energies matter: B_k as symbols
    Bk = sp.symbols("B_1:4", nonnegative=True)
    S_b = sum(lam[b] * Bk[b] / (lam[b] + nu) ** 2 for b in range(3))
    D2_b = sum(mult[b] * lam[b] ** 2 / (lam[b] + nu) ** 2 for b in range(3))
    F_b = [f_.subs({B[b]: Bk[b] for b in range(3)}) for f_ in F]
    X, Y = sp.symbols("X Y")        # sum s^2 B and sum s B
    W = sum(mult[b] * lam[b] / (lam[b] + nu) ** 2 for b in range(3))
    check("sum_k F_k = nu^2 S W/(M - D_2), W = sum_k N_k lambda_k/(lambda_k+nu)^2",
          zero(sum(F_b) - nu**2 * Ss * W / (M - Ds)))
    M_root = sp.solve(sp.Eq(X + nu**2 * Ss * W / (M - Ds), Y), M)
    sub = {X: sum(s[b] ** 2 * Bk[b] for b in range(3)),
           Y: sum(s[b] * Bk[b] for b in range(3)), Ss: S_b, Ds: D2_b}
    width = sum(mult[b] * lam[b] / (lam[b] + nu) for b in range(3))
    check("tr E[e e^T] = E|e|^2 (a projection) has the single solution "
          "M = sum_k N_k lambda_k/(lambda_k + nu) (with S, D_2 their traces)",
          len(M_root) == 1 and zero(sp.factor(sp.together(M_root[0].subs(sub))) - width))
    check("... the package's width equation", zero(
        th.width_equation_expr().lhs.function.subs({th.lambda_sym: lam[0],
                                                    th.N_sym: mult[0]})
        - mult[0] * lam[0] / (lam[0] + nu)))
    sumF = sum(F_b)
    target = sum(s[b] * (1 - s[b]) * Bk[b] for b in range(3))
    on_width = {Ss: S_b, Ds: D2_b, M: width}
    check("with M on the width equation: sum_k F_k = sum_k s_k (1 - s_k) B_k exactly",
          zero((sumF - target).subs(on_width)))
    check("... and not for another M (M = width + 1)",
          not zero((sumF - target).subs({Ss: S_b, Ds: D2_b, M: width + 1})))
    check("M - D_2 = nu W > 0 on the width equation", zero(width - D2_b - nu * W))

    section("4. The student")
    y, f = sp.symbols("y", real=True), sp.Function("f")
    lk = sp.Symbol("lambda", positive=True)
    sol = sp.dsolve(sp.Eq(f(t).diff(t), -lk * (f(t) - y)), f(t), ics={f(0): 0})
    a_t = sp.simplify(sol.rhs / y)
    check("gradient flow f' = -lambda (f - y), f(0) = 0: f = a(t) y with a = 1 - e^{-t "
          "lambda} (package learned_fraction)",
          zero(a_t - th.learned_fraction_expr().subs(th.lambda_sym, lk)))
    a = [th.learned_fraction_expr().subs(th.lambda_sym, lam[b]) for b in range(3)]
    # E|A f_T - f*|^2 = |A E f_T - f*|^2 + tr(A Cov A), A = diag(a_k), direction by
    # direction, then summed over each block
    bias = [(a[blocks[j]] * mean_T[j] - x[j]) ** 2 for j in range(n_dir)]
    var = [a[blocks[j]] ** 2 * cov[j, j] for j in range(n_dir)]
    ok = True
    for b in range(3):
        block = sum(bias[j] + var[j] for j in range(n_dir) if blocks[j] == b)
        pkg = th.student_summand_expr().subs(
            {th.lambda_sym: lam[b], th.N_sym: mult[b], th.B_sym: B[b]})
        ok &= zero(block - pkg)
    check("E|A f_T - f*|^2 = |A E f_T - f*|^2 + tr(A Cov A) = sum_k (1 - a_k(1-s_k))^2 B_k "
          "+ a_k^2 F_k, block by block (package student_summand)", ok)
    summands = [th.student_summand_expr().subs(
        {th.lambda_sym: lam[b], th.N_sym: mult[b], th.B_sym: Bk[b]}) for b in range(3)]
    check("L_S(0) = |f*|^2", zero(sum(summands).subs(t, 0) - sum(Bk)))
    limit = sum(sm.subs(sp.exp(-t * lam[b]), 0) for b, sm in enumerate(summands))
    check("L_S(inf) = L_T on the width equation (e^{-t lambda_k} -> 0)",
          zero((limit - sum(s[b] * Bk[b] for b in range(3))).subs(on_width)))

    section("5. Numerics: Monte-Carlo projections and the risk engine")
    rng = np.random.default_rng(20240611)
    n, Mw = 160, 40
    lam_n = np.arange(1, n + 1, dtype=float) ** -1.5
    fs = np.zeros(n)
    fs[[0, 3, 10, 30]] = [1.0, 0.6, 0.4, 0.3]
    g = lambda v: np.sum(lam_n / (lam_n + v)) - Mw           # noqa: E731
    nu_n = optimize.brentq(g, 1e-12, 10.0)
    s_n = nu_n / (lam_n + nu_n)
    draws = 60 if args.quick else 250
    diag_acc, ee_acc, risk_acc = np.zeros(n), np.zeros(n), 0.0
    for _ in range(draws):
        Z = np.sqrt(lam_n)[:, None] * rng.standard_normal((n, Mw))   # features
        Q, _ = np.linalg.qr(Z)
        e = fs - Q @ (Q.T @ fs)
        diag_acc += 1 - np.sum(Q**2, axis=1)
        ee_acc += e**2
        risk_acc += e @ e
    B_n = fs**2
    S_n = np.sum(lam_n * B_n / (lam_n + nu_n) ** 2)
    D2_n = np.sum(lam_n**2 / (lam_n + nu_n) ** 2)
    F_n = nu_n**2 * lam_n / (lam_n + nu_n) ** 2 * S_n / (Mw - D2_n)
    se = 1 / np.sqrt(draws)
    top = slice(0, 20)
    err_diag = np.max(np.abs(diag_acc[top] / draws - s_n[top]))
    check(f"E[I - Pi] diagonal vs s_k ({draws} draws, n = {n}, M = {Mw}): max error "
          f"{err_diag:.3f} < 0.05", err_diag < 0.05)
    LT_mc, LT_de = risk_acc / draws, np.sum(s_n * B_n)
    check(f"E|(I - Pi) f*|^2 = {LT_mc:.4f} vs sum s B = {LT_de:.4f} (rel. 10%)",
          abs(LT_mc / LT_de - 1) < 0.1)
    flu_mc = ee_acc / draws - (s_n * fs) ** 2
    rest = np.ones(n, bool)
    rest[[0, 3, 10, 30]] = False
    tot_mc, tot_de = np.sum(flu_mc[rest]), np.sum(F_n[rest])
    tol = 0.05 + 2 * se
    check(f"fluctuation energy off the target's directions: {tot_mc:.4f} vs sum F = "
          f"{tot_de:.4f} (rel. {tol:.2f})", abs(tot_mc / tot_de - 1) < tol)
    # the engine on the same finite spectrum vs the lambdified package expressions
    spec = FiniteSpectrum(lam_n.tolist())
    energies = ",".join(f"{i}={float(b)!r}" for i, b in enumerate(B_n) if b > 0)
    times = [0.0, 3.0, 30.0, 300.0, float("inf")]
    curve = risk_curve(spec, f"energies:{energies}", Mw, times, optimal_stopping=False)
    f_w = sp.lambdify((th.lambda_sym, th.N_sym, nu), th.width_summand_expr(), "numpy")
    nu_pkg = optimize.brentq(lambda v: np.sum(f_w(lam_n, 1.0, v)) - Mw, 1e-12, 10.0)
    check(f"engine nu = {curve.nu_teacher:.6e} vs root of the lambdified width equation "
          f"{nu_pkg:.6e} (rel. 1e-9)", abs(curve.nu_teacher / nu_pkg - 1) < 1e-9)
    f_S = sp.lambdify((th.lambda_sym, th.N_sym, th.B_sym, nu, t, th.S_sym, th.D2_sym, M),
                      th.student_summand_expr(), "numpy")
    S_p = np.sum(lam_n * B_n / (lam_n + nu_pkg) ** 2)
    D2_p = np.sum(lam_n**2 / (lam_n + nu_pkg) ** 2)
    worst = 0.0
    for tt, ls in zip(times[:-1], curve.student_risk[:-1]):
        val = np.sum(f_S(lam_n, 1.0, B_n, nu_pkg, tt, S_p, D2_p, Mw))
        worst = max(worst, abs(val - ls) / ls)
    check(f"engine L_S(t) vs the lambdified student summands, t = 0..300: max rel. "
          f"error {worst:.1e} < 1e-9", worst < 1e-9)
    check("engine L_S(inf) = L_T", abs(curve.student_risk[-1] / curve.teacher_risk - 1)
          < 1e-12)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
