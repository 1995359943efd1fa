r"""Sympy forms of the deterministic-equivalent formulas (``THEORY.md`` sections 3, 3b).

The numeric engine (:mod:`.teacher`, :mod:`.student`, :mod:`.curve`) evaluates these
formulas from logarithms and tail series; this module is their single symbolic
definition, used by the symbolic registry (:mod:`..symbolic`), the LaTeX export, the
generated formula reference ``docs/formulas.md``, and the tests (which lambdify the
summands over a :class:`~..spectra.FiniteSpectrum` and compare with
:func:`~.curve.risk_curve`). Derivation from the projection moments:
``derivations/deterministic_equivalents.py``.

Per-degree symbols: :math:`\lambda_k` (eigenvalue), :math:`N_k` (multiplicity),
:math:`B_k` (target energy); global ones: :math:`\nu` (effective regularization),
:math:`M_T` (teacher width), :math:`t` (student time) and the two spectral sums
:math:`S = \sum_k \lambda_k B_k/(\lambda_k+\nu)^2`,
:math:`D_2 = \sum_k N_k\lambda_k^2/(\lambda_k+\nu)^2`.

.. math::

    \sum_k \frac{N_k\lambda_k}{\lambda_k+\nu} = M_T, \qquad
    s_k = \frac{\nu}{\lambda_k+\nu}, \qquad
    L_T = \sum_k s_k B_k + B_{null},

    F_k = \frac{\nu^2 N_k\lambda_k}{(\lambda_k+\nu)^2}\,\frac{S}{M_T - D_2}, \qquad
    L_S(t) = \sum_k \big(1 - a_k(1-s_k)\big)^2 B_k + a_k^2 F_k + B_{null},
    \quad a_k = 1 - e^{-t\lambda_k}.

>>> e = student_summand_expr()
>>> sp.simplify(e.subs(t_sym, 0) - B_sym)              # L_S(0) = ||f*||^2, per degree
0
>>> sp.simplify(width_summand_expr().subs(nu_sym, 0))  # nu -> 0: every direction fitted
N_k

The finite-width student (``THEORY.md`` section 3b, derived in
``docs/finite_width_student.md`` and checked by ``derivations/finite_width_student.py``):
student width :math:`M_S`, a point :math:`z` off :math:`[0, \infty)`, the root
:math:`\delta(z)` of the student's width equation, :math:`\kappa = -z(1+\delta)`, the
student's effective regularization :math:`\nu_S`, and per degree the factors
:math:`e_k(t)`, :math:`e_k(2t)` (the equivalent of :math:`E[e^{-tK_S}]` on degree k, at
t and 2t):

.. math::

    \delta = \frac{1}{M_S}\sum_k \frac{N_k\lambda_k}{\lambda_k/(1+\delta) - z}, \qquad
    \bar Q_k(z) = \frac{1}{\lambda_k/(1+\delta) - z}, \qquad
    \sum_k \frac{N_k\lambda_k}{\lambda_k+\kappa} = M_S\Big(1 + \frac{z}{\kappa}\Big),

    \sum_k \frac{N_k\lambda_k}{\lambda_k+\nu_S} = M_S, \qquad
    s_+ = \min_{\kappa < -\lambda_{max}} \kappa\Big(\frac{\mathrm{df}(\kappa)}{M_S}
    - 1\Big),

    L_S(t) = \sum_k \Big[B_k - 2(1 - e_k(t))(1-s_k)B_k
    + (1 - 2e_k(t) + e_k(2t))\big((1-s_k)^2B_k + F_k\big)\Big] + B_{null}, \qquad
    L_{ceil} = \sum_k \frac{\nu_S}{\lambda_k+\nu_S} B_k + B_{null}.

The infinite-width student is the case :math:`e_k(t) = e^{-t\lambda_k}`,
:math:`e_k(2t) = e^{-2t\lambda_k}`; gradient descent with step :math:`\eta` replaces
:math:`e^{-t\lambda_k}` by :math:`(1 - \eta\lambda_k)^n`:

>>> flow = {e_t_sym: sp.exp(-t_sym * lambda_sym), e_2t_sym: sp.exp(-2 * t_sym * lambda_sym)}
>>> sp.simplify(finite_student_summand_expr().subs(flow) - student_summand_expr())
0
>>> sp.simplify(finite_student_summand_expr().subs({e_t_sym: 1, e_2t_sym: 1}) - B_sym)
0
>>> sp.simplify(sp.limit(descent_filter_expr().subs(n_sym, t_sym / eta_sym), eta_sym, 0)
...             - learned_fraction_expr())           # n steps of size t/n -> the flow
0
>>> perfect = finite_student_limit_summand_expr().subs(nu_sym, 0)   # trained on f*
>>> sp.simplify(perfect - student_projection_expr() * B_sym)       # the ceiling's summand
0
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "lambda_sym", "N_sym", "B_sym", "nu_sym", "t_sym", "M_sym", "S_sym", "D2_sym",
    "B_null_sym", "PER_DEGREE", "GLOBAL",
    "width_summand_expr", "width_equation_expr", "shrinkage_expr",
    "d2_summand_expr", "s_summand_expr", "teacher_risk_summand_expr",
    "teacher_risk_expr", "fluctuation_expr", "fluctuation_sum_identity_expr",
    "learned_fraction_expr", "student_summand_expr", "student_risk_expr",
    "degree_sum",
    # the finite-width student (THEORY.md section 3b)
    "M_S_sym", "z_sym", "delta_sym", "kappa_z_sym", "nu_S_sym", "e_t_sym", "e_2t_sym",
    "eta_sym", "n_sym",
    "delta_summand_expr", "delta_equation_expr", "resolvent_equivalent_expr",
    "kappa_equation_expr", "student_width_equation_expr", "edge_map_expr",
    "student_projection_expr", "finite_student_summand_expr", "finite_student_risk_expr",
    "finite_student_limit_summand_expr", "student_ceiling_expr", "descent_filter_expr",
]

#: Per-degree symbols (one value per degree k).
lambda_sym = sp.Symbol("lambda_k", nonnegative=True)
N_sym = sp.Symbol("N_k", positive=True)
B_sym = sp.Symbol("B_k", nonnegative=True)
#: Global symbols.
nu_sym = sp.Symbol("nu", positive=True)
t_sym = sp.Symbol("t", nonnegative=True)
M_sym = sp.Symbol("M_T", positive=True)
S_sym = sp.Symbol("S", nonnegative=True)
D2_sym = sp.Symbol("D_2", nonnegative=True)
B_null_sym = sp.Symbol("B_null", nonnegative=True)
#: The finite-width student (section 3b). z, delta and kappa are complex in general
#: (z off [0, inf)); e_k(t), e_k(2t) are per degree.
M_S_sym = sp.Symbol("M_S", positive=True, integer=True)
z_sym = sp.Symbol("z")
delta_sym = sp.Symbol("delta")
kappa_z_sym = sp.Symbol("kappa")
nu_S_sym = sp.Symbol("nu_S", positive=True)
e_t_sym = sp.Symbol("e_{k}(t)")
e_2t_sym = sp.Symbol("e_{k}(2t)")
#: Gradient descent: step size and number of steps.
eta_sym = sp.Symbol("eta", positive=True)
n_sym = sp.Symbol("n", integer=True, nonnegative=True)

PER_DEGREE = (lambda_sym, N_sym, B_sym, e_t_sym, e_2t_sym)
GLOBAL = (nu_sym, t_sym, M_sym, S_sym, D2_sym, B_null_sym, M_S_sym, z_sym, delta_sym,
          kappa_z_sym, nu_S_sym, eta_sym, n_sym)

_k = sp.Symbol("k", integer=True, nonnegative=True)


def degree_sum(summand):
    r"""``Sum(summand, (k, 0, oo))``: a sum over all degrees, for display.

    The per-degree symbols carry the index in their names (:math:`\lambda_k`), so the
    result is meant for LaTeX and documentation; numerical sums go through the summand
    (see :mod:`..symbolic.lambdify`).
    """
    return sp.Sum(summand, (_k, 0, sp.oo))


def width_summand_expr():
    r"""Summand :math:`N_k\lambda_k/(\lambda_k+\nu)` of the width equation
    (``THEORY.md`` section 3; :func:`.teacher.solve_log_nu` solves it)."""
    return N_sym * lambda_sym / (lambda_sym + nu_sym)


def width_equation_expr():
    r"""The width equation :math:`\sum_k N_k\lambda_k/(\lambda_k+\nu) = M_T`."""
    return sp.Eq(degree_sum(width_summand_expr()), M_sym)


def shrinkage_expr():
    r""":math:`s_k = \nu/(\lambda_k+\nu)`: the fraction of degree k the teacher misses."""
    return nu_sym / (lambda_sym + nu_sym)


def d2_summand_expr():
    r"""Summand :math:`N_k\lambda_k^2/(\lambda_k+\nu)^2 = N_k (1-s_k)^2` of :math:`D_2`."""
    return N_sym * lambda_sym**2 / (lambda_sym + nu_sym) ** 2


def s_summand_expr():
    r"""Summand :math:`\lambda_k B_k/(\lambda_k+\nu)^2` of :math:`S`."""
    return lambda_sym * B_sym / (lambda_sym + nu_sym) ** 2


def teacher_risk_summand_expr():
    r"""Summand :math:`s_k B_k` of the teacher risk."""
    return shrinkage_expr() * B_sym


def teacher_risk_expr():
    r""":math:`L_T = \sum_k s_k B_k + B_{null}`."""
    return degree_sum(teacher_risk_summand_expr()) + B_null_sym


def fluctuation_expr():
    r"""Fluctuation energy of the teacher in degree k,
    :math:`F_k = \nu^2 N_k\lambda_k(\lambda_k+\nu)^{-2}\, S/(M_T - D_2)`."""
    return (nu_sym**2 * N_sym * lambda_sym / (lambda_sym + nu_sym) ** 2
            * S_sym / (M_sym - D2_sym))


def fluctuation_sum_identity_expr():
    r"""The identity :math:`\sum_k F_k = \sum_k s_k(1-s_k)B_k` (true when :math:`\nu`
    solves the width equation), as ``Eq``."""
    s = shrinkage_expr()
    return sp.Eq(degree_sum(fluctuation_expr()), degree_sum(s * (1 - s) * B_sym))


def learned_fraction_expr():
    r""":math:`a_k(t) = 1 - e^{-t\lambda_k}`: the gradient-flow filter of the student."""
    return 1 - sp.exp(-t_sym * lambda_sym)


def student_summand_expr():
    r"""Summand of the infinite-width student risk,
    :math:`(1 - a_k(1-s_k))^2 B_k + a_k^2 F_k` with :math:`a_k = 1 - e^{-t\lambda_k}`."""
    a = learned_fraction_expr()
    s = shrinkage_expr()
    return (1 - a * (1 - s)) ** 2 * B_sym + a**2 * fluctuation_expr()


def student_risk_expr():
    r""":math:`L_S(t) = \sum_k [(1 - a_k(1-s_k))^2 B_k + a_k^2 F_k] + B_{null}`."""
    return degree_sum(student_summand_expr()) + B_null_sym


# -- the finite-width student (THEORY.md section 3b) --------------------------------------
# Derivation: docs/finite_width_student.md; every step re-checked by
# derivations/finite_width_student.py. Numerics: .resolvent (student_kernel).


def delta_summand_expr():
    r"""Summand :math:`N_k\lambda_k/(\lambda_k/(1+\delta) - z)` of the student's width
    equation for :math:`\delta(z)` (:math:`M_S\delta` is the sum)."""
    return N_sym * lambda_sym / (lambda_sym / (1 + delta_sym) - z_sym)


def delta_equation_expr():
    r"""The student's width equation
    :math:`\delta = M_S^{-1}\sum_k N_k\lambda_k/(\lambda_k/(1+\delta) - z)`, as ``Eq``.

    For :math:`z` off :math:`[0, \infty)` the root meant is the one with
    :math:`\delta \to 0` as :math:`|z| \to \infty` (:math:`\mathrm{Im}\,\delta` of the
    sign of :math:`\mathrm{Im}\,z`); at real :math:`z = -\lambda_r < 0` it is the unique
    root with :math:`\kappa = \lambda_r(1+\delta) > \nu_S` (ridge regression).
    """
    return sp.Eq(delta_sym, degree_sum(delta_summand_expr()) / M_S_sym)


def resolvent_equivalent_expr():
    r""":math:`\bar Q_k(z) = 1/(\lambda_k/(1+\delta(z)) - z)`: the deterministic
    equivalent of :math:`E(K_S - z)^{-1}` on degree k."""
    return 1 / (lambda_sym / (1 + delta_sym) - z_sym)


def kappa_equation_expr():
    r"""The width equation in :math:`\kappa = -z(1+\delta)`:
    :math:`\sum_k N_k\lambda_k/(\lambda_k+\kappa) = M_S(1 + z/\kappa)` (the teacher's
    summand at :math:`\nu = \kappa`), as ``Eq``."""
    return sp.Eq(degree_sum(width_summand_expr().xreplace({nu_sym: kappa_z_sym})),
                 M_S_sym * (1 + z_sym / kappa_z_sym))


def student_width_equation_expr():
    r"""The student's effective-regularization equation
    :math:`\sum_k N_k\lambda_k/(\lambda_k+\nu_S) = M_S`: the teacher's width equation
    at :math:`M_S` (the :math:`z \to 0^-` limit of :func:`kappa_equation_expr`)."""
    return width_equation_expr().xreplace({nu_sym: nu_S_sym, M_sym: M_S_sym})


def edge_map_expr():
    r""":math:`z(\kappa) = \kappa(\mathrm{df}(\kappa)/M_S - 1)`, the inverse of
    :func:`kappa_equation_expr` on the real axis; the top edge of the student's spectrum
    is :math:`s_+ = \min_{\kappa < -\lambda_{max}} z(\kappa)` (Silverstein and Choi
    1995)."""
    df = degree_sum(width_summand_expr().xreplace({nu_sym: kappa_z_sym}))
    return kappa_z_sym * (df / M_S_sym - 1)


def student_projection_expr():
    r""":math:`e_k(\infty) = \nu_S/(\lambda_k+\nu_S)`: the atom at 0 of the equivalent
    spectral measure seen from degree k (the teacher's shrinkage at :math:`\nu_S`)."""
    return shrinkage_expr().xreplace({nu_sym: nu_S_sym})


def finite_student_summand_expr():
    r"""Per-degree risk of the finite-width student,
    :math:`B_k - 2(1 - e_k(t))(1-s_k)B_k + (1 - 2e_k(t) + e_k(2t))((1-s_k)^2B_k + F_k)`,
    with :math:`e_k(t)`, :math:`e_k(2t)` as symbols (:math:`s_k`, :math:`F_k`: the
    teacher's, :func:`shrinkage_expr`, :func:`fluctuation_expr`)."""
    s = shrinkage_expr()
    h1 = 1 - e_t_sym
    h2 = 1 - 2 * e_t_sym + e_2t_sym
    return (B_sym - 2 * B_sym * (1 - s) * h1
            + h2 * ((1 - s) ** 2 * B_sym + fluctuation_expr()))


def finite_student_risk_expr():
    r""":math:`L_S(t) = \sum_k L_{S,k}(t) + B_{null}` for the finite-width student."""
    return degree_sum(finite_student_summand_expr()) + B_null_sym


def finite_student_limit_summand_expr():
    r"""The :math:`t \to \infty` limit of :func:`finite_student_summand_expr`:
    :math:`e_k(t), e_k(2t) \to \nu_S/(\lambda_k+\nu_S)`."""
    p = student_projection_expr()
    return finite_student_summand_expr().xreplace({e_t_sym: p, e_2t_sym: p})


def student_ceiling_expr():
    r""":math:`L_{ceil} = \sum_k \nu_S/(\lambda_k+\nu_S)\,B_k + B_{null}`: the
    finite student trained on :math:`f^*` for :math:`t \to \infty` (the teacher's risk
    formula at width :math:`M_S`)."""
    return teacher_risk_expr().xreplace({nu_sym: nu_S_sym})


def descent_filter_expr():
    r""":math:`1 - (1 - \eta\lambda_k)^n`: the filter of n steps of gradient descent
    with step :math:`\eta`, beside the flow's :func:`learned_fraction_expr`."""
    return 1 - (1 - eta_sym * lambda_sym) ** n_sym
