"""Derivation of the Funk-Hecke coefficients of ReLU powers (THEORY.md section 2).

The package (``w2s_theory/_src/activations.py``) uses, for ``e_{p,k} = E_u[u_+^p P_k(u)]``
with ``u`` distributed as ``c_d (1-u^2)^{(d-3)/2}`` on [-1, 1],

    k <= p:            e = Gamma(d/2) p! Gamma((p-k+1)/2)
                           / (sqrt(pi) 2^(k+1) (p-k)! Gamma((p+k+d)/2)),
    k > p, k-p odd:    e = (-1)^((k-p-1)/2) p! Gamma(d/2) Gamma((k-p)/2)
                           / (2^(p+1) pi Gamma((k+p+d)/2)),
    k > p, k-p even:   e = 0,

and for the piecewise-power family ``sum_p a_p u_+^p + b_p (-u)_+^p`` the coefficients
``c_k = sum_p (a_p + (-1)^k b_p) e_{p,k}``. This script derives all of it with sympy:

1. Rodrigues' formula: ``P_k(u) (1-u^2)^a = R_k D^k (1-u^2)^(k+a)``, ``a = (d-3)/2``,
   with ``R_k = (-1)^k Gamma(a+1) / (2^k Gamma(k+a+1))`` (from ``P_k(1) = 1``), checked
   against the package's ``gegenbauer_expr`` for k = 0..5 with symbolic d.
2. Integration by parts: the boundary terms vanish (``D^j (1-u^2)^(k+a)`` keeps a factor
   ``(1-u^2)^(k+a-j)``, j < k), so ``E[f P_k] = c_d R_k (-1)^k int f^(k) (1-u^2)^(k+a)``.
3. ``f = u_+^p``, ``k <= p``: ``f^(k) = p!/(p-k)! u_+^(p-k)`` and a Beta integral; the
   result equals the package's low branch for symbolic p, k and d.
4. ``k > p``: p integrations by parts leave ``p! H(u)``, whose integral against
   ``D^(k-p) (1-u^2)^(k+a)`` is ``-D^(k-p-1)(1-u^2)^(k+a)`` at 0: zero when ``k - p`` is
   even, and ``(-1)^j (2j)! binom(k+a, j)`` times constants when ``k - p - 1 = 2j``; with
   the duplication formula this is the package's high branch (symbolic p, j, d).
5. Fixed k (0..6) and p (0..3), symbolic d: direct integration of ``u^p P_k(u)`` against
   the density (Beta integrals monomial by monomial) equals
   ``relu_power_coefficient_expr(p)``; numerically (mpmath quadrature, d = 3..7) too.
6. General patterns: ``P_k(-u) = (-1)^k P_k(u)`` gives the reflection
   ``E[(-u)_+^p P_k] = (-1)^k e_{p,k}``, hence ``PiecewisePower.expr()`` for relu, abs,
   sign, leaky relu and monomials; monomials ``u^p`` have ``c_k = 0`` for ``k > p``;
   ReLU has ``c_1 = 1/(2d)`` and ``c_k = 0`` for odd ``k >= 3``.

Run: ``python derivations/relu_funk_hecke.py`` (exit status 0 iff every check holds).
"""

from __future__ import annotations

import sys

import mpmath
import sympy as sp

from _checks import check, finish  # the shared bookkeeping: derivations/_checks.py

from w2s_theory._src.activations import (PiecewisePower, get_activation,
                                         relu_power_coefficient_expr)
from w2s_theory._src.sphere import d_sym, gegenbauer_expr, k_sym, u_density_expr, u_sym

d = d_sym
u = sp.Symbol("u", real=True)
a = (d - 3) / 2                                   # exponent of the density's weight
c_d = sp.gamma(d / 2) / (sp.sqrt(sp.pi) * sp.gamma((d - 1) / 2))
K_RODRIGUES = 5
K_FIXED, P_FIXED = 6, 3


