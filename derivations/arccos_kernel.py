"""Derivation of the arc-cosine kernels on the sphere (THEORY.md section 2).

For weights ``w`` uniform on S^{d-1}, ``kappa_{p,q}(u) = E_w[(w.x)_+^p (w.x')_+^q]`` with
``u = <x, x'>``. The package (``w2s_theory/_src/kernels/``) evaluates it as

    kappa_{p,q}(u) = Gamma(d/2) Gamma(m/2 + 1) / (2 pi Gamma((d+m)/2)) * I_{p,q}(theta),
    I_{p,q}(theta) = int_{theta - pi/2}^{pi/2} cos^p(phi) cos^q(phi - theta) dphi,

``m = p + q``, ``theta = arccos u``, with ``I_{p,q} = A(u) + B(u) sqrt(1-u^2)
+ C(u) (pi - arccos u)`` computed by exact rational arithmetic (``arccos_parts``). This
script re-derives every ingredient independently with sympy and asserts agreement:

1. Cho and Saul's J_p (2009, "Kernel methods for deep learning", NIPS, eq. (4)) from
   ``J_p = (-1)^p sin^{2p+1} t (1/sin t d/dt)^p ((pi - t)/sin t)``; their listed J_0..J_2.
2. The Gaussian expectation in polar coordinates of the plane of x, x':
   ``E_g[(g.x)_+^p (g.x')_+^q] = 2^{m/2} Gamma(m/2+1)/(2 pi) I_{p,q}`` (radial integral by
   sympy; angular integral by sympy ``integrate``), hence ``J_p/(2 pi)`` at p = q
   (i.e. ``I_{p,p} = J_p / (2^p p!)``), and the package's exact ``I_{p,q}``.
3. The chi moment ``E|g|^s = 2^{s/2} Gamma((d+s)/2)/Gamma(d/2)`` (sympy integral, symbolic
   d and s), and the sphere normalization ``kappa_p = Gamma(d/2) J_p / (2 pi 2^p
   Gamma(d/2+p))`` (``g = |g| w`` with ``|g|`` independent of ``w`` by rotation
   invariance), asserted equal to ``kernel_expr(p)``.
4. THEORY.md's ReLU formula ``(sqrt(1-u^2) + (pi - arccos u) u) / (2 pi d)``, the value
   ``kappa_p(1) = E[u_+^{2p}]``, and the link with the Funk-Hecke coefficients:
   ``E_u[kappa(u) P_k(u)] = c_k^2`` (d = 3 and d = 5, exact integrals).

Run: ``python derivations/arccos_kernel.py`` (exit status 0 iff every check holds).
"""

from __future__ import annotations

import sys

import mpmath
import sympy as sp

from _checks import check, finish  # the shared bookkeeping: derivations/_checks.py

from w2s_theory._src.activations import get_activation
from w2s_theory._src.kernels import arccos_parts, kernel, kernel_expr
from w2s_theory._src.sphere import d_sym, gegenbauer_expr, k_sym, u_sym

t, phi, T, s_, c_ = sp.symbols("t phi T s c", real=True)
r = sp.Symbol("r", positive=True)
P_MAX = 5          # symbolic checks of J_p for p = 0..P_MAX
PQ_MAX = 3         # angular integrals I_{p,q} by sympy for p, q <= PQ_MAX


def rat(x):
    return sp.Rational(x.numerator, x.denominator)


def parts_expr(p, q, u=u_sym, s=s_, ang=T):
    """The package's I_{p,q} as A(u) + B(u) s + C(u) ang (exact rationals)."""
    a, b, c = arccos_parts(p, q)
    poly = lambda cs: sum((rat(x) * u ** i for i, x in enumerate(cs)), sp.Integer(0))  # noqa
    return poly(a) + poly(b) * s + poly(c) * ang


