r"""Registry entries for the closed forms of the lower modules.

Each builder calls the function that defines the formula (``sphere.multiplicity_expr``,
``activations.relu_power_coefficient_expr``, ``kernels.kernel_expr``,
``theory.expressions.*``, ``bounds.lower_bound_expr``,
``bounds_series.lower_bound_series``); compositions (``lambda_k = c_k^2``, the gain bound
``L_T - LB``) are built from them, never retyped.
"""

from __future__ import annotations

import sympy as sp

from .. import bounds, bounds_series
from ..activations import PiecewisePower, get_activation, relu_power_coefficient_expr
from ..errors import InvalidArgument
from ..kernels import kernel_expr
from ..sphere import d_sym, gegenbauer_expr, k_sym, multiplicity_expr, u_density_expr, u_sym
from ..theory import expressions as th
from .registry import Entry, Parameter, register

__all__ = ["DIM", "DEGREE", "U", "POWER", "L_ceil_sym"]

SPHERE, ACT, KER, DE, FWS, BND = ("Sphere", "Activations (Funk-Hecke coefficients)",
                                  "Kernels", "Deterministic equivalents",
                                  "Finite-width student", "Student lower bound")

DIM = Parameter("dim", "input dimension d (inputs on the sphere S^{d-1})", d_sym,
                integer=True, minimum=2)
DIM3 = Parameter("dim", "input dimension d", d_sym, integer=True, minimum=3,
                 domain_note="at d = 2 the normalized Gegenbauer polynomial is the "
                             "Chebyshev limit T_k")
DEGREE = Parameter("degree", "degree k of the spherical harmonics", k_sym, integer=True,
                   minimum=0)
U = Parameter("u", "inner product u = <w, x>", u_sym, minimum=-1, maximum=1)
U_OPEN = Parameter("u", "inner product u = <w, x>", u_sym, minimum=-1, maximum=1,
                   strict_min=True, strict_max=True,
                   domain_note="the density is infinite or zero at u = +-1")
POWER = Parameter("power", "power p of the ReLU power u_+^p", integer=True, minimum=0,
                  maximum=12, default=1)

# -- sphere --------------------------------------------------------------------------------

register(Entry(
    "multiplicity", "number N(d, k) of degree-k spherical harmonics on S^{d-1}", SPHERE,
    "w2s_theory._src.sphere.multiplicity_expr",
    lambda: sp.Piecewise((1, sp.Eq(k_sym, 0)), (multiplicity_expr(), True)),
    (DIM, DEGREE), "N(d, k)", "THEORY.md section 2."))
register(Entry(
    "gegenbauer", "normalized Gegenbauer polynomial P_k(u) = C_k^(a)(u)/C_k^(a)(1), "
    "a = (d-2)/2", SPHERE, "w2s_theory._src.sphere.gegenbauer_expr", gegenbauer_expr,
    (DIM3, DEGREE, U), "P_k(u)", "$P_k(1) = 1$; addition theorem "
    "$\\sum_j Y_{kj}(x)Y_{kj}(y) = N(d,k) P_k(\\langle x, y\\rangle)$."))
register(Entry(
    "u_density", "density of u = <w, x> for w, x uniform on the sphere", SPHERE,
    "w2s_theory._src.sphere.u_density_expr", u_density_expr, (DIM, U_OPEN), "p_d(u)",
    "On $[-1, 1]$; THEORY.md section 2."))

# -- activations ---------------------------------------------------------------------------

_COEF_NOTE = ("Closed form of the piecewise-power family (Rodrigues' formula and "
              "integration by parts: derivations/relu_funk_hecke.py).")


def _family_entry(name, act, description):
    fam = get_activation(act).family
    register(Entry(f"funk_hecke_{name}", description, ACT,
                   "w2s_theory._src.activations.PiecewisePower.expr", fam.expr,
                   (DIM, DEGREE), f"c_k(\\mathrm{{{name.replace('_', chr(92) + '_')}}})",
                   _COEF_NOTE + " Kernel eigenvalue $\\lambda_k = c_k^2$."))


register(Entry(
    "relu_power_coefficient", "E_u[u_+^p P_k(u)], the Funk-Hecke coefficient of u_+^p",
    ACT, "w2s_theory._src.activations.relu_power_coefficient_expr",
    lambda power: relu_power_coefficient_expr(power),
    (POWER, DIM, DEGREE), "e_{p,k}(d)", _COEF_NOTE))
