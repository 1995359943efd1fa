"""Symbolic check of every algebraic step of the student lower bound (THEORY.md section 4).

The proof is written out in docs/bounds.md; this script redoes each of its algebraic steps
with sympy and finally asserts that the result is the package's single definition,
``lower_bound_expr()`` and ``lower_bound_series()``. Steps that are inequalities between
operators are reduced (as in the proof) to scalar statements about the spectrum, which
are checked here.

Run: ``python derivations/student_lower_bound.py`` (exit status 0 iff every check holds).
"""

from __future__ import annotations

import sys

import sympy as sp

from _checks import check, finish  # the shared bookkeeping: derivations/_checks.py

from w2s_theory._src.bounds import E_sym, F_sym, L_T_sym, alpha_sym, lower_bound_expr
from w2s_theory._src.bounds_series import lower_bound_series

L, E, al, F = L_T_sym, E_sym, alpha_sym, F_sym


def zero(expr) -> bool:
    return sp.simplify(sp.expand(expr)) == 0


# -- a tiny algebra of abstract vectors in L2(mu) ----------------------------------------
# A vector is a dict {basis name: sympy coefficient}; inner products of basis vectors are
# symbols (a Gram table), so identities are proved for every Hilbert space at once.

def vec(**coeffs):
    return {k: sp.sympify(v) for k, v in coeffs.items()}


def lin(*terms):
    """Linear combination: lin((c1, v1), (c2, v2), ...)."""
    out = {}
    for c, v in terms:
        for k, x in v.items():
            out[k] = out.get(k, 0) + c * x
    return out


def inner(x, y, gram):
    return sp.expand(sum(cx * cy * gram[frozenset((a, b))] if a != b else cx * cy * gram[a]
                         for a, cx in x.items() for b, cy in y.items()))


def section(title):
    print(title)


