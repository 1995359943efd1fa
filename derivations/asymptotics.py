"""Derivation of the asymptotic expansions of the deterministic equivalents (issue 6).

ReLU features, infinite-width student trained on a width-M_T teacher (THEORY.md s. 3).
The package's expressions live in ``w2s_theory/_src/symbolic/asymptotics.py``; this
script re-derives each step with sympy (independently where possible: explicit series,
exact integrals, Hermite expansions) and asserts equality with them. Numerical rates
against the risk engine are tested in ``tests/test_symbolic.py``.

(a) M_T -> infinity at fixed d, degree-1 target:
  1. Stirling: lambda_k = A_lambda (k + (d-2)/2)^-(d+2) (1 + O(k^-2)) on even k, and
     N(d, k) = A_N (k + (d-2)/2)^(d-2) (1 + O(k^-2)) (no 1/k term at this centre);
     checked symbolically and by mpmath at k up to 10^4 (the k^-2 coefficient).
  2. The width equation's leading balance: the Mellin integral (sympy integrate,
     d = 3..7), the root nu_a, and zeta = (M - D_2)/M = (d-1)/(d+2).
  3. L_T = s_1 = nu/(lambda_1 + nu) = 4 d^2 nu (1 + O(nu)).
  4. Optimal time: stationarity of (e^-x (1-s) + s)^2 + C nu^2 K t^gamma gives
     x = lambda_1 t* = log(M/nu) + O(log log M) = (2d+1)/(d-1) log M + O(log log M); the
     Mellin constant K (two integrations by parts, checked by mpmath quadrature) and
     L_S(t*)/L_T^2 = 1 + lambda_1 K t*^gamma/(zeta M).
(b) d -> infinity with M_T = d^kappa:
  5. d N(d, k) lambda_k -> h_k^2, the squared Hermite coefficients of relu (computed
     independently as Gaussian integrals), sum h_k^2 = 1/2 = lim d kappa(1); tau, rho.
  6. Width equation: in the regime (2j, 2j+2) the learned degrees have lambda >> nu and
     o(d^kappa) directions, the others lambda << nu: nu = tau d^(-1-kappa).
  7. Degree-1 target: L_T, the Lambert-W balance for t* (sympy solve), and
     L_S(t*)/L_T^2 - 1 = d/M + (Phi + Phi')/s^2.
  8. Single-index relu target: L_T/E and L_S(t*)/E -> 2 tau, t* = (M - D_2)/(nu S),
     the relative gain s_1 B_1/L_T = d^(1-kappa), exponent -> 1.
  9. Every expression equals the package's and the registry's.

Run: ``python derivations/asymptotics.py`` (exit status 0 iff every check holds).
"""

from __future__ import annotations

import sys
import time

import mpmath
import sympy as sp

from _checks import check, finish  # the shared bookkeeping: derivations/_checks.py

from w2s_theory._src import symbolic
from w2s_theory._src.activations import relu_power_coefficient_expr
from w2s_theory._src.kernels import kernel_expr
from w2s_theory._src.sphere import d_sym, k_sym, multiplicity_expr, u_sym
from w2s_theory._src.symbolic import asymptotics as A
from w2s_theory._src.theory import expressions as th

d, k, M, nu, kap, x = d_sym, k_sym, th.M_sym, th.nu_sym, A.kappa_sym, A.x_sym
_T0 = time.time()


def zero(expr) -> bool:
    e = sp.simplify(sp.gammasimp(expr))
    return e == 0 or sp.simplify(sp.expand_func(e)) == 0


def same(a, b, points) -> bool:
    """``a == b`` exactly if simplify can tell, else to 30 digits at the given points."""
    if zero(a - b):
        return True
    return all(abs(sp.N((a - b).subs(p), 40)) <= 1e-30 * (1 + abs(sp.N(b.subs(p), 40)))
               for p in points)


def section(title):
    print(f"{title}   [{time.time() - _T0:.1f} s]")