def zero(expr) -> bool:
    """``expr == 0``: gammasimp, then Gamma functions whose arguments differ by integers
    expanded onto one another (``expand_func``), then simplify."""
    e = sp.simplify(sp.gammasimp(expr))
    if e == 0:
        return True
    return sp.simplify(sp.gammasimp(sp.expand_func(e))) == 0


def section(title):
    print(title)


def R(k):
    """Rodrigues constant in closed form."""
    return (-1) ** k * sp.gamma(a + 1) / (2**k * sp.gamma(k + a + 1))


def rodrigues_polynomial(k):
    """(1-u^2)^(-a) D^k (1-u^2)^(k+a), simplified to a polynomial in u."""
    q = sp.diff((1 - u**2) ** (k + a), u, k) * (1 - u**2) ** (-a)
    return sp.factor(sp.simplify(sp.powsimp(sp.expand(q), force=True)))


def beta_half(n, m):
    """int_0^1 u^n (1-u^2)^m du = B((n+1)/2, m+1)/2."""
    return sp.gamma((n + 1) / sp.Integer(2)) * sp.gamma(m + 1) / (
        2 * sp.gamma((n + 1) / sp.Integer(2) + m + 1))


def main() -> int:
    P_pkg = gegenbauer_expr().subs(u_sym, u)

    section("0. The density of u and the Beta integral")
    check("density = c_d (1-u^2)^a (package u_density_expr)",
          zero(u_density_expr().subs(u_sym, u) - c_d * (1 - u**2) ** a))
    m = sp.Symbol("m", positive=True)
    ok = True
    for n in range(0, 6):
        got = sp.integrate(u**n * (1 - u**2) ** m, (u, 0, 1), conds="none")
        ok &= zero(sp.hyperexpand(got) - beta_half(n, m))
    check("int_0^1 u^n (1-u^2)^m du = B((n+1)/2, m+1)/2 for n = 0..5, symbolic m", ok)
    check("total mass: c_d int_{-1}^1 (1-u^2)^a du = 1", zero(2 * c_d * beta_half(0, a) - 1))

    section("1. Rodrigues' formula with symbolic d")
    for k in range(K_RODRIGUES + 1):
        Q = rodrigues_polynomial(k)
        is_poly = Q.is_polynomial(u) and sp.degree(Q, u) == k
        Rk = sp.simplify(1 / Q.subs(u, 1))
        check(f"k={k}: (1-u^2)^-a D^k (1-u^2)^(k+a) is a degree-{k} polynomial; "
              f"R_k = 1/Q_k(1) = (-1)^k Gamma(a+1)/(2^k Gamma(k+a+1)); "
              f"R_k Q_k = P_k (package)",
              is_poly and zero(Rk - R(k))
              and zero(sp.expand(R(k) * Q - sp.expand_func(P_pkg.subs(k_sym, k)))))

    section("2. Integration by parts: boundary terms vanish")
    ok = True
    for k in range(1, K_RODRIGUES + 1):
        for j in range(k):
            q = sp.diff((1 - u**2) ** (k + a), u, j) / (1 - u**2) ** (k + a - j)
            q = sp.simplify(sp.powsimp(sp.expand(q), force=True))
            ok &= q.is_polynomial(u)
    check("D^j (1-u^2)^(k+a) = (1-u^2)^(k+a-j) x polynomial for j < k <= 5 "
          "(and k + a - j >= a + 1 > 0 for d >= 2, so it vanishes at u = +-1)", ok)

    section("3. k <= p: f^(k) = p!/(p-k)! u_+^(p-k) and a Beta integral")
    p, k = sp.symbols("p k", integer=True, nonnegative=True)
    low = c_d * R(k) * (-1) ** k * sp.factorial(p) / sp.factorial(p - k) * beta_half(
        p - k, k + a)
    generic_low = (sp.gamma(d / 2) * sp.factorial(p) * sp.gamma((p - k + 1) / 2)
                   / (sp.sqrt(sp.pi) * 2 ** (k + 1) * sp.factorial(p - k)
                      * sp.gamma((p + k + d) / 2)))
    check("c_d R_k (-1)^k p!/(p-k)! B((p-k+1)/2, k+a+1)/2 = the closed form (symbolic "
          "p, k, d)", zero(low - generic_low))
    check("... which is the package's k <= p branch (p = 0..3, symbolic k and d)",
          all(zero(relu_power_coefficient_expr(pp).args[0].expr
                   - generic_low.subs(p, pp).subs(k, k_sym)) for pp in range(4)))

    section("4. k > p: p! H(u) against D^(k-p) (1-u^2)^(k+a)")
    mm = sp.Symbol("m", positive=True)
    ok = True
    for n in (1, 3, 5):
        ok &= sp.simplify(sp.diff((1 - u**2) ** mm, u, n).subs(u, 0)) == 0
    check("odd derivatives of (1-u^2)^m vanish at 0, so e = 0 when k - p is even", ok)
    ok = True
    for jj in range(5):
        der = sp.simplify(sp.diff((1 - u**2) ** mm, u, 2 * jj).subs(u, 0))
        ok &= zero(der - sp.factorial(2 * jj) * (-1) ** jj * sp.gamma(mm + 1)
                   / (sp.gamma(jj + 1) * sp.gamma(mm - jj + 1)))
    check("D^(2j) (1-u^2)^m at 0 = (2j)! (-1)^j binom(m, j) (j = 0..4, symbolic m)", ok)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    kk = p + 1 + 2 * j
    mval = kk + a
    # e = c_d R_k (-1)^p p! int_0^1 D^(k-p) w = -c_d R_k (-1)^p p! D^(k-p-1) w (0)
    high = (-c_d * R(kk) * (-1) ** p * sp.factorial(p) * sp.factorial(2 * j) * (-1) ** j
            * sp.gamma(mval + 1) / (sp.gamma(j + 1) * sp.gamma(mval - j + 1)))
    generic_high = ((-1) ** j * sp.factorial(p) * sp.gamma(d / 2) * sp.gamma((kk - p) / 2)
                    / (2 ** (p + 1) * sp.pi * sp.gamma((kk + p + d) / 2)))
    dup = sp.factorial(2 * j) / sp.factorial(j) - 2 ** (2 * j) * sp.gamma(
        j + sp.Rational(1, 2)) / sp.sqrt(sp.pi)
    check("duplication: (2j)!/j! = 4^j Gamma(j+1/2)/sqrt(pi)", zero(dup.rewrite(sp.gamma)))
    # the sign: (-1)^(k+p) = -1 for k = p + 1 + 2j
    sign_ok = sp.simplify((-1) ** (kk + p) + 1) == 0 or all(
        (-1) ** (kk + p).subs({p: pp, j: jj}) == -1 for pp in range(4) for jj in range(4))
    mag = sp.gammasimp((high * (-1) ** (kk + p + 1) / generic_high).rewrite(sp.gamma))
    mag = sp.simplify(sp.powsimp(sp.expand_power_base(mag, force=True), force=True))
    print(f"      |derived / closed form| = {mag}")
    check("-c_d R_k (-1)^p p! (2j)! (-1)^j binom(k+a, j) = the closed form for "
          "k = p + 1 + 2j (symbolic p, j, d)", sign_ok and zero(mag - 1))
    check("... which is the package's k > p branch (p = 0..3, k = p+1+2j, j = 0..4)",
          all(zero(relu_power_coefficient_expr(pp).args[-1].expr.subs(k_sym, pp + 1 + 2 * jj)
                   - generic_high.subs({p: pp, j: jj})) for pp in range(4) for jj in range(5)))

    section("5. Fixed k, p with symbolic d: direct integration, and quadrature")
    ok = True
    for pp in range(P_FIXED + 1):
        e = relu_power_coefficient_expr(pp)
        for kq in range(K_FIXED + 1):
            poly = sp.Poly(sp.expand(sp.expand_func(P_pkg.subs(k_sym, kq))), u)
            direct = c_d * sum(coef * beta_half(mon[0] + pp, a)
                               for mon, coef in zip(poly.monoms(), poly.coeffs()))
            ok &= zero(direct - e.subs(k_sym, kq))
    check(f"c_d int_0^1 u^p P_k(u) (1-u^2)^a du = relu_power_coefficient_expr(p) for "
          f"p <= {P_FIXED}, k <= {K_FIXED}", ok)
    worst = 0
    mpmath.mp.dps = 30
    for dd in range(3, 8):
        for pp in range(P_FIXED + 1):
            f = sp.lambdify(k_sym, relu_power_coefficient_expr(pp).subs(d, dd), "mpmath")
            for kq in range(K_FIXED + 1):
                Pk = sp.lambdify(u, sp.expand_func(P_pkg.subs({k_sym: kq, d: dd})), "mpmath")
                dens = sp.lambdify(u, c_d.subs(d, dd) * (1 - u**2) ** a.subs(d, dd), "mpmath")
                q = mpmath.quad(lambda x: x**pp * Pk(x) * dens(x), [0, 1])
                worst = max(worst, abs(q - f(kq)))
    check(f"mpmath quadrature, d = 3..7: max |quad - closed form| = {float(worst):.1e} "
          f"< 1e-20", worst < 1e-20)

    section("6. The piecewise-power family")
    ok = True
    for kq in range(K_FIXED + 1):
        Pk = sp.expand_func(P_pkg.subs(k_sym, kq))
        ok &= sp.simplify(Pk.subs(u, -u) - (-1) ** kq * Pk) == 0
    check("P_k(-u) = (-1)^k P_k(u): E[(-u)_+^p P_k] = (-1)^k e_{p,k}", ok)
    ok = True
    for name in ("relu", "abs", "sign", "leaky_relu", "step", "relu2", "relu3"):
        fam = get_activation(name).family
        built = sum(((sp.Rational(ap) + (-1) ** k_sym * sp.Rational(bp))
                     * relu_power_coefficient_expr(pp)
                     for pp, (ap, bp) in enumerate(zip(fam.right, fam.left)) if ap or bp),
                    sp.Integer(0))
        for kq in range(K_FIXED + 1):
            ok &= zero((fam.expr() - built).subs(k_sym, kq))
    check("PiecewisePower.expr() = sum_p (a_p + (-1)^k b_p) e_{p,k} (relu, abs, sign, "
          "leaky relu, step, relu2, relu3; k <= 6)", ok)
    ok = True
    for pp in range(5):
        e = PiecewisePower.polynomial((0,) * pp + (1,)).expr()
        for kq in range(pp + 1, pp + 7):
            ok &= zero(e.subs(k_sym, kq))
        # and c_k for k <= p is the projection of u^p on P_k
        for kq in range(pp + 1):
            Pk = sp.expand_func(P_pkg.subs(k_sym, kq))
            poly = sp.Poly(sp.expand(u**pp * Pk), u)
            direct = 2 * c_d * sum(coef * beta_half(mon[0], a) for mon, coef in
                                   zip(poly.monoms(), poly.coeffs()) if mon[0] % 2 == 0)
            ok &= zero(e.subs(k_sym, kq) - direct)
    check("monomials u^p (p <= 4): c_k = E[u^p P_k] for k <= p and c_k = 0 for k > p", ok)
    relu = get_activation("relu").family.expr()
    check("ReLU: c_1 = 1/(2d), c_k = 0 for odd k = 3..11",
          zero(relu.subs(k_sym, 1) - 1 / (2 * d))
          and all(relu.subs(k_sym, kq) == 0 for kq in range(3, 12, 2)))

    return finish()


if __name__ == "__main__":
    sys.exit(main())
