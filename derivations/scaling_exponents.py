"""The predicted scaling exponents of docs/scaling_laws.md (sections 2-4), in one place:
the closed forms of the teacher's exponent at its best ridge and of the best student's
(infinitely wide, ``p = inf`` or any ``p >= 1``). ``docs/make_scaling_figures.py``
checks them against the max-min of the power counting on a grid and plots them;
``tests/test_scaling_laws.py`` measures the package against them.

>>> teacher_exponent(1.5, 5, 0.25), round(student_exponent_closed(1.5, 5, 0.25), 4)
(0.375, 0.5455)
"""

from __future__ import annotations

__all__ = ["source", "teacher_exponent", "student_exponent_closed"]


def source(alpha, beta):
    """``s = min(beta - 1, 2 alpha)``: the bias of ridge at effective dimension ``k`` is
    ``k^-s``."""
    return min(beta - 1, 2 * alpha)


def teacher_exponent(alpha, beta, q):
    """Closed form of ``max_kappa min(s kappa, q - max(2 - beta, 1 - alpha) kappa,
    1 - kappa)`` over ``0 <= kappa <= min(q, 1)``."""
    s = source(alpha, beta)
    if beta <= alpha + 1:
        return (beta - 1) * min(q, 1 / beta)
    if q <= 1 / (alpha + 1):
        return alpha * q
    if q <= (s + 1 - alpha) / (s + 1):
        return (alpha - 1 + q) / alpha
    return s / (s + 1)


def student_exponent_closed(alpha, beta, q):
    """Closed form for ``p = inf`` (and any ``p >= 1``)."""
    s = source(alpha, beta)
    if beta <= alpha + 1:
        return teacher_exponent(alpha, beta, q)
    return min(s * (1 + 2 * alpha) * q / (s + 1 + alpha), s / (s + 1))