def relu_lambda():
    """e_{1,k}^2 for even k >= 2 (the high branch of the package's closed form)."""
    high = relu_power_coefficient_expr(1).args[-1].expr
    return (high**2).replace(lambda z: z.is_Pow and z.base == -1, lambda z: sp.Integer(1))


def part_a():
    fa = A.fixed_dim()
    A_lam, beta, A_N, c = A.relu_large_degree()
    section("(a) 1. Large-degree forms by Stirling series")
    lam = relu_lambda()
    y = sp.Symbol("y", positive=True)
    for dd in (3, 4, 5, 6, 7):
        r = sp.simplify(lam.subs(d, dd) / fa["lambda"].subs(d, dd))
        logr = sp.expand_log(sp.log(r.subs(k, y - sp.Rational(dd - 2, 2))), force=True)
        logr = logr.replace(lambda z: isinstance(z, sp.log) and isinstance(z.args[0], sp.gamma),
                            lambda z: sp.loggamma(z.args[0].args[0]))
        ser = sp.series(logr, y, sp.oo, 3).removeO()
        ser = sp.expand(sp.expand_log(ser, force=True))
        c2 = sp.Rational(dd * (dd + 2) * (dd + 4), 24)
        check(f"d={dd}: log(lambda_k / (A_lambda (k+c)^-(d+2))) = {c2}/(k+c)^2 + "
              f"O(k^-3) (no constant, no 1/k)", zero(ser - c2 / y**2))
        Nr = sp.series(sp.simplify(sp.expand_func(multiplicity_expr().subs(d, dd))
                                   / fa["multiplicity"].subs(d, dd)), k, sp.oo, 2)
        check(f"d={dd}: N(d,k)/(A_N (k+c)^(d-2)) = 1 + O(k^-2)", Nr.removeO() == 1)
    mpmath.mp.dps = 40
    f_lam = sp.lambdify((d, k), lam, "mpmath")
    f_as = sp.lambdify((d, k), fa["lambda"], "mpmath")
    ok = True
    for dd in (3, 8):
        c2 = dd * (dd + 2) * (dd + 4) / mpmath.mpf(24)
        for kk in (100, 1000, 10000):
            r = f_lam(dd, kk) / f_as(dd, kk) - 1
            ok &= abs(r * (kk + (dd - 2) / mpmath.mpf(2)) ** 2 / c2 - 1) < 10.0 / kk
    check("mpmath, d = 3, 8, k = 10^2..10^4: (lambda/lambda_as - 1) (k+c)^2 -> "
          "d(d+2)(d+4)/24", ok)
    check("A_lambda = 2^(d-2) Gamma(d/2)^2/pi^2, beta = d + 2, A_N = 2/Gamma(d-1), "
          "c = (d-2)/2", zero(A_lam - 2 ** (d - 2) * sp.gamma(d / 2) ** 2 / sp.pi**2)
          and beta == d + 2 and zero(A_N - 2 / sp.gamma(d - 1)) and zero(c - (d - 2) / 2))

    section("(a) 2. The width equation's leading balance")
    yy = sp.Symbol("y", positive=True)
    ok = ok2 = True
    for dd in range(3, 8):
        I1 = sp.integrate(yy ** (dd - 2) / (1 + yy ** (dd + 2)), (yy, 0, sp.oo))
        ok &= abs(sp.N(I1 - sp.pi / ((dd + 2) * sp.sin(sp.pi * (dd - 1) / (dd + 2))), 30)
                  ) < 1e-25 and abs(sp.N(I1 - A.mellin(dd - 1, dd + 2), 30)) < 1e-25
        I2 = sp.integrate(yy ** (2 * dd) / (1 + yy ** (dd + 2)) ** 2, (yy, 0, sp.oo))
        ok2 &= abs(sp.N(I2 / I1 - sp.Rational(dd - 1, dd + 2), 30)) < 1e-25
    check("int_0^oo y^(d-2)/(1+y^(d+2)) dy = pi/((d+2) sin(pi(d-1)/(d+2))) = "
          "mellin(d-1, d+2), d = 3..7", ok)
    check("zeta: int y^(d-2) y^(d+2)/(1+y^(d+2))^2 / int y^(d-2)/(1+y^(d+2)) = (d-1)/(d+2)",
          ok2 and zero(fa["zeta"] - (d - 1) / (d + 2)))
    # sum over even k of A_N k^(d-2)/(1 + nu k^beta/A_lam) ~ (1/2) int; y = k (nu/A)^(1/b)
    bal = sp.Eq(M, sp.Rational(1, 2) * A_N * (A_lam / nu) ** ((d - 1) / beta)
                * sp.pi / (beta * sp.sin(sp.pi * (d - 1) / beta)))
    check("balance M = (1/2) A_N (A_lambda/nu)^((d-1)/(d+2)) I (package a_width_balance)",
          zero(bal.rhs - fa["balance"].rhs))
    # the balance is M = C nu^(-(d-1)/(d+2)), C > 0: in w = nu^(-(d-1)/(d+2)) it is linear,
    # with one root (sympy's solve for nu directly returns spurious complex branches, or
    # does not finish, for some d, e.g. d = 6)
    ok = True
    w_ = sp.Symbol("w", positive=True)
    for dd in (3, 4, 6):
        e = sp.Rational(dd + 2, dd - 1)
        root = sp.solve(bal.subs(d, dd).subs(nu, w_ ** -e), w_)
        ok &= len(root) == 1 and same(root[0] ** -e, fa["nu"].subs(d, dd),
                                      [{M: 1000}, {M: 7}])
    check("sympy solve of the balance (d = 3, 4, 6) = the package's nu_a; "
          "nu_a ~ M^-(d+2)/(d-1)", ok and sp.simplify(sp.diff(sp.log(fa["nu"]), M) * M
                                                    + (d + 2) / (d - 1)) == 0)

    section("(a) 3-4. Teacher risk, optimal time, student risk")
    lam1 = sp.simplify(relu_power_coefficient_expr(1).subs(k, 1) ** 2)
    s1 = nu / (lam1 + nu)
    check("lambda_1 = c_1^2 = 1/(4 d^2); s_1 = 4 d^2 nu - 16 d^4 nu^2 + O(nu^3)",
          zero(lam1 - 1 / (4 * d**2)) and zero(sp.series(s1, nu, 0, 3).removeO()
                                               - (4 * d**2 * nu - 16 * d**4 * nu**2)))
    check("L_T = 4 d^2 nu_a (package a_teacher_risk)",
          zero(fa["teacher_risk"] - 4 * d**2 * fa["nu"]))
    # stationarity: 2 s E = dPhi/dx, Phi = C nu^2 K t^gamma, C = 1/(lambda_1 zeta M)
    gam, zeta, K = fa["gamma"], fa["zeta"], fa["K"]
    Kc, tt = sp.symbols("K t", positive=True)
    phi = nu**2 * Kc * tt**gam / (lam1 * zeta * M)
    E_star = sp.simplify(sp.diff(phi, tt) / lam1 / (2 * s1))     # dPhi/dx / (2 s)
    x_eq = sp.log(1 / E_star)                                    # x = log(1/E*)
    ok = True
    for dd in (3, 4, 6):
        lead = sp.limit(sp.expand_log(x_eq.subs(d, dd).subs(nu, fa["nu"].subs(d, dd))
                                      .subs(tt, sp.log(M) ** 2), force=True)
                        / sp.log(M), M, sp.oo)
        ok &= lead == sp.Rational(2 * dd + 1, dd - 1)
    check("x* = log(1/E*) with E* = Phi'(x)/(2 s): x*/log M -> (2d+1)/(d-1) (d = 3, 4, 6; "
          "t* only polylogarithmic in M)", ok)
    check("t* = (2d+1)/(d-1) log(M)/lambda_1 (package a_optimal_time)",
          zero(fa["optimal_time"] - 4 * d**2 * (2 * d + 1) / (d - 1) * sp.log(M)))
    w = sp.Symbol("w", positive=True)
    ok = True
    mpmath.mp.dps = 30
    for dd in range(3, 8):
        g_ = sp.Rational(2 * dd + 1, dd + 2)
        # by parts twice: boundary terms vanish for gamma in (1, 2)
        h1 = sp.integrate(w ** (1 - g_) * (2 * sp.exp(-w) - 4 * sp.exp(-2 * w)), (w, 0, sp.oo))
        mell = h1 / ((1 - g_) * g_)        # I = h1 / (gamma (1 - gamma)): two by-parts
        gm = mpmath.mpf(g_.p) / g_.q           # exact exponent (a float is off by 1e-16)
        # v = y^3 on [0, 1]: the integrand ~ v^(1-gamma) at 0, a singularity tanh-sinh
        # resolves only to ~1e-12 at 30 digits; in y it is ~ y^(5-3 gamma), mild
        quad = (mpmath.quad(lambda y: 3 * y**2 * (y**3) ** (-gm - 1)
                            * mpmath.expm1(-y**3) ** 2, [0, 1])
                + mpmath.quad(lambda v: v ** (-gm - 1) * mpmath.expm1(-v) ** 2,
                              [1, mpmath.inf]))
        ok &= zero(mell - sp.gamma(-g_) * (2**g_ - 2)) and abs(quad - sp.N(mell, 30)) < 1e-20
    check("int_0^oo w^(-gamma-1) (1-e^-w)^2 dw = Gamma(-gamma)(2^gamma - 2) (by parts; "
          "mpmath quadrature), gamma = (2d+1)/(d+2), d = 3..7", ok)
    Kd = (A_N / (2 * beta)) * A_lam ** (gam - 1) * sp.gamma(-gam) * (2**gam - 2)
    check("K = A_N A_lambda^(gamma-1) Gamma(-gamma)(2^gamma-2)/(2(d+2)) (continuum of "
          "sum_k N_k (1-e^{-t lambda_k})^2/lambda_k over even k)", zero(K - Kd))
    delta = sp.simplify(phi.subs(Kc, K) / s1**2).subs(tt, fa["optimal_time"])
    delta = sp.series(delta, nu, 0, 1).removeO()
    check("L_S(t*)/L_T^2 - 1 ~ Phi(t*)/s_1^2 = lambda_1 K t*^gamma/(zeta M) "
          "(package a_risk_ratio)", same(1 + delta, fa["risk_ratio"],
                                         [{d: 3, M: 1000}, {d: 6, M: 10**5}]))
    check("exponent log L_S/log L_T = 2 + log(1 + delta_a)/log L_T -> 2 (package "
          "a_exponent)", same(fa["exponent"], 2 + sp.log(fa["risk_ratio"])
                              / sp.log(fa["teacher_risk"]), [{d: 3, M: 1000}])
          and sp.limit(fa["exponent"].subs(d, 3), M, sp.oo) == 2)