for _name, _act, _desc in [
        ("relu", "relu", "Funk-Hecke coefficients c_k of relu(u) = max(u, 0)"),
        ("step", "step", "Funk-Hecke coefficients c_k of the step 1{u > 0}"),
        ("relu2", "relu2", "Funk-Hecke coefficients c_k of max(u, 0)^2"),
        ("relu3", "relu3", "Funk-Hecke coefficients c_k of max(u, 0)^3"),
        ("abs", "abs", "Funk-Hecke coefficients c_k of |u|"),
        ("sign", "sign", "Funk-Hecke coefficients c_k of sign(u)"),
        ("leaky_relu", "leaky_relu", "Funk-Hecke coefficients c_k of max(u, u/100)")]:
    _family_entry(_name, _act, _desc)
register(Entry(
    "funk_hecke_monomial", "Funk-Hecke coefficients c_k of the monomial u^p", ACT,
    "w2s_theory._src.activations.PiecewisePower.expr",
    lambda power: PiecewisePower.polynomial((0,) * power + (1,)).expr(),
    (POWER, DIM, DEGREE), "c_k(u^p)",
    _COEF_NOTE + " A polynomial of degree p has $c_k = 0$ for $k > p$."))
register(Entry(
    "eigenvalue_relu", "kernel eigenvalue lambda_k = c_k^2 of relu features on degree k",
    ACT, "w2s_theory._src.activations.PiecewisePower.expr (squared)",
    lambda: get_activation("relu").family.expr() ** 2, (DIM, DEGREE), "\\lambda_k",
    "Multiplicity $N(d, k)$; zero for odd $k \\ge 3$ (THEORY.md section 2)."))

# -- kernels -------------------------------------------------------------------------------

_KER_NOTE = ("Arc-cosine closed form in the sphere normalization "
             "(derivations/arccos_kernel.py); $\\kappa(u) = \\sum_k c_k^2 N(d,k) P_k(u)$.")
register(Entry(
    "kernel_relu", "relu random-feature kernel kappa(u) = E_w relu(<w,x>) relu(<w,x'>)",
    KER, "w2s_theory._src.kernels.kernel_expr", lambda: kernel_expr(1), (DIM, U),
    "\\kappa(u)", _KER_NOTE))
register(Entry(
    "kernel_step", "step random-feature kernel (arc-cosine of order 0)", KER,
    "w2s_theory._src.kernels.kernel_expr", lambda: kernel_expr(0), (DIM, U),
    "\\kappa_0(u)", _KER_NOTE))
register(Entry(
    "kernel_relu_power", "kernel kappa_p(u) = E_w (w.x)_+^p (w.x')_+^p of ReLU powers", KER,
    "w2s_theory._src.kernels.kernel_expr", lambda power: kernel_expr(power),
    (POWER, DIM, U), "\\kappa_p(u)", _KER_NOTE))

# -- deterministic equivalents -------------------------------------------------------------

LAM = Parameter("eigenvalue", "kernel eigenvalue lambda_k of the degree", th.lambda_sym,
                minimum=0)
MULT = Parameter("multiplicity", "multiplicity N_k of the degree", th.N_sym, minimum=0,
                 strict_min=True)
ENERGY = Parameter("energy", "target energy B_k in the degree", th.B_sym, minimum=0)
NU = Parameter("nu", "effective regularization nu of the teacher", th.nu_sym, minimum=0,
               strict_min=True)
TIME = Parameter("time", "training time t of the student", th.t_sym, minimum=0)
WIDTH = Parameter("teacher_width", "teacher width M_T", th.M_sym, minimum=0,
                  strict_min=True)
SSUM = Parameter("s_sum", "S = sum_k lambda_k B_k / (lambda_k + nu)^2", th.S_sym, minimum=0)
D2SUM = Parameter("d2_sum", "D_2 = sum_k N_k lambda_k^2 / (lambda_k + nu)^2", th.D2_sym,
                  minimum=0)
NULL = Parameter("null_energy", "target energy B_null in degrees with lambda_k = 0",
                 th.B_null_sym, minimum=0)


