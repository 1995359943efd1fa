r"""Small-teacher-risk expansion of the student lower bound (``THEORY.md`` section 4).

At :math:`\alpha = 1` the bound of :mod:`.bounds` is

.. math::

    \mathrm{LB} = \Bigl(\sqrt{L_T + F^2/4} - F/2\Bigr)^2
    = F^2 \sum_{n \ge 1} (-1)^{n-1} C_n \Bigl(\frac{L_T}{F^2}\Bigr)^{n+1}
    = \frac{L_T^2}{F^2} - \frac{2 L_T^3}{F^4} + \frac{5 L_T^4}{F^6} - \dots

(:math:`C_n` the Catalan numbers), convergent for :math:`L_T < F^2/4`; in terms of the
target energy :math:`E = L_T + F^2`,
:math:`\mathrm{LB} = L_T^2/E - L_T^3/E^2 + 2L_T^4/E^3 - \dots`, convergent for
:math:`L_T < E/5`. So a student's risk is at least of the order of the teacher's risk
squared. The series is computed by sympy from :func:`.bounds.lower_bound_expr` (the one
definition of the bound) and checked step by step in
``derivations/student_lower_bound.py``; proof in ``docs/bounds.md``. sympy is imported
only when a series or its LaTeX is asked for: :func:`lower_bound_leading_term` (what
``w2s bound`` prints) evaluates the leading term ``L_T**2/F**2`` directly, with the same
operations as the lambdified series term (the tests check both, bit for bit).
"""

from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

from .bounds import _check, lower_bound_expr, symbols
from .errors import InvalidArgument, check_int
from .lazy import lazy_module
from .precision import as_precision

sp = lazy_module("sympy")                 # the series: imported on first use

__all__ = [
    "lower_bound_series",
    "lower_bound_series_latex",
    "lower_bound_latex",
    "lower_bound_leading_term",
]

_VARIABLES = ("F", "E")


def _alpha_one_expr(in_terms_of):
    if in_terms_of not in _VARIABLES:
        raise InvalidArgument("in_terms_of", f"must be one of {_VARIABLES}, "
                                             f"got {in_terms_of!r}")
    L_T_sym, E_sym, alpha_sym, F_sym = symbols()
    expr = lower_bound_expr().subs(alpha_sym, 1)
    if in_terms_of == "F":
        expr = expr.subs(E_sym, L_T_sym + F_sym**2)
    return expr


def lower_bound_series(order: int = 4, in_terms_of: str = "F"):
    r"""Sympy series of the :math:`\alpha = 1` lower bound in :math:`L_T` around 0, up to
    :math:`O(L_T^{\mathrm{order}})`.

    .. math::

        \mathrm{LB} = \frac{L_T^2}{F^2} - \frac{2L_T^3}{F^4} + \frac{5L_T^4}{F^6}
        + O(L_T^5) \quad(F\text{ fixed}),
        \qquad
        \mathrm{LB} = \frac{L_T^2}{E} - \frac{L_T^3}{E^2} + O(L_T^4)\quad(E\text{ fixed}).

    ``in_terms_of``: ``"F"`` (coefficients in :math:`F = \|f_T\|`, symbol
    :data:`.bounds.F_sym`) or ``"E"`` (the target energy). ``order >= 3`` (so the
    leading term :math:`L_T^2/F^2` is included). The result includes the ``O`` term;
    ``.removeO()`` gives the polynomial. Reference: ``THEORY.md`` section 4,
    ``docs/bounds.md``.

    >>> L_T_sym, _, _, F_sym = symbols()
    >>> s = lower_bound_series(4)
    >>> s.removeO() == L_T_sym**2 / F_sym**2 - 2 * L_T_sym**3 / F_sym**4
    True
    >>> lower_bound_series(3, "E").removeO()
    L_T**2/E
    """
    order = check_int("order", order, minimum=3, maximum=200)
    return _series(order, in_terms_of)


@lru_cache(maxsize=None)
def _series(order, in_terms_of):
    return sp.series(_alpha_one_expr(in_terms_of), symbols()[0], 0, order)


def lower_bound_series_latex(order: int = 4, in_terms_of: str = "F") -> str:
    r"""LaTeX of :func:`lower_bound_series`, increasing powers of :math:`L_T`
    (``sympy.latex``).

    >>> lower_bound_series_latex(4)
    '\\frac{L_{T}^{2}}{F^{2}} - \\frac{2 L_{T}^{3}}{F^{4}} + O\\left(L_{T}^{4}\\right)'
    """
    return sp.latex(lower_bound_series(order, in_terms_of), order="old")


def lower_bound_latex(alpha_one: bool = False) -> str:
    r"""LaTeX of :func:`.bounds.lower_bound_expr` (at :math:`\alpha = 1` in :math:`L_T, F`
    if ``alpha_one``).

    >>> lower_bound_latex(alpha_one=True)
    '\\left(- \\frac{F}{2} + \\sqrt{\\frac{F^{2}}{4} + L_{T}}\\right)^{2}'
    """
    return sp.latex(_alpha_one_expr("F") if alpha_one else lower_bound_expr())


@lru_cache(maxsize=None)
def _leading_term_function(module):
    """The leading term of :func:`lower_bound_series` lambdified (for the tests: the
    direct evaluation in :func:`lower_bound_leading_term` must agree with it)."""
    L_T_sym, _, _, F_sym = symbols()
    term = lower_bound_series(3, "F").removeO()        # L_T**2 / F**2
    return sp.lambdify((L_T_sym, F_sym), term, modules=module)


def _leading_term(L, F):
    """``L_T**2/F**2``: the operations of the lambdified term (``L_T**2/F**2``)."""
    return L**2 / F**2


def lower_bound_leading_term(teacher_risk, target_energy, precision=None):
    r"""The leading term :math:`L_T^2/F^2` (:math:`F^2 = E - L_T`) of the :math:`\alpha = 1`
    bound (the leading term of :func:`lower_bound_series`; ``inf`` when :math:`F = 0`).

    .. math:: \mathrm{LB} = \frac{L_T^2}{F^2}\bigl(1 + O(L_T/F^2)\bigr)

    >>> lower_bound_leading_term(0.5, 1.5)
    0.25
    """
    prec = as_precision(precision)
    with prec.context():
        L, E, _ = _check(teacher_risk, target_energy, 1, prec)
        if np.ndim(L) != 0:
            raise InvalidArgument("teacher_risk", "must be a single number")
        F2 = E - L
        if F2 == 0:
            return math.inf if prec.is_float else mpmath.inf
        sqrt = math.sqrt if prec.is_float else mpmath.sqrt
        return _leading_term(L, sqrt(F2))