def part_b():
    section("(b) 5. Hermite energies of relu and the regimes")
    z = sp.Symbol("z", real=True)
    h = A.hermite_energy()
    ok = True
    for kk in range(0, 9):
        he = sp.integrate(z * sp.hermite_prob(kk, z) * sp.exp(-z**2 / 2), (z, 0, sp.oo))
        herm = sp.simplify(he**2 / (2 * sp.pi * sp.factorial(kk)))
        ok &= zero(herm - h.subs(k, kk))
    check("h_k^2 = E[relu(z) He_k(z)]^2/k! (Gaussian integrals) = the package's "
          "lim d N_k lambda_k, k = 0..8", ok)
    mpmath.mp.dps = 40
    f = sp.lambdify(d, d * sp.expand_func(multiplicity_expr().subs(k, 4)) *
                    relu_lambda().subs(k, 4), "mpmath")
    check("mpmath: d N(d,4) lambda_4 at d = 10^6 is 1/(48 pi) to 1e-5",
          abs(f(10**6) * 48 * mpmath.pi - 1) < 1e-5)
    total = sp.simplify(d * kernel_expr(1).subs(u_sym, 1))
    zz = sp.integrate(z**2 * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi), (z, 0, sp.oo))
    check("sum_k h_k^2 = E relu(z)^2 = 1/2 = d kappa(1) (Mercer, exact)",
          total == sp.Rational(1, 2) and zz == sp.Rational(1, 2))
    hb = A.high_dim()
    taus = {sp.Rational(3, 2): total - h.subs(k, 0) - h.subs(k, 1),
            sp.Rational(5, 2): total - sum(h.subs(k, i) for i in range(3)),
            sp.Rational(9, 2): total - sum(h.subs(k, i) for i in range(5))}
    check("tau_kappa = 1/2 - sum over learned degrees (0, 1 | 0..2 | 0..4): "
          "(pi-2)/(4 pi), (pi-3)/(4 pi), 1/4 - 37/(48 pi)",
          all(zero(hb["tau"].subs(kap, kv) - tv) for kv, tv in taus.items()))

    section("(b) 6-7. Width equation, degree-1 target")
    ok = True
    for kv, top in ((sp.Rational(3, 2), 1), (sp.Rational(5, 2), 2), (sp.Rational(9, 2), 4)):
        nu_b = hb["nu"].subs(kap, kv)
        lam_top = 1 / (4 * d**2) if top == 1 else 2 * h.subs(k, top) * sp.factorial(
            top) / (2 * d ** (top + 1))
        lam_next = h.subs(k, top + 2 if top > 1 else 2) * sp.factorial(
            top + 2 if top > 1 else 2) / d ** ((top + 2 if top > 1 else 2) + 1)
        n_top = d**top / sp.factorial(top)
        ok &= (sp.limit(lam_top / nu_b, d, sp.oo) == sp.oo
               and sp.limit(lam_next / nu_b, d, sp.oo) == 0
               and sp.limit(n_top / d**kv, d, sp.oo) == 0
               and zero(sp.limit(d**kv * nu_b / (taus[kv] / d), d, sp.oo) - 1))
    check("kappa = 3/2, 5/2, 9/2: learned lambda_top >> nu, next lambda << nu, learned "
          "directions o(d^kappa), and d^kappa = (tau/d)/nu: nu = tau d^(-1-kappa)", ok)
    lam1 = 1 / (4 * d**2)
    ok = True
    for kv in (sp.Rational(3, 2), sp.Rational(5, 2)):
        nu_b = hb["nu"].subs(kap, kv)
        s = 4 * d**2 * nu_b
        LT = hb["teacher_risk"].subs(kap, kv)
        ok &= zero(LT - s) and zero(sp.limit((nu_b / (lam1 + nu_b)) / s, d, sp.oo) - 1)
        # the balance 2 s e^-x = c x^2 derivative; c from the fluctuations learned by t
        if kv < 2:
            lam2 = 2 * h.subs(k, 2) / d**3
            phi = (x / lam1) ** 2 * (h.subs(k, 2) / d) * lam2**2 / (lam1 * d**kv)
        else:
            rho = h.subs(k, 2)
            phi = (x / lam1) ** 2 * nu_b**2 * (rho / d) / (lam1 * d**kv)
        root = sp.solve(sp.Eq(2 * s * sp.exp(-x), sp.diff(phi, x)), x)
        ok &= len(root) == 1 and same(root[0] / lam1, hb["optimal_time_balance"].subs(
            kap, kv), [{d: 100}, {d: 1000}])
        delta = d / d**kv + (phi + sp.diff(phi, x)) / s**2
        ok &= same((1 + delta).subs(x, root[0]), hb["risk_ratio"].subs(kap, kv),
                   [{d: 100}, {d: 1000}])
        ok &= sp.limit(hb["exponent"].subs(kap, kv), d, sp.oo) == 2
    check("kappa = 3/2, 5/2: L_T = s_1 = 4 tau d^(1-kappa); sympy solve of 2 s e^-x = "
          "Phi'(x) is the Lambert W of the package; delta_b; exponent -> 2", ok)
    # F_1/s^2 = d/M: F_1 = nu^2 d lambda_1 C/(lambda_1 + nu)^2, C = (1/lambda_1)/M
    F1 = th.fluctuation_expr().subs({th.N_sym: d, th.lambda_sym: lam1,
                                     th.S_sym: 1 / lam1, th.D2_sym: 0})
    check("F_1/s_1^2 -> d/M (degree-1 fluctuation saturated by t*)",
          zero(sp.limit(F1 / (nu / (lam1 + nu)) ** 2, nu, 0) - d / M))
    def lead(kv):
        # x* = W(z); sympy has no limit of W(z)/log d, so squeeze: for z >= e,
        # W e^W = z with W >= 1 gives W <= log z, hence W = log z - log W >= log z -
        # log log z; both bounds over log d have the same limit
        xb = hb["x_balance"].subs(kap, kv)
        if not isinstance(xb, sp.LambertW):
            return None
        z = xb.args[0]
        lo = sp.limit((sp.log(z) - sp.log(sp.log(z))) / sp.log(d), d, sp.oo)
        hi = sp.limit(sp.log(z) / sp.log(d), d, sp.oo)
        return lo if lo == hi else None

    check("leading t* = 8 max(1, kappa-1) d^2 log d: x* / log d -> 2 max(1, kappa - 1)",
          all(lead(kv) == 2 * max(1, kv - 1) for kv in (sp.Rational(3, 2), sp.Rational(5, 2)))
          and zero(hb["optimal_time"].subs(kap, sp.Rational(5, 2))
                   - 12 * d**2 * sp.log(d)))

    section("(b) 8. Single-index relu target")
    E = sp.simplify(kernel_expr(1).subs(u_sym, 1))
    kv = sp.Rational(5, 4)
    tau0 = taus[sp.Rational(3, 2)]
    check("E = ||relu(<beta,x>)||^2 = kappa(1) = 1/(2d); B_k = N_k lambda_k (same "
          "activation), so L_T/E -> (tau/d)/E = 2 tau", zero(E - 1 / (2 * d))
          and all(zero(hb["si_teacher_risk"].subs(kap, kq) - 2 * taus[kq]) for kq in taus))
    nu_b = hb["nu"].subs(kap, kv)
    S = h.subs(k, 1) / d / lam1                        # B_1/lambda_1 = d
    t_si = d**kv / (nu_b * S)
    check("t* = (M - D_2)/(nu S), S ~ B_1/lambda_1 = d: d^(2 kappa)/tau (package)",
          zero(S - d) and zero(t_si - d ** (2 * kv) / tau0)
          and zero(t_si - symbolic.expression("b_si_optimal_time", kappa=kv)))
    gain = (4 * d**2 * nu_b) * (h.subs(k, 1) / d) / (tau0 / d)
    check("relative gain s_1 B_1/L_T = d^(1-kappa); exponent 1 + log(1 - gain)/log(2 tau) "
          "-> 1", zero(gain - d ** (1 - kv)) and sp.limit(symbolic.expression(
              "b_si_exponent", kappa=kv), d, sp.oo) == 1)


def part_registry():
    section("9. The registry holds the package's expressions")
    fa, hb = A.fixed_dim(), A.high_dim()
    pairs = [("a_nu", fa["nu"]), ("a_teacher_risk", fa["teacher_risk"]),
             ("a_optimal_time", fa["optimal_time"]), ("a_student_risk", fa["student_risk"]),
             ("a_risk_ratio", fa["risk_ratio"]), ("b_nu", hb["nu"]),
             ("b_teacher_risk", hb["teacher_risk"]),
             ("b_optimal_time_balance", hb["optimal_time_balance"]),
             ("b_risk_ratio", hb["risk_ratio"]), ("b_hermite_energy", A.hermite_energy())]
    check("registry entries a_*, b_* are the derived expressions",
          all(symbolic.get_entry(n).build() == e for n, e in pairs))
    check("a_student_risk = a_teacher_risk^2 and b_student_risk = b_teacher_risk^2",
          zero(fa["student_risk"] - fa["teacher_risk"] ** 2)
          and all(zero((hb["student_risk"] - hb["teacher_risk"] ** 2).subs(kap, kv))
                  for kv in (sp.Rational(3, 2), 3, 5)))


def main() -> int:
    part_a()
    part_b()
    part_registry()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