def reduce_us(expr):
    """Reduce a polynomial in (u, s, T) modulo s^2 = 1 - u^2, expanded."""
    expr = sp.expand(expr)
    poly = sp.Poly(expr, s_)
    out = sp.Integer(0)
    for (i,), coef in poly.terms():
        out += coef * (1 - u_sym ** 2) ** (i // 2) * s_ ** (i % 2)
    return sp.expand(out)


# --------------------------------------------------------------------------------------
def cho_saul_J(p: int):
    """J_p(t) by the derivative formula of Cho and Saul (2009), eq. (4)."""
    f = (sp.pi - t) / sp.sin(t)
    for _ in range(p):
        f = sp.diff(f, t) / sp.sin(t)
    return sp.simplify((-1) ** p * sp.sin(t) ** (2 * p + 1) * f)


def J_in_u(J):
    """J_p(t) rewritten in (u = cos t, s = sin t, T = pi - t), reduced."""
    e = sp.expand_trig(J).subs(t, sp.pi - T)   # t = pi - T (double angles expanded first)
    e = e.subs({sp.sin(T): s_, sp.cos(T): -u_sym})   # sin t = sin T, cos t = -cos T
    e = sp.cancel(sp.together(e))
    num, den = sp.fraction(e)
    if den != 1:
        e = sp.cancel(reduce_us(num) / reduce_us(den))
    return reduce_us(e)


def section_1_and_2():
    print("1. Cho and Saul's J_p, and the Gaussian expectation in polar coordinates")
    listed = {0: sp.pi - t,
              1: sp.sin(t) + (sp.pi - t) * sp.cos(t),
              2: 3 * sp.sin(t) * sp.cos(t) + (sp.pi - t) * (1 + 2 * sp.cos(t) ** 2)}
    Js = {}
    for p in range(P_MAX + 1):
        Js[p] = cho_saul_J(p)
        if p in listed:
            check(f"J_{p} = {listed[p]} (Cho & Saul 2009)",
                  sp.simplify(sp.expand_trig(Js[p] - listed[p])) == 0)
    # Radial part: int_0^oo r^{m+1} e^{-r^2/2} dr = 2^{m/2} Gamma(m/2 + 1).
    for m in range(0, 2 * P_MAX + 1):
        rad = sp.integrate(r ** (m + 1) * sp.exp(-r ** 2 / 2), (r, 0, sp.oo))
        ok = sp.simplify(rad - 2 ** sp.Rational(m, 2) * sp.gamma(sp.Rational(m, 2) + 1)) == 0
        if not ok or m in (0, 1, 2, 2 * P_MAX):
            check(f"radial integral, m = {m}: 2^(m/2) Gamma(m/2+1)", ok)
    # I_{p,p} = J_p / (2^p p!)  <=>  E_g[(g.x)_+^p (g.y)_+^p] = J_p / (2 pi).
    for p in range(P_MAX + 1):
        lhs = J_in_u(Js[p])
        rhs = reduce_us(2 ** p * sp.factorial(p) * parts_expr(p, p))
        check(f"package I_{{{p},{p}}} = J_{p} / (2^{p} {p}!) exactly", sp.expand(lhs - rhs) == 0)
    # Angular integral by sympy, p, q <= PQ_MAX (theta symbolic), against the package.
    th = sp.Symbol("theta", positive=True)
    for p in range(PQ_MAX + 1):
        for q in range(PQ_MAX + 1):
            integ = sp.integrate(sp.expand_trig(sp.cos(phi) ** p * sp.cos(phi - th) ** q),
                                 (phi, th - sp.pi / 2, sp.pi / 2))
            mine = parts_expr(p, q, u=sp.cos(th), s=sp.sin(th), ang=sp.pi - th)
            diff = sp.simplify(sp.expand_trig(integ - mine))
            num_ok = True
            with mpmath.workdps(50):
                for x in ("0.001", "0.4", "1.3", "2.2", "3.14"):
                    val = sp.N((integ - mine).subs(th, sp.Float(x, 50)), 50)
                    num_ok &= abs(val) < sp.Float("1e-40")
            check(f"I_{{{p},{q}}}(theta) by sympy integrate = package "
                  f"({'symbolic' if diff == 0 else 'numeric, 50 digits'})",
                  num_ok and (diff == 0 or num_ok))
            check(f"I_{{{p},{q}}} = I_{{{q},{p}}} (package, computed separately)",
                  arccos_parts(p, q) == arccos_parts(q, p))
    return Js


def section_3(Js):
    print("2. Chi moment and sphere normalization")
    dd, ss = sp.symbols("d s", positive=True)
    num = sp.integrate(r ** (ss + dd - 1) * sp.exp(-r ** 2 / 2), (r, 0, sp.oo), conds="none")
    den = sp.integrate(r ** (dd - 1) * sp.exp(-r ** 2 / 2), (r, 0, sp.oo), conds="none")
    chi = sp.gammasimp(sp.powsimp(num / den, force=True))
    check("E|g|^s = 2^(s/2) Gamma((d+s)/2) / Gamma(d/2) (symbolic d, s)",
          sp.simplify(chi / (2 ** (ss / 2) * sp.gamma((dd + ss) / 2) / sp.gamma(dd / 2))) == 1)
    chi2p = lambda p: (2 ** p * sp.gamma(d_sym / 2 + p) / sp.gamma(d_sym / 2))  # noqa: E731
    for p in range(P_MAX + 1):
        # kappa_p = E_g[...] / E|g|^{2p} = (J_p / (2 pi)) / (2^p Gamma(d/2+p)/Gamma(d/2))
        derived = (Js[p] / (2 * sp.pi)) / chi2p(p)
        brief = sp.gamma(d_sym / 2) * Js[p] / (2 * sp.pi * 2 ** p * sp.gamma(d_sym / 2 + p))
        check(f"p = {p}: (J_p / 2pi) / E|g|^(2p) = Gamma(d/2) J_p / (2 pi 2^p Gamma(d/2+p))",
              sp.simplify(sp.gammasimp(derived - brief)) == 0)
        # Compare with kernel_expr(p): write both in (u, s, T) and compare exactly.
        const_b = sp.gamma(d_sym / 2) / (2 * sp.pi * 2 ** p * sp.gamma(d_sym / 2 + p))
        e = kernel_expr(p).subs({sp.sqrt(1 - u_sym ** 2): s_}).subs(sp.acos(u_sym), sp.pi - T)
        diff = sp.expand(reduce_us(sp.expand(e)) - const_b * J_in_u(Js[p]))
        diff = sp.simplify(sp.gammasimp(diff))
        check(f"p = {p}: kernel_expr(p) = Gamma(d/2) J_p(arccos u) / (2 pi 2^p Gamma(d/2+p))",
              diff == 0)


def section_4():
    print("3. THEORY.md's ReLU kernel, kappa(1) = E[sigma^2], Funk-Hecke link")
    relu = (sp.sqrt(1 - u_sym ** 2) + (sp.pi - sp.acos(u_sym)) * u_sym) / (2 * sp.pi * d_sym)
    check("kernel_expr(1) = (sqrt(1-u^2) + (pi - arccos u) u) / (2 pi d)",
          sp.simplify(kernel_expr(1) - relu) == 0)
    check("kernel('relu', d).expr() is the same expression",
          sp.simplify(kernel("relu", 7).expr() - relu) == 0)
    for p in range(P_MAX + 1):
        # E[u_+^{2p}] = (1/2) E[u^{2p}] = Gamma(d/2) Gamma(p+1/2) / (2 sqrt(pi) Gamma(d/2+p))
        moment = (sp.gamma(d_sym / 2) * sp.gamma(p + sp.Rational(1, 2))
                  / (2 * sp.sqrt(sp.pi) * sp.gamma(d_sym / 2 + p)))
        at1 = kernel_expr(p).subs(u_sym, 1)
        check(f"kappa_{p}(1) = E[u_+^{2 * p}]", sp.simplify(sp.gammasimp(at1 - moment)) == 0)
    # E[u^{2p}] itself from the density of u, symbolic d (Beta integral).
    for p in range(3):
        dens = (sp.gamma(d_sym / 2) / (sp.sqrt(sp.pi) * sp.gamma((d_sym - 1) / 2))
                * (1 - u_sym ** 2) ** ((d_sym - 3) / 2))
        integ = 2 * sp.integrate(u_sym ** (2 * p) * dens, (u_sym, 0, 1), conds="none")
        target = (sp.gamma(d_sym / 2) * sp.gamma(p + sp.Rational(1, 2))
                  / (sp.sqrt(sp.pi) * sp.gamma(d_sym / 2 + p)))
        check(f"E[u^{2 * p}] = Gamma(d/2) Gamma(p+1/2) / (sqrt(pi) Gamma(d/2+p))",
              sp.simplify(sp.gammasimp(sp.hyperexpand(integ) - target)) == 0)
    # Mercer / Funk-Hecke: E_u[kappa(u) P_k(u)] = c_k^2 (exact integrals, d = 3 and 5),
    # in the variable t = arccos u (sqrt(1-u^2) = sin t, du = -sin t dt on [0, pi]).
    for d in (3, 5):
        z_d = sp.gamma(sp.Rational(d, 2)) / (sp.sqrt(sp.pi) * sp.gamma(sp.Rational(d - 1, 2)))
        for name in ("step", "relu", "relu2", "abs"):
            c = get_activation(name).family.coefficients_exact(d, 3)
            kap = kernel(name, d).expr().subs(d_sym, d)
            kap = kap.subs({sp.sqrt(1 - u_sym ** 2): sp.sin(t), sp.acos(u_sym): t,
                            sp.acos(-u_sym): sp.pi - t}).subs(u_sym, sp.cos(t))
            ok = not kap.has(u_sym)
            for k in range(4):
                pk = gegenbauer_expr().subs({d_sym: d, k_sym: k}).subs(u_sym, sp.cos(t))
                val = sp.integrate(sp.expand(kap * pk * z_d * sp.sin(t) ** (d - 2)),
                                   (t, 0, sp.pi))
                ok &= sp.simplify(val - c[k] ** 2) == 0
            check(f"d = {d}, {name}: E_u[kappa(u) P_k(u)] = c_k^2 (activations), k = 0..3",
                  ok)
    check("step kernel at u = 0 is 1/4 (orthant probability)",
          kernel("step", 9).expr().subs(u_sym, 0) == sp.Rational(1, 4))


def main() -> int:
    Js = section_1_and_2()
    section_3(Js)
    section_4()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