def _width_gap(values):
    if "d2_sum" in values and "teacher_width" in values and \
            values["d2_sum"] >= values["teacher_width"]:
        raise InvalidArgument("d2_sum", f"must be < teacher_width = "
                                        f"{values['teacher_width']} (M_T - D_2 = nu sum_k "
                                        f"N_k lambda_k/(lambda_k+nu)^2 > 0)")


_DE = "THEORY.md section 3; derivations/deterministic_equivalents.py."
_SRC = "w2s_theory._src.theory.expressions."
for _name, _fn, _desc, _params, _lhs, _note, _rel in [
    ("width_equation", th.width_equation_expr,
     "width equation fixing the teacher's effective regularization nu",
     (LAM, MULT, NU, WIDTH), "", "$\\nu > 0$ is its unique root (the sum decreases in "
     "$\\nu$ from the rank to 0). " + _DE, None),
    ("width_summand", th.width_summand_expr, "summand N_k lambda_k/(lambda_k + nu) of the "
     "width equation", (LAM, MULT, NU), "n_k", _DE, None),
    ("shrinkage", th.shrinkage_expr, "s_k = nu/(lambda_k + nu), the part of degree k the "
     "teacher misses", (LAM, NU), "s_k", _DE, None),
    ("d2_summand", th.d2_summand_expr, "summand of D_2 = sum_k N_k lambda_k^2/(lambda_k + "
     "nu)^2", (LAM, MULT, NU), "D_{2,k}", _DE, None),
    ("s_summand", th.s_summand_expr, "summand of S = sum_k lambda_k B_k/(lambda_k + nu)^2",
     (LAM, ENERGY, NU), "S_k", _DE, None),
    ("teacher_risk", th.teacher_risk_expr, "teacher risk L_T of width M_T",
     (LAM, ENERGY, NU, NULL), "L_T", _DE, None),
    ("teacher_risk_summand", th.teacher_risk_summand_expr, "summand s_k B_k of the "
     "teacher risk", (LAM, ENERGY, NU), "L_{T,k}", _DE, None),
    ("fluctuation_energy", th.fluctuation_expr, "fluctuation energy F_k of the teacher "
     "in degree k", (LAM, MULT, NU, SSUM, D2SUM, WIDTH), "F_k", _DE, _width_gap),
    ("fluctuation_sum_identity", th.fluctuation_sum_identity_expr, "sum_k F_k = sum_k "
     "s_k (1 - s_k) B_k when nu solves the width equation",
     (LAM, MULT, ENERGY, NU, SSUM, D2SUM, WIDTH), "", _DE, _width_gap),
    ("learned_fraction", th.learned_fraction_expr, "a_k(t) = 1 - exp(-t lambda_k), the "
     "gradient-flow filter of the student", (LAM, TIME), "a_k(t)", _DE, None),
    ("student_summand", th.student_summand_expr, "summand of the infinite-width "
     "student's risk L_S(t)", (LAM, MULT, ENERGY, NU, TIME, SSUM, D2SUM, WIDTH),
     "L_{S,k}(t)", _DE, _width_gap),
    ("student_risk", th.student_risk_expr, "risk L_S(t) of the infinite-width student "
     "trained on the teacher for time t",
     (LAM, MULT, ENERGY, NU, TIME, SSUM, D2SUM, WIDTH, NULL), "L_S(t)",
     "$L_S(0) = \\|f^*\\|^2$, $L_S(\\infty) = L_T$. " + _DE, _width_gap),
]:
    register(Entry(_name, _desc, DE, _SRC + _fn.__name__, _fn, _params, _lhs, _note, _rel))

# -- the finite-width student (THEORY.md section 3b) --------------------------------------

STUDENT_WIDTH = Parameter("student_width", "student width M_S", th.M_S_sym, integer=True,
                          minimum=1)
Z = Parameter("z", "point z of the resolvent, here real: z = -lambda_r < 0 (ridge)",
              th.z_sym, maximum=0, strict_max=True,
              domain_note="the formula holds for complex z off [0, inf); registry "
                          "parameters are real, so z is taken on the negative axis")
DELTA = Parameter("delta", "delta(z), the root of the student's width equation at z",
                  th.delta_sym, minimum=0, domain_note="delta > 0 at real z < 0")
