r"""Asymptotics of the deterministic equivalents for ReLU features, derived with sympy.

Two limits (issue 6, item 2), each for the infinite-width student trained on a teacher
of width :math:`M_T` (``THEORY.md`` section 3):

**(a) large teacher width at fixed d**, degree-1 target. From the Gamma-function
eigenvalues, by Stirling series at large degree (centred at :math:`k + (d-2)/2`, where
the :math:`1/k` terms vanish), :math:`\lambda_k \simeq A_\lambda (k+\tfrac{d-2}{2})^{-(d+2)}`
on even degrees and :math:`N(d,k) \simeq A_N (k+\tfrac{d-2}{2})^{d-2}`. The width
equation's leading balance is a Mellin integral (a factor 1/2: odd degrees >= 3 have
:math:`\lambda_k = 0`):

.. math:: M_T = \tfrac12 A_N (A_\lambda/\nu)^{\frac{d-1}{d+2}}\,
          \frac{\pi/(d+2)}{\sin(\pi\frac{d-1}{d+2})}
          \;\Rightarrow\; \nu \propto M_T^{-\frac{d+2}{d-1}},
          \quad L_T \simeq \nu/\lambda_1 = 4d^2\nu,

the optimal time balances the decay :math:`2 s_1 e^{-t\lambda_1}` of the degree-1 error
against the growth of the fluctuations, :math:`t^*\lambda_1 = \log(M_T/\nu) + O(\log\log
M_T)`, i.e. :math:`t^* \simeq 4d^2\frac{2d+1}{d-1}\log M_T`, and
:math:`L_S(t^*) = L_T^2(1 + \delta_a)`, :math:`\delta_a \simeq \lambda_1 K t^{*\gamma} /
(\zeta M_T)` with :math:`\gamma = \frac{2d+1}{d+2}`, :math:`\zeta = \frac{d-1}{d+2}` and
:math:`K` a Mellin constant: the exponent of :math:`L_S(t^*)` against :math:`L_T` tends
to 2.

**(b) high dimension**, :math:`d\to\infty` with :math:`M_T = d^\kappa`. At fixed degree,
:math:`d N_k\lambda_k \to h_k^2`, the Hermite energies of ReLU
(:math:`1/(2\pi), 1/4, 1/(4\pi), 0, 1/(48\pi), \dots`), and :math:`d\,\kappa(1) = 1/2`.
For :math:`\kappa\in(2j, 2j+2)` (and :math:`(1, 2)` for ``j = 0``) the degrees up to
:math:`\max(1, 2j)` are learned and the rest acts as a ridge:
:math:`\nu \simeq \tau_\kappa d^{-1-\kappa}`, :math:`\tau_\kappa = \tfrac12 - \sum_{k
\le \max(1,2j)} h_k^2`. Degree-1 target: :math:`L_T \simeq 4\tau_\kappa d^{1-\kappa}`,
:math:`t^* = 4d^2 W(\cdot)` (Lambert W of the balance), :math:`L_S(t^*) \simeq L_T^2(1 +
\delta_b)`: exponent 2. Single-index ReLU target: :math:`L_T/E` and
:math:`L_S(t^*)/E` both tend to :math:`2\tau_\kappa > 0` (the unlearned degrees), the
relative gain is :math:`\simeq d^{1-\kappa}` and the exponent tends to 1.

Every formula here is re-derived step by step in ``derivations/asymptotics.py`` and
checked against the risk engine in ``tests/test_symbolic.py`` (errors shrinking at the
stated rates).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..activations import relu_power_coefficient_expr
from ..kernels import kernel_expr
from ..sphere import d_sym, k_sym, multiplicity_expr, u_sym
from ..theory import expressions as th

__all__ = ["kappa_sym", "x_sym", "log_power_law", "mellin", "relu_large_degree",
           "fixed_dim", "hermite_energy", "high_dim", "KAPPA_MAX"]

kappa_sym = sp.Symbol("kappa", positive=True)
x_sym = sp.Symbol("x", positive=True)          # x = t * lambda_1
KAPPA_MAX = 6                                  # regimes (1,2), (2,4), (4,6)
d, k, M, kap = d_sym, k_sym, th.M_sym, kappa_sym


def _loggamma_form(expr):
    """``log(expr)`` expanded into a sum of logs and ``loggamma`` terms."""
    e = sp.expand_log(sp.log(expr.rewrite(sp.gamma)), force=True)
    return e.replace(lambda z: isinstance(z, sp.log) and isinstance(z.args[0], sp.gamma),
                     lambda z: sp.loggamma(z.args[0].args[0]))


def log_power_law(expr, var, shift=0, order=2):
    r"""``(log A, p, rest)`` with ``log expr = log A + p log(var + shift) + rest`` as
    ``var -> oo`` (Stirling series of every Gamma factor); ``rest`` is the series of the
    remaining terms up to ``O(var^-order)`` (so ``rest = 0`` up to that order means the
    power law holds with relative error ``O(var^-order)``)."""
    y = sp.Dummy("y", positive=True)
    L = _loggamma_form(expr).subs(var, y - shift)
    ser = sp.expand(sp.series(L, y, sp.oo, order).removeO())
    p = ser.coeff(sp.log(y))
    rest = sp.expand(ser - p * sp.log(y))
    const = sp.expand(sum(t for t in sp.Add.make_args(rest) if not t.has(y)))
    rest = sp.expand(rest - const).subs(y, var + shift)
    const = const.replace(sp.loggamma, lambda z: sp.log(sp.gamma(z)))
    return const, sp.simplify(p), rest


def mellin(a, b, n=1):
    r""":math:`\int_0^\infty y^{a-1}(1+y^b)^{-n}\,dy = \Gamma(a/b)\Gamma(n-a/b)/(b\Gamma(n))`
    (``0 < a < n b``); verified by sympy integration in ``derivations/asymptotics.py``."""
    a, b, n = sp.sympify(a), sp.sympify(b), sp.sympify(n)   # exact: ints must not turn float
    return sp.gamma(a / b) * sp.gamma(n - a / b) / (b * sp.gamma(n))


def _clean(derived, clean, what):
    """``clean`` (a readable form) after checking that it equals ``derived``: exactly by
    ``gammasimp`` when that settles it, else to 40 digits at sample points (the symbolic
    proof of each identity is in ``derivations/asymptotics.py``)."""
    ratio = derived / clean
    if sp.gammasimp(ratio) == 1:
        return clean
    free = sorted(ratio.free_symbols, key=str)
    for point in ((sp.Rational(7, 2), 4), (sp.Rational(29, 4), 6), (sp.Rational(23, 3), 10)):
        vals = {sym: (point[1] if sym == k else point[0]) for sym in free}
        if abs(sp.N(ratio.subs(vals), 40) - 1) > sp.Float(10) ** -30:
            raise ArithmeticError(f"asymptotic derivation of {what} does not "
                                  f"simplify")               # pragma: no cover - algebra
    return clean


def _relu_high_branch():
    """:math:`e_{1,k}^2` for even ``k >= 2`` (the sign ``(-1)^{k/2-1}`` squares to 1)."""
    high = relu_power_coefficient_expr(1).args[-1].expr
    return (high**2).replace(lambda z: z.is_Pow and z.base == -1, lambda z: sp.Integer(1))


# ----------------------------------------------------------------------------------------
# (a) large teacher width at fixed d


@lru_cache(maxsize=None)
def relu_large_degree():
    r"""``(A_lambda, beta, A_N, shift)``: :math:`\lambda_k \simeq A_\lambda (k+c)^{-\beta}`,
    :math:`N(d,k) \simeq A_N (k+c)^{d-2}`, ``c = (d-2)/2``, both with relative error
    :math:`O(k^{-2})` (the :math:`1/k` terms vanish at this centre)."""
    shift = (d - 2) / 2
    logA, p, rest = log_power_law(_relu_high_branch(), k, shift)
    if rest != 0:                                          # pragma: no cover - algebra
        raise ArithmeticError("lambda_k: a 1/k term survives the centring")
    A_lam = _clean(sp.exp(logA), 2 ** (d - 2) * sp.gamma(d / 2) ** 2 / sp.pi**2, "A_lambda")
    logN, q, rest_n = log_power_law(multiplicity_expr(), k, shift)
    if rest_n != 0 or sp.simplify(q - (d - 2)) != 0:       # pragma: no cover - algebra
        raise ArithmeticError("N(d, k): unexpected large-degree form")
    A_N = _clean(sp.exp(logN), 2 / sp.gamma(d - 1), "A_N")
    return A_lam, sp.simplify(-p), A_N, shift


@lru_cache(maxsize=None)
def fixed_dim():
    """The expressions of limit (a), as a dict (see the module docstring)."""
    A_lam, beta, A_N, shift = relu_large_degree()
    nu = th.nu_sym
    a = d - 1                                  # sum_k N_k ~ k^(d-1): y^(a-1) = y^(d-2)
    # width equation: sum over even k ~ (1/2) int A_N k^(d-2) / (1 + nu k^beta / A_lam) dk
    integral = _clean(mellin(a, beta), sp.pi / (beta * sp.sin(sp.pi * a / beta)),
                      "the width integral")
    balance = sp.Eq(M, sp.Rational(1, 2) * A_N * (A_lam / nu) ** (a / beta) * integral)
    # its root: (A_lam/nu)^(a/beta) = 2 M/(A_N I)
    nu_a = A_lam * (A_N * integral / (2 * M)) ** (beta / a)
    # zeta = (M - D_2)/M: sum N lambda nu/(lambda+nu)^2 over sum N lambda/(lambda+nu)
    r = sp.Dummy("r", positive=True)          # r = a/beta: Gamma(r + 1) = r Gamma(r)
    zeta = _clean(mellin(r * beta + beta, beta, 2) / mellin(r * beta, beta, 1), r,
                  "zeta").subs(r, a / beta)
    lam1 = sp.simplify(relu_power_coefficient_expr(1).subs(k, 1) ** 2)
    L_T = sp.series(nu / (lam1 + nu), nu, 0, 2).removeO().subs(nu, nu_a)   # s_1 ~ nu/lam1
    # t* lambda_1 = log(M/nu) + O(log log M), and log(M/nu_a) = (1 + beta/a) log M + O(1)
    t_star = sp.factor(1 + beta / a) * sp.log(M) / lam1
    # fluctuations learned by time t: G(t) = sum_k N_k (1 - e^{-t lambda_k})^2/lambda_k
    # ~ K t^gamma (Mellin: int w^(-gamma-1) (1 - e^-w)^2 dw = Gamma(-gamma)(2^gamma - 2))
    gamma = sp.factor((2 * d + 1) / beta)
    K = (A_N / (2 * beta)) * A_lam ** (gamma - 1) * sp.gamma(-gamma) * (2**gamma - 2)
    # L_S(t*)/L_T^2 - 1 ~ C nu^2 G(t*)/s_1^2 with C = 1/(lambda_1 zeta M)
    delta = lam1 * K * t_star**gamma / (zeta * M)
    return {"lambda": A_lam * (k + shift) ** (-beta),
            "multiplicity": A_N * (k + shift) ** (d - 2), "nu": nu_a, "teacher_risk": L_T,
            "optimal_time": t_star, "student_risk": L_T**2, "risk_ratio": 1 + delta,
            "exponent": 2 + sp.log(1 + delta) / sp.log(L_T), "gamma": gamma,
            "zeta": zeta, "K": K, "lambda_1": lam1, "balance": balance}


# ----------------------------------------------------------------------------------------
# (b) high dimension, M_T = d^kappa


@lru_cache(maxsize=None)
def hermite_energy():
    r""":math:`h_k^2 = \lim_{d\to\infty} d\,N(d,k)\lambda_k` for ReLU features (piecewise
    in ``k``), from the Stirling series in ``d`` at fixed ``k``."""
    logh, p, _ = log_power_law(d * multiplicity_expr() * _relu_high_branch(), d, 0, 1)
    if p != 0:                                             # pragma: no cover - algebra
        raise ArithmeticError("d N_k lambda_k does not tend to a constant")
    high = _clean(sp.exp(logh), 2 ** (k - 3) * sp.gamma((k - 1) / 2) ** 2
                  / (sp.pi**2 * sp.factorial(k)), "h_k^2")
    low = relu_power_coefficient_expr(1).args[0].expr ** 2
    h0 = sp.exp(log_power_law(d * low.subs(k, 0), d, 0, 1)[0])
    h1 = sp.gammasimp(d * d * low.subs(k, 1))               # N(d, 1) = d; exact 1/4
    return sp.Piecewise((sp.simplify(h0), sp.Eq(k, 0)), (h1, sp.Eq(k, 1)),
                        (0, sp.Eq(sp.Mod(k, 2), 1)), (high, True))


def _h2(kk):
    return hermite_energy().subs(k, kk)


#: kappa regimes (lo, hi) and the top learned degree max(1, 2j) in each
REGIMES = tuple((max(1, 2 * j), 2 * j + 2, max(1, 2 * j)) for j in range(KAPPA_MAX // 2))


def _regime(top):
    """Leading-order expressions of limit (b) in one regime of kappa."""
    x, nu = x_sym, th.nu_sym
    total = sp.simplify(d * kernel_expr(1).subs(u_sym, 1))       # d kappa(1) = 1/2
    tau = sp.nsimplify(total - sum(_h2(i) for i in range(top + 1)))
    rho = sp.nsimplify(sum(_h2(i) for i in range(2, top + 1)))
    # width equation: the learned degrees hold o(d^kappa) directions, the others
    # contribute (tau/d)/nu: the root of d^kappa = (tau/d)/nu
    nu_b = (tau / d) / d**kap
    lam1 = sp.simplify(relu_power_coefficient_expr(1).subs(k, 1) ** 2)     # 1/(4 d^2)
    s = sp.powsimp(sp.series(nu / (lam1 + nu), nu, 0, 2).removeO().subs(nu, nu_b))
    # fluctuation energy learned by time t = x/lambda_1 (C = 1/(lambda_1 M)):
    #  top = 1: degrees >= 2 in their linear regime, sum N lambda^3 ~ N_2 lambda_2^3;
    #  top = 2j: learned degrees 2..2j, F_k ~ C nu^2 N_k/lambda_k, a_k ~ t lambda_k
    if top == 1:
        lam2 = 2 * _h2(2) / d**3                                # lambda_2 ~ 2! h_2^2/d^3
        phi = (x / lam1) ** 2 * (_h2(2) / d) * lam2**2 / (lam1 * d**kap)
    else:
        phi = (x / lam1) ** 2 * nu_b**2 * (rho / d) / (lam1 * d**kap)
    # stationarity in x: 2 s e^{-x} = dPhi/dx = 2 c x, i.e. x e^x = s/c: Lambert W
    c = sp.powsimp(sp.simplify(phi / x**2))
    arg = sp.powsimp(sp.simplify(s / c))
    x_star = sp.LambertW(arg)
    lead = sp.expand_log(sp.log(arg), force=True).coeff(sp.log(d))   # x* ~ lead log d
    # L_S(t*)/L_T^2 - 1 = F_1/s^2 + (Phi + 2 s E)/s^2 = d/M + (c/s^2)(x^2 + 2x)
    if sp.simplify(sp.diff(phi, x) - 2 * c * x) != 0:       # pragma: no cover - algebra
        raise ArithmeticError("Phi is not quadratic in x")
    delta = d ** (1 - kap) + sp.powsimp(sp.simplify(c / s**2)) * (x**2 + 2 * x)
    E = sp.simplify(kernel_expr(1).subs(u_sym, 1))                   # single-index relu
    gain = sp.powsimp(sp.simplify((s * _h2(1) / d) / (tau / d)))    # s_1 B_1 / L_T
    return {"tau": tau, "rho": rho, "nu": nu_b, "teacher_risk": s,
            "optimal_time": sp.factor(lead) * sp.log(d) / lam1,
            "optimal_time_balance": x_star / lam1, "student_risk": s**2,
            "risk_ratio": 1 + delta.subs(x, x_star),
            "exponent": 2 + sp.log(1 + delta.subs(x, x_star)) / sp.log(s),
            "si_teacher_risk": (tau / d) / E, "si_student_risk": (tau / d) / E,
            # (M - D_2)/(nu S) with S ~ B_1/lambda_1 = 4 h_1^2 d (valid for kappa < 3/2)
            "si_optimal_time": d**kap / (nu_b * 4 * _h2(1) * d),
            "si_gain_fraction": gain,
            "si_exponent": 1 + sp.log(1 - gain) / sp.log(2 * tau),
            "lambda_1": lam1, "x_balance": x_star, "delta": delta}


@lru_cache(maxsize=None)
def high_dim():
    """The expressions of limit (b) as a dict of ``Piecewise`` in kappa (one piece per
    regime ``(1, 2), (2, 4), (4, 6)``; see the module docstring)."""
    pieces = [(_regime(top), hi) for _, hi, top in REGIMES]
    out = {}
    for key in pieces[0][0]:
        if key in ("delta",):
            continue
        vals = [p[key] for p, _ in pieces]
        if all(v == vals[0] for v in vals):
            out[key] = vals[0]
        else:
            out[key] = sp.Piecewise(*[(v, kap < hi) for v, (_, hi) in zip(vals, pieces)],
                                    evaluate=False)
    return out


# ----------------------------------------------------------------------------------------
# registry entries

def _register():
    from .catalog import DIM, DEGREE
    from .registry import Entry, Parameter, register

    A = "Asymptotics: large teacher width at fixed dimension"
    B = "Asymptotics: high dimension with teacher width d^kappa"
    src = "w2s_theory._src.symbolic.asymptotics."
    width = Parameter("teacher_width", "teacher width M_T", M, minimum=1)
    nu = Parameter("nu", "effective regularization nu", th.nu_sym, minimum=0,
                   strict_min=True)
    deg2 = Parameter("degree", "even degree k >= 2 (odd degrees >= 3 have lambda_k = 0)",
                     k, integer=True, minimum=2)
    deg1 = Parameter("degree", "degree k >= 1", k, integer=True, minimum=1)
    kappa = Parameter("kappa", "exponent of the teacher width M_T = d^kappa", kap,
                      minimum=1, maximum=KAPPA_MAX, strict_min=True, strict_max=True,
                      excluded=(2, 4), domain_note="the regimes are (1, 2), (2, 4), (4, 6)")
    kappa_si = Parameter("kappa", "exponent of the teacher width M_T = d^kappa", kap,
                         minimum=1, maximum=sp.Rational(3, 2), strict_min=True,
                         strict_max=True, domain_note="derived for kappa in (1, 3/2), "
                         "where the degree-1 part sets the optimal time")
    rate_a = ("Relative error $O(M_T^{-2/(d-1)})$ (the $1/k$ terms of the Stirling series "
              "vanish at the centre $k + (d-2)/2$).")
    rate_b = ("Relative error $O(d^{-r})$, $r = \\min(\\kappa - j_-, j_+ - \\kappa, 1)$ with "
              "$(j_-, j_+)$ the regime of $\\kappa$ ($j_- = 1$ on $(1, 2)$).")

    def fa(key):
        return lambda: fixed_dim()[key]

    def fb(key, regime0=False):
        return (lambda: _regime(1)[key]) if regime0 else (lambda: high_dim()[key])

    for name, key, desc, params, lhs, note in [
        ("a_eigenvalue", "lambda", "large-degree form of the relu eigenvalue lambda_k "
         "(even k)", (DIM, deg2), "\\lambda_k \\simeq",
         "Relative error $O(k^{-2})$: Stirling series of the Gamma ratio."),
        ("a_multiplicity", "multiplicity", "large-degree form of N(d, k)", (DIM, deg1),
         "N(d, k) \\simeq", "Relative error $O(k^{-2})$."),
        ("a_width_balance", "balance", "leading balance of the width equation at large "
         "M_T (a Mellin integral over the even degrees)", (DIM, nu, width), "", rate_a),
        ("a_nu", "nu", "effective regularization of the teacher, M_T -> infinity at "
         "fixed d (relu)", (DIM, width), "\\nu \\simeq", rate_a),
        ("a_teacher_risk", "teacher_risk", "teacher risk L_T = s_1 of a degree-1 target, "
         "large M_T", (DIM, width), "L_T \\simeq", rate_a),
        ("a_optimal_time", "optimal_time", "optimal stopping time t* of the student, "
         "degree-1 target, large M_T", (DIM, width), "t^* \\simeq",
         "$t^*\\lambda_1 = \\log(M_T/\\nu) + O(\\log\\log M_T)$: relative error "
         "$O(\\log\\log M_T/\\log M_T)$."),
        ("a_student_risk", "student_risk", "student risk at the optimal time, "
         "L_S(t*) ~ L_T^2, degree-1 target", (DIM, width), "L_S(t^*) \\simeq", rate_a),
        ("a_risk_ratio", "risk_ratio", "L_S(t*)/L_T^2 = 1 + delta_a: the fluctuations "
         "learned by t*", (DIM, width), "L_S(t^*)/L_T^2 \\simeq",
         "$\\delta_a = \\Theta((\\log M_T)^{\\gamma}/M_T)$, "
         "$\\gamma = (2d+1)/(d+2)$; its constant $K$ is the continuum limit of "
         "$\\sum_k N_k(1 - e^{-t\\lambda_k})^2/\\lambda_k \\simeq K t^\\gamma$, approached "
         "slowly."),
        ("a_exponent", "exponent", "exponent log L_S(t*)/log L_T along M_T -> infinity "
         "(tends to 2)", (DIM, width), "\\frac{\\log L_S(t^*)}{\\log L_T} \\simeq",
         "The proved limit (THEORY.md section 4) is $L_S \\ge L_T^2/F^2\\,(1 + O(L_T))$: "
         "it is attained."),
    ]:
        register(Entry(name, desc, A, src + "fixed_dim", fa(key), params, lhs, note))

    for name, key, desc, params, lhs, note, r0 in [
        ("b_hermite_energy", None, "lim d N(d,k) lambda_k: the Hermite energies of relu",
         (DEGREE,), "h_k^2", "$\\sum_k h_k^2 = 1/2 = \\lim d\\,\\kappa(1)$.", False),
        ("b_tail_mass", "tau", "tau_kappa = lim d sum of N_k lambda_k over the degrees "
         "not learned at M_T = d^kappa", (kappa,), "\\tau_\\kappa", "", False),
        ("b_learned_mass", "rho", "rho_kappa = lim d sum of N_k lambda_k over the learned "
         "degrees 2..2j", (kappa,), "\\rho_\\kappa", "", False),
        ("b_nu", "nu", "effective regularization, d -> infinity with M_T = d^kappa (relu)",
         (DIM, kappa), "\\nu \\simeq", rate_b, False),
        ("b_teacher_risk", "teacher_risk", "teacher risk L_T of a degree-1 target, "
         "M_T = d^kappa", (DIM, kappa), "L_T \\simeq", rate_b, False),
        ("b_optimal_time", "optimal_time", "optimal stopping time t*, degree-1 target, "
         "leading order", (DIM, kappa), "t^* \\simeq",
         "Relative error $O(\\log\\log d/\\log d)$.", False),
        ("b_optimal_time_balance", "optimal_time_balance", "optimal stopping time from "
         "the balance 2 s_1 e^{-x} = dPhi/dx (Lambert W), degree-1 target", (DIM, kappa),
         "t^* \\simeq", "Relative error $O(d^{-r}/\\log d)$ ($r$ as for $\\nu$).", False),
        ("b_student_risk", "student_risk", "student risk at t*, L_S(t*) ~ L_T^2, degree-1 "
         "target, M_T = d^kappa", (DIM, kappa), "L_S(t^*) \\simeq", rate_b, False),
        ("b_risk_ratio", "risk_ratio", "L_S(t*)/L_T^2 = 1 + delta_b, degree-1 target",
         (DIM, kappa), "L_S(t^*)/L_T^2 \\simeq", "$\\delta_b \\to 0$: "
         "$d^{1-\\kappa}$ from $F_1$, the rest from the fluctuations learned by $t^*$.",
         False),
        ("b_exponent", "exponent", "exponent log L_S(t*)/log L_T along d -> infinity, "
         "degree-1 target (tends to 2)", (DIM, kappa),
         "\\frac{\\log L_S(t^*)}{\\log L_T} \\simeq", "Compare with the proved limit 2.",
         False),
        ("b_si_teacher_risk", "si_teacher_risk", "L_T/||f*||^2 for the single-index relu "
         "target relu(<beta,x>): the unlearned degrees", (DIM, kappa),
         "L_T/\\|f^*\\|^2 \\to", rate_b, False),
        ("b_si_student_risk", "si_student_risk", "L_S(t*)/||f*||^2 for the single-index "
         "relu target (same limit: no boost)", (DIM, kappa), "L_S(t^*)/\\|f^*\\|^2 \\to",
         "", False),
        ("b_si_optimal_time", "si_optimal_time", "optimal time t* = (M_T - D_2)/(nu S) for "
         "the single-index relu target, kappa in (1, 3/2)", (DIM, kappa_si), "t^* \\simeq",
         "Relative error $O(d^{-\\min(\\kappa-1, 3-2\\kappa)})$.", True),
        ("b_si_gain_fraction", "si_gain_fraction", "relative gain (L_T - L_S(t*))/L_T for "
         "the single-index relu target, kappa in (1, 3/2)", (DIM, kappa_si),
         "\\frac{L_T - L_S(t^*)}{L_T} \\simeq", "The degree-1 part $s_1 B_1$ of $L_T$.",
         True),
        ("b_si_exponent", "si_exponent", "exponent log(L_S(t*)/E)/log(L_T/E) for the "
         "single-index relu target (tends to 1)", (DIM, kappa_si),
         "\\frac{\\log(L_S(t^*)/E)}{\\log(L_T/E)} \\simeq",
         "Tends to 1, not 2: $L_T/E \\to 2\\tau_\\kappa > 0$ along the path.", True),
    ]:
        build = hermite_energy if key is None else fb(key, r0)
        register(Entry(name, desc, B, src + ("hermite_energy" if key is None else
                                             "high_dim"), build, params, lhs, note))


_register()
