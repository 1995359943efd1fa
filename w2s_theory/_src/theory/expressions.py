r"""Sympy forms of the deterministic-equivalent formulas (``THEORY.md`` section 3).

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

PER_DEGREE = (lambda_sym, N_sym, B_sym)
GLOBAL = (nu_sym, t_sym, M_sym, S_sym, D2_sym, B_null_sym)

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