KAPPA_Z = Parameter("kappa_z", "kappa = -z (1 + delta(z)), the student's effective "
                    "regularization at z", th.kappa_z_sym, minimum=0, strict_min=True,
                    domain_note="at real z < 0, kappa > -z > 0")
# any real kappa but the poles -lambda_k: s_+ minimizes over kappa < -lambda_max, and
# kappa > nu_S gives the ridge points z < 0
KAPPA_EDGE = Parameter("kappa_z", "kappa = -z (1 + delta(z)), the student's effective "
                       "regularization at z", th.kappa_z_sym)
NU_S = Parameter("student_nu", "effective regularization nu_S of the student "
                 "(df(nu_S) = M_S)", th.nu_S_sym, minimum=0, strict_min=True,
                 domain_note="nu_S > 0 iff M_S is below the rank; at or above it the "
                             "student spans the kernel (nu_S = 0)")
E_T = Parameter("e_t", "e_k(t), the equivalent of E[exp(-t K_S)] on degree k", th.e_t_sym,
                minimum=-1, maximum=1, domain_note="in [0, 1] for gradient flow; "
                "E[(1 - eta K_S)^n] for gradient descent, in [-1, 1] when eta s_+ < 2")
E_2T = Parameter("e_2t", "e_k(2t), the same at time 2t", th.e_2t_sym, minimum=0, maximum=1)
LR = Parameter("lr", "step size eta of gradient descent", th.eta_sym, minimum=0,
               strict_min=True)
STEPS = Parameter("steps", "number n of gradient-descent steps", th.n_sym, integer=True,
                  minimum=0)


def _ridge_kappa(values):
    if "kappa_z" in values and "z" in values and values["kappa_z"] <= -values["z"]:
        raise InvalidArgument("kappa_z", f"must be > -z = {-values['z']} (kappa = "
                                         f"-z (1 + delta), delta > 0 at real z < 0)")


def _factors(values):
    _width_gap(values)
    if "e_t" in values and "e_2t" in values and values["e_2t"] < values["e_t"] ** 2:
        raise InvalidArgument("e_2t", f"must be >= e_t^2 = {values['e_t'] ** 2} "
                                      f"(Cauchy-Schwarz and Jensen: E h^2 >= (E h)^2)")


_FWS = ("THEORY.md section 3b; derivation docs/finite_width_student.md, checked by "
        "derivations/finite_width_student.py.")
_ZNOTE = ("Valid for complex $z$ off $[0, \\infty)$ (the root with $\\delta \\to 0$ as "
          "$|z| \\to \\infty$, $\\mathrm{Im}\\,\\delta$ of the sign of "
          "$\\mathrm{Im}\\,z$); the registry's parameters are real, so $z$ is "
          "registered on the negative axis, $z = -\\lambda_r < 0$: ridge regression with "
          "$\\kappa = \\lambda_r(1+\\delta)$, and $\\kappa \\to \\nu_S$ as "
          "$\\lambda_r \\to 0$. ")
_RISK_NOTE = ("$e_k(t)$ is the equivalent of $E[e^{-tK_S}]$ on degree $k$ (a contour "
              "integral of $\\bar Q_k$: w2s_theory._src.theory.resolvent); "
              "$e_k = e^{-t\\lambda_k}$ gives the infinite-width student_summand; "
              "gradient descent takes $e_k(t) \\to E[(1-\\eta K_S)^n]$ and "
              "$e_k(2t) \\to E[(1-\\eta K_S)^{2n}]$ on degree $k$ "
              "($(1-\\eta\\lambda_k)^n$ at infinite width). ")