def main() -> int:
    # Gram table: ||f*||^2 = E, <f*, f_T> = P, ||f_T||^2 = F^2, and a generic g = A f_T.
    P, G2, GT, GS = sp.symbols("P G2 GT GS", real=True)
    gram = {"fs": E, "ft": F**2, "g": G2,
            frozenset(("fs", "ft")): P, frozenset(("g", "ft")): GT,
            frozenset(("g", "fs")): GS}
    fs, ft, g = vec(fs=1), vec(ft=1), vec(g=1)
    projection = {P: F**2}                  # projection teacher: <f*, f_T> = ||f_T||^2

    section("1. Spectral step: 0 <= A <= alpha I implies A^2 <= alpha A")
    lam, t = sp.symbols("lambda t", nonnegative=True)
    # every eigenvalue in [0, alpha) is alpha*t/(1+t) with t >= 0; lambda = alpha is a root
    poly = lam**2 - al * lam
    check("lambda^2 - alpha*lambda = lambda*(lambda - alpha)",
          zero(poly - lam * (lam - al)))
    on_interval = sp.simplify(poly.subs(lam, al * t / (1 + t)))
    check("lambda^2 - alpha*lambda = -alpha^2 t/(1+t)^2 <= 0 on [0, alpha)",
          zero(on_interval + al**2 * t / (1 + t) ** 2) and on_interval.is_nonpositive)
    check("... and = 0 at lambda = alpha", poly.subs(lam, al) == 0)
    # hence ||A f_T||^2 = <A^2 f_T, f_T> <= alpha <A f_T, f_T>  (A self-adjoint)

    section("2. Ball: ||g||^2 <= alpha <g, f_T>  <=>  ||g - c|| <= r, c = alpha f_T/2, "
            "r = alpha F/2")
    c = lin((al / 2, ft))
    r = al * F / 2
    gc = lin((1, g), (-1, c))
    check("||g - c||^2 - r^2 = ||g||^2 - alpha <g, f_T>",
          zero(inner(gc, gc, gram) - r**2 - (G2 - al * GT)))

    section("3. Distance from f* to the centre (projection teacher)")
    fc = lin((1, fs), (-1, c))
    a = E - al * F**2 + al**2 * F**2 / 4
    dist2 = inner(fc, fc, gram)
    check("||f* - c||^2 = E - alpha <f*, f_T> + alpha^2 F^2 / 4",
          zero(dist2 - (E - al * P + al**2 * F**2 / 4)))
    check("= E - alpha F^2 + alpha^2 F^2 / 4 when <f*, f_T> = F^2",
          zero(dist2.subs(projection) - a))
    # triangle inequality: ||f* - g|| >= ||f* - c|| - ||g - c|| >= sqrt(a) - r
    b = r
    D = sp.expand((a - b**2).subs(F**2, E - L))
    check("a - b^2 = (1 - alpha) E + alpha L_T  (F^2 = E - L_T)",
          zero(D - ((1 - al) * E + al * L)))
    s = sp.Symbol("s", positive=True)       # alpha = 1/(1+s) in (0, 1]; alpha = 0 gives E
    check("(1 - alpha) E + alpha L_T >= 0 for alpha in [0, 1], so max(0, .) is redundant",
          sp.simplify(D.subs(al, 1 / (1 + s))).is_nonnegative
          and D.subs(al, 0) == E and D.subs(al, 1) == L)

    section("4. Tightness: the nearest point p = c + r (f* - c)/||f* - c||")
    rho = sp.Symbol("rho", positive=True)   # rho = ||f* - c|| = sqrt(a) > r
    p = lin((1, c), (r / rho, fc))
    fp = lin((1, fs), (-1, p))
    on_sphere = {rho**2: a}
    risk_p = sp.expand(inner(fp, fp, gram).subs(projection))
    check("||f* - p||^2 = (rho - r)^2 with rho^2 = ||f* - c||^2",
          zero((risk_p - (rho - r) ** 2).subs(a, rho**2)
               .subs(E, rho**2 + al * F**2 - al**2 * F**2 / 4)))
    pc = lin((1, p), (-1, c))
    check("||p - c|| = r (p is on the sphere)",
          zero(sp.expand(inner(pc, pc, gram).subs(projection)).subs(
              E, rho**2 + al * F**2 - al**2 * F**2 / 4) - r**2))
    pp = inner(p, p, gram).subs(projection)
    pT = inner(p, ft, gram).subs(projection)
    check("||p||^2 = alpha <p, f_T> (sphere condition of step 2)",
          zero((pp - al * pT).subs(E, rho**2 + al * F**2 - al**2 * F**2 / 4)))
    # A = alpha u u^T, u = p/||p||: A f_T = alpha <p, f_T> p / ||p||^2 = p; spectrum {0, alpha}
    check("A = alpha u u^T, u = p/|p|, maps f_T to p: alpha <p, f_T> / ||p||^2 = 1",
          zero((al * pT - pp).subs(E, rho**2 + al * F**2 - al**2 * F**2 / 4)))
    # a concrete instance, exact: f* = (1, 1, 1), f_T = projection onto span{(1, 0, 0),
    # (0, 1, 0)}, alpha = 1/2
    fsv, ftv, av = sp.Matrix([1, 1, 1]), sp.Matrix([1, 1, 0]), sp.Rational(1, 2)
    cv = av / 2 * ftv
    pv = cv + (av * ftv.norm() / 2) * (fsv - cv) / (fsv - cv).norm()
    uv = pv / pv.norm()
    Av = av * uv * uv.T
    risk_v = sp.simplify(((fsv - Av * ftv).T * (fsv - Av * ftv))[0])
    bound_v = lower_bound_expr().subs({L: 1, E: 3, al: av})
    check("concrete instance: risk of alpha u u^T equals the bound",
          sp.simplify(risk_v - bound_v) == 0)
    check("concrete instance: eigenvalues of A are {0, 0, alpha}",
          sorted(sp.simplify(x) for x in Av.eigenvals(multiple=True)) == [0, 0, av])

    section("5. The bound and its cancellation-free form")
    a_L = sp.expand(a.subs(F**2, E - L))
    b_L = al * sp.sqrt(E - L) / 2
    bound = (sp.sqrt(a_L) - b_L) ** 2
    stable = D**2 / (sp.sqrt(D + b_L**2) + b_L) ** 2
    check("(sqrt(a) - b)(sqrt(a) + b) = a - b^2 = D",
          zero((sp.sqrt(a_L) - b_L) * (sp.sqrt(a_L) + b_L) - D))
    check("a = D + b^2 (a sum of non-negative terms)", zero(a_L - (D + b_L**2)))
    check("sqrt(a) - b = D / (sqrt(a) + b), hence (sqrt(a) - b)^2 = D^2 / (sqrt(D + b^2) + b)^2",
          sp.simplify(sp.together((sp.sqrt(a_L) - b_L) - D / (sp.sqrt(a_L) + b_L))) == 0
          and sp.simplify(bound - stable) == 0)
    check("bound == lower_bound_expr() (the package's definition)",
          sp.simplify(bound - lower_bound_expr()) == 0)
    check("alpha = 0: bound = E", sp.simplify(bound.subs(al, 0) - E) == 0)
    w = sp.Symbol("w", positive=True)        # alpha = 2 - w covers alpha < 2, so [0, 1]
    check("L_T = 0: bound = (1 - alpha)^2 E",
          sp.simplify((bound.subs(L, 0) - (1 - al) ** 2 * E).subs(al, 2 - w)) == 0)
    alpha1 = lower_bound_expr().subs({al: 1, E: L + F**2})
    check("alpha = 1: bound = (sqrt(L_T + F^2/4) - F/2)^2",
          sp.simplify(alpha1 - (sp.sqrt(L + F**2 / 4) - F / 2) ** 2) == 0)

    section("6. Gain and PGR")
    q = D / (sp.sqrt(D + b_L**2) + b_L)
    gain_form = sp.sqrt(E - L) * (al * q - (1 - al) * sp.sqrt(E - L))
    check("L_T - bound = F (alpha q - (1 - alpha) F), q = D/(sqrt(a) + b)",
          sp.simplify((L - stable) - gain_form) == 0)
    pgr1 = sp.simplify((L - alpha1) / L)
    check("alpha = 1, L_ceil = 0: PGR <= F / (sqrt(L_T + F^2/4) + F/2)",
          sp.simplify(pgr1 - F / (sp.sqrt(L + F**2 / 4) + F / 2)) == 0)
    check("... = 2 / (1 + sqrt(1 + 4 L_T / F^2))",
          sp.simplify(pgr1 - 2 / (1 + sp.sqrt(1 + 4 * L / F**2))) == 0)
    check("... -> 0 as F -> 0 (a teacher barely better than zero cannot be boosted)",
          sp.limit(pgr1, F, 0) == 0)

    section("7. Small-L_T series at alpha = 1")
    order = 10
    ser = sp.series(alpha1, L, 0, order)
    catalan = sum((-1) ** (n - 1) * sp.catalan(n) * L ** (n + 1) / F ** (2 * n)
                  for n in range(1, order - 1))
    check("series = sum_n (-1)^(n-1) Catalan(n) L_T^(n+1) / F^(2n)",
          sp.expand(ser.removeO() - catalan) == 0)
    check("leading term L_T^2 / F^2", ser.removeO().coeff(L, 2) == 1 / F**2)
    check("series == lower_bound_series(order) (the package's definition)",
          sp.expand(ser.removeO() - lower_bound_series(order).removeO()) == 0
          and ser.getO() == lower_bound_series(order).getO())
    serE = sp.series(lower_bound_expr().subs(al, 1), L, 0, 6)
    check("in E: L_T^2/E - L_T^3/E^2 + 2 L_T^4/E^3 - 4 L_T^5/E^4",
          sp.expand(serE.removeO() - (L**2 / E - L**3 / E**2 + 2 * L**4 / E**3
                                      - 4 * L**5 / E**4)) == 0
          and sp.expand(serE.removeO() - lower_bound_series(6, "E").removeO()) == 0)
    # radius of convergence: the only singularity of sqrt(L_T + F^2/4) is L_T = -F^2/4
    n = sp.Symbol("n", positive=True, integer=True)
    ratio = sp.combsimp(sp.catalan(n + 1).rewrite(sp.binomial)
                        / sp.catalan(n).rewrite(sp.binomial))
    check("radius of convergence F^2/4: Catalan(n+1)/Catalan(n) = 2(2n+1)/(n+2) -> 4",
          zero(ratio - 2 * (2 * n + 1) / (n + 2)) and sp.limit(ratio, n, sp.oo) == 4)

    section("8. Learning rules covered: A = h(K) with h: [0, ||K||] -> [0, alpha]")
    tt, rr, y = sp.symbols("t r y", positive=True)
    h_gf = 1 - sp.exp(-tt * lam)
    check("gradient flow: f = (1 - exp(-t lambda)) y solves f' = -lambda (f - y), f(0)=0",
          zero(sp.diff(h_gf * y, tt) + lam * (h_gf * y - y)) and h_gf.subs(tt, 0) == 0)
    check("h(lambda) = 1 - exp(-t lambda): h(0) = 0, h' > 0, h < 1",
          h_gf.subs(lam, 0) == 0 and sp.diff(h_gf, lam).is_positive
          and (1 - h_gf).is_positive)
    h_r = lam / (lam + rr)
    check("ridge: h(lambda) = lambda/(lambda + r): h(0) = 0, h' > 0, h < 1",
          h_r.subs(lam, 0) == 0 and sp.simplify(sp.diff(h_r, lam)).is_positive
          and sp.simplify(1 - h_r).is_positive)
    Phi = sp.Matrix([[1, 2, 0], [0, 1, -1]])   # finite width: f = Phi a, K = Phi Phi^*
    r0 = sp.Rational(1, 3)
    left = Phi * (Phi.T * Phi + r0 * sp.eye(3)).inv() * Phi.T
    right = Phi * Phi.T * (Phi * Phi.T + r0 * sp.eye(2)).inv()
    check("finite-width ridge: Phi (Phi^T Phi + r)^-1 Phi^T = K (K + r)^-1",
          sp.simplify(left - right) == sp.zeros(2, 2))
    # self-adjointness in L2(mu) for a non-uniform mu: <f, g> = f^T W g, W = diag(mu)
    W = sp.diag(sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(1, 6))
    k = sp.Matrix([[2, 1, 0], [1, 2, 1], [0, 1, 2]])      # a PSD kernel matrix
    Kop = k * W                                            # (K f)(x) = sum k(x,x') f(x') mu(x')
    Aop = Kop * (Kop + r0 * sp.eye(3)).inv()
    check("kernel operator K and K (K + r)^-1 are self-adjoint in L2(mu): W K, W A symmetric",
          (W * Kop - (W * Kop).T) == sp.zeros(3, 3)
          and sp.simplify(W * Aop - (W * Aop).T) == sp.zeros(3, 3))

    section("9. Not covered: a student fitted to finitely many samples")
    # mu uniform on 3 points, f* = (1, 1, 1), teacher = projection onto span{(1, 1, 0)}
    W3 = sp.eye(3) / 3
    fsv, v = sp.Matrix([1, 1, 1]), sp.Matrix([1, 1, 0])
    ftv = ((fsv.T * W3 * v)[0] / (v.T * W3 * v)[0]) * v
    LT = ((fsv - ftv).T * W3 * (fsv - ftv))[0]
    Ev = (fsv.T * W3 * fsv)[0]
    lb = lower_bound_expr().subs({L: LT, E: Ev, al: 1})
    check("teacher f_T = (1, 1, 0), L_T = 1/3, E = 1", ftv == v and LT == sp.Rational(1, 3)
          and Ev == 1)
    # constant kernel k = 1, one sample x_1 = 1, label f_T(x_1) = 1: interpolant f_S = 1
    A_sample = sp.Matrix([[1, 0, 0], [1, 0, 0], [1, 0, 0]])   # f -> f(x_1) * 1
    fS = A_sample * ftv
    LS = ((fsv - fS).T * W3 * (fsv - fS))[0]
    check("sampled student has L_S = 0 < bound = %s" % sp.nsimplify(lb),
          LS == 0 and sp.N(lb) > 0)
    check("its operator f -> f(x_1) is not self-adjoint in L2(mu)",
          W3 * A_sample != (W3 * A_sample).T)
    Kc = sp.ones(3, 3) * W3                              # the same kernel, population
    fpop = (sp.eye(3) - (-tt * Kc).exp()) * ftv
    LSpop = sp.simplify(((fsv - fpop).T * W3 * (fsv - fpop))[0])
    check("population gradient flow with the same kernel obeys the bound for all t",
          sp.simplify(LSpop - (1 - sp.Rational(2, 3) * (1 - sp.exp(-tt))) ** 2) == 0
          and sp.Rational(1, 9) >= lb)

    return finish()


if __name__ == "__main__":
    sys.exit(main())