for _name, _fn, _desc, _params, _lhs, _note, _rel in [
    ("student_delta_equation", th.delta_equation_expr,
     "the student's width equation fixing delta(z) of the resolvent equivalent",
     (LAM, MULT, DELTA, Z, STUDENT_WIDTH), "", _ZNOTE + _FWS, None),
    ("student_delta_summand", th.delta_summand_expr, "summand N_k lambda_k/(lambda_k/(1 + "
     "delta) - z) of the student's width equation (M_S delta is their sum)",
     (LAM, MULT, DELTA, Z), "n_k(z)", _ZNOTE + _FWS, None),
    ("student_resolvent", th.resolvent_equivalent_expr, "deterministic equivalent "
     "Qbar_k(z) of E (K_S - z)^{-1} on degree k", (LAM, DELTA, Z), "\\bar Q_k(z)",
     "$\\bar Q_k$ is the Stieltjes transform of a probability measure $\\mu_k$ on "
     "$[0, \\infty)$ (Couillet and Liao 2022, ch. 2; Bach 2023). " + _ZNOTE + _FWS, None),
    ("student_kappa_equation", th.kappa_equation_expr, "the student's width equation in "
     "kappa = -z (1 + delta): df(kappa) = M_S (1 + z/kappa)",
     (LAM, MULT, KAPPA_Z, Z, STUDENT_WIDTH), "", "$\\bar Q_k = (\\kappa/(-z))/(\\lambda_k "
     "+ \\kappa)$. " + _ZNOTE + _FWS, _ridge_kappa),
    ("student_width_equation", th.student_width_equation_expr, "width equation fixing "
     "the student's effective regularization nu_S (the teacher's at M_S)",
     (LAM, MULT, NU_S, STUDENT_WIDTH), "", "The $z \\to 0^-$ limit of the kappa "
     "equation; $\\nu_S/(\\lambda_k + \\nu_S)$ is the atom at 0 of $\\mu_k$, the limit "
     "of $e_k(t)$ as $t \\to \\infty$. " + _FWS, None),
    ("student_edge_map", th.edge_map_expr, "z(kappa) = kappa (df(kappa)/M_S - 1), whose "
     "minimum over kappa < -lambda_max is the top edge s_+ of the student's spectrum",
     (LAM, MULT, KAPPA_EDGE, STUDENT_WIDTH), "z(\\kappa)",
     "$s_+ = \\min_{\\kappa < -\\lambda_{max}} z(\\kappa)$ (Silverstein and Choi 1995); "
     "for $\\Sigma = \\lambda I_N$ it is the Marchenko-Pastur edge "
     "$\\lambda(1 + \\sqrt{N/M_S})^2$; on $\\kappa > \\nu_S$ the map inverts the ridge "
     "equation ($z = -\\lambda_r$). The proxy $\\|K_S\\| \\approx s_+$ is no bound at "
     "finite size (fluctuations of order $M_S^{-2/3}$). " + _FWS, None),
    ("finite_student_summand", th.finite_student_summand_expr, "summand of the risk "
     "L_S(t) of the finite-width student, in e_k(t) and e_k(2t)",
     (LAM, MULT, ENERGY, NU, E_T, E_2T, SSUM, D2SUM, WIDTH), "L_{S,k}(t)",
     _RISK_NOTE + _FWS, _factors),
    ("finite_student_risk", th.finite_student_risk_expr, "risk L_S(t) of the "
     "finite-width student trained on the teacher for time t",
     (LAM, MULT, ENERGY, NU, E_T, E_2T, SSUM, D2SUM, WIDTH, NULL), "L_S(t)",
     "$L_S(0) = \\|f^*\\|^2$ ($e_k = 1$). " + _RISK_NOTE + _FWS, _factors),
    ("finite_student_limit_summand", th.finite_student_limit_summand_expr,
     "t -> inf limit of the finite-width student's risk summand (e_k -> nu_S/(lambda_k + "
     "nu_S))", (LAM, MULT, ENERGY, NU, NU_S, SSUM, D2SUM, WIDTH), "L_{S,k}(\\infty)",
     "The student projects onto its span: $H1_k = H2_k = \\lambda_k/(\\lambda_k + "
     "\\nu_S)$; only the infinite student ($\\nu_S = 0$) returns to $L_T$. " + _FWS,
     _width_gap),
    ("student_ceiling", th.student_ceiling_expr, "ceiling risk L_ceil of the finite-width "
     "student trained on f* (t -> inf)", (LAM, ENERGY, NU_S, NULL), "L_{\\mathrm{ceil}}",
     "The teacher's risk formula at width $M_S$; the per-degree risk $e_k(2t) B_k$ "
     "decreases to it. PGR is measured against it. " + _FWS, None),
    ("descent_filter", th.descent_filter_expr, "1 - (1 - eta lambda_k)^n, the filter of n "
     "gradient-descent steps of size eta", (LAM, LR, STEPS), "a_k(n)",
     "Beside the flow's learned_fraction $1 - e^{-t\\lambda_k}$, the limit $n\\eta = t$, "
     "$\\eta \\to 0$. Converges iff $\\eta\\lambda_k < 2$; the finite student needs "
     "$\\eta s_+ < 2$. " + _FWS, None),
]:
    register(Entry(_name, _desc, FWS, _SRC + _fn.__name__, _fn, _params, _lhs, _note, _rel))

# -- bounds --------------------------------------------------------------------------------

L_ceil_sym = sp.Symbol("L_ceil", nonnegative=True)
LT = Parameter("teacher_risk", "teacher risk L_T", bounds.L_T_sym, minimum=0)
EN = Parameter("target_energy", "target energy E = ||f*||^2", bounds.E_sym, minimum=0,
               strict_min=True)
AL = Parameter("alpha", "operator bound alpha of the student (0 <= A <= alpha I)",
               bounds.alpha_sym, minimum=0, maximum=1)
FN = Parameter("teacher_norm", "F = ||f_T|| (F^2 = E - L_T)", bounds.F_sym, minimum=0)
CEIL = Parameter("ceiling_risk", "ceiling risk L_ceil of the student trained on f*",
                 L_ceil_sym, minimum=0)
ORDER = Parameter("order", "order n of the series, O(L_T^n)", integer=True, minimum=3,
                  maximum=40, default=4)


def _lt_le_e(values):
    if "teacher_risk" in values and "target_energy" in values and \
            values["teacher_risk"] > values["target_energy"]:
        raise InvalidArgument("teacher_risk", f"must be <= target_energy = "
                                              f"{values['target_energy']} (L_T = E - F^2)")
    if "ceiling_risk" in values and "teacher_risk" in values and \
            values["ceiling_risk"] >= values["teacher_risk"]:
        raise InvalidArgument("ceiling_risk", "must be < teacher_risk (PGR needs a gap)")


_BND = "Proof: docs/bounds.md; derivation: derivations/student_lower_bound.py."
_BSRC = "w2s_theory._src.bounds.lower_bound_expr"
register(Entry(
    "student_lower_bound", "lower bound on the risk of a student f_S = A f_T, "
    "0 <= A <= alpha I (projection teacher)", BND, _BSRC, bounds.lower_bound_expr,
    (LT, EN, AL), "L_S \\ge", "THEORY.md section 4. " + _BND, _lt_le_e))
register(Entry(
    "student_lower_bound_alpha1", "the lower bound at alpha = 1 in L_T and F = ||f_T||",
    BND, _BSRC + " (alpha = 1, E = L_T + F^2)",
    lambda: bounds.lower_bound_expr().subs(bounds.alpha_sym, 1).subs(
        bounds.E_sym, bounds.L_T_sym + bounds.F_sym**2), (LT, FN), "L_S \\ge",
    "About $L_T^2/F^2$ for small $L_T$: the exponent-2 limit. " + _BND))
register(Entry(
    "gain_upper_bound", "upper bound L_T - LB on the weak-to-strong gain", BND,
    _BSRC + " (L_T minus the bound)", lambda: bounds.L_T_sym - bounds.lower_bound_expr(),
    (LT, EN, AL), "L_T - L_S \\le", _BND, _lt_le_e))
register(Entry(
    "pgr_upper_bound", "upper bound on the performance gap recovered PGR", BND,
    _BSRC + " ((L_T - LB)/(L_T - L_ceil))",
    lambda: (bounds.L_T_sym - bounds.lower_bound_expr()) / (bounds.L_T_sym - L_ceil_sym),
    (LT, EN, AL, CEIL), "\\mathrm{PGR} \\le", _BND, _lt_le_e))
register(Entry(
    "lower_bound_series", "small-L_T series of the alpha = 1 bound, in F = ||f_T||", BND,
    "w2s_theory._src.bounds_series.lower_bound_series",
    lambda order: bounds_series.lower_bound_series(order, "F"), (ORDER, LT, FN),
    "L_S \\ge", "Catalan coefficients, convergent for $L_T < F^2/4$. " + _BND))
register(Entry(
    "lower_bound_series_energy", "small-L_T series of the alpha = 1 bound, in E", BND,
    "w2s_theory._src.bounds_series.lower_bound_series",
    lambda order: bounds_series.lower_bound_series(order, "E"), (ORDER, LT, EN),
    "L_S \\ge", "Convergent for $L_T < E/5$. " + _BND, _lt_le_e))
