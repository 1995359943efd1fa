r"""The width question: how wide must the student be, and the gain over both widths.

The weak-to-strong gain at the optimal stopping time,

.. math:: G(M_S) = L_T - \min_t L_S(t; M_S),

grows with the student's width towards the infinitely wide student's :math:`G(\infty)`
(``THEORY.md`` 3b; a wider student's kernel is closer to its mean). Two questions follow,
answered here from :func:`~.curve.risk_curve`:

* :func:`width_for_gain`: the smallest :math:`M_S` with :math:`G(M_S) \ge f\,G(\infty)`
  for a fraction ``f`` in (0, 1): doubling from :math:`M_T` to bracket it, then integer
  bisection (the gain is non-decreasing in :math:`M_S`; each step checks the bracket);
* :func:`gain_grid`: :math:`\mathrm{PGR}(t^*)`, :math:`L_S(t^*)` and :math:`t^*` on a grid
  of teacher and student widths (the report's heat map).

>>> from w2s_theory._src.setting import Setting
>>> w = width_for_gain(Setting(dim=6, teacher_width=20), fraction=0.5)
>>> w.gain >= 0.5 * w.infinite_gain and w.gain_below < 0.5 * w.infinite_gain
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidArgument, check_real
from ..setting import Setting
from .curve import risk_curve

__all__ = ["WidthAnswer", "width_for_gain", "GainGrid", "gain_grid"]


@dataclass(frozen=True)
class WidthAnswer:
    """The smallest student width recovering ``fraction`` of the infinite-width gain.

    ``gain`` is :math:`G(M_S)` at ``student_width``, ``gain_below`` at
    ``student_width - 1`` (below the target), ``infinite_gain`` is :math:`G(\\infty)`;
    ``optimal_time`` and ``optimal_student_risk`` are the student's :math:`t^*` and
    :math:`L_S(t^*)`; ``evaluations`` counts the risk curves computed.
    """

    setting: Setting
    fraction: float
    student_width: int
    gain: float
    gain_below: float
    infinite_gain: float
    optimal_time: float
    optimal_student_risk: float
    evaluations: int

    def replace(self, **changes) -> "WidthAnswer":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["setting"] = self.setting.to_dict()
        out["relative_gain"] = self.gain / self.infinite_gain
        return out


def _gain(setting, M_S):
    c = risk_curve(setting.replace(student_width=M_S, times=[], precision=None))
    return float(c.teacher_risk - c.optimal_student_risk), c


def width_for_gain(setting: Setting, fraction: float = 0.9,
                   max_width: int = 10 ** 8) -> WidthAnswer:
    r"""The smallest :math:`M_S` with :math:`G(M_S) \ge` ``fraction`` :math:`G(\infty)`
    (module docstring). Float64. Raises :class:`InvalidArgument` naming ``fraction`` if
    it is not in (0, 1), or if no width up to ``max_width`` (or the spectrum's rank)
    reaches it."""
    if not isinstance(setting, Setting):
        raise InvalidArgument("setting", f"expected a Setting, got {setting!r}")
    f = float(check_real("fraction", fraction, minimum=0, strict_min=True))
    if not f < 1:
        raise InvalidArgument("fraction", f"must be in (0, 1), got {fraction!r}")
    g_inf, c_inf = _gain(setting, None)
    if not g_inf > 0:
        raise InvalidArgument("fraction", "the infinitely wide student does not beat the "
                              "teacher here (no gain to recover)")
    goal = f * g_inf
    rank = setting.spectrum.rank()
    cap = min(max_width, rank) if rank is not None else max_width
    n = 1
    lo, g_lo = 0, -math.inf                        # the largest width known below goal
    hi = max(1, min(setting.teacher_width, cap))
    while True:
        g_hi, c_hi = _gain(setting, hi)
        n += 1
        if g_hi >= goal:
            break
        lo, g_lo = hi, g_hi
        if hi >= cap:
            raise InvalidArgument(
                "fraction", f"no student width up to {cap} recovers {f:g} of the "
                f"infinite-width gain (at {hi}: {g_hi / g_inf:.4g})")
        hi = min(2 * hi, cap)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        g_mid, c_mid = _gain(setting, mid)
        n += 1
        if g_mid >= goal:
            hi, g_hi, c_hi = mid, g_mid, c_mid
        else:
            lo, g_lo = mid, g_mid
    return WidthAnswer(setting.replace(student_width=hi), f, hi, g_hi,
                       g_lo if lo >= 1 else 0.0, g_inf, float(c_hi.optimal_time),
                       float(c_hi.optimal_student_risk), n)


@dataclass(frozen=True)
class GainGrid:
    """:math:`\\mathrm{PGR}(t^*)`, :math:`L_S(t^*)`, :math:`t^*` (arrays of shape
    ``(len(teacher_widths), len(student_widths))``; ``None`` widths are infinite) and the
    teacher risks per teacher width."""

    teacher_widths: tuple
    student_widths: tuple
    pgr: np.ndarray
    optimal_student_risk: np.ndarray
    optimal_time: np.ndarray
    teacher_risk: np.ndarray
    ceiling_risk: np.ndarray

    def to_dict(self) -> dict:
        def clean(a):
            return [[None if not math.isfinite(x) else float(x) for x in row]
                    for row in np.asarray(a, dtype=float)]

        return {"teacher_widths": list(self.teacher_widths),
                "student_widths": ["inf" if m is None else m for m in self.student_widths],
                "pgr": clean(self.pgr), "optimal_student_risk":
                    clean(self.optimal_student_risk),
                "optimal_time": clean(self.optimal_time),
                "teacher_risk": [float(x) for x in self.teacher_risk],
                "ceiling_risk": clean(self.ceiling_risk)}


def gain_grid(setting: Setting, teacher_widths, student_widths, progress=None) -> GainGrid:
    """The optimum over a grid of widths (float64). ``progress(done, total)`` is called
    after each point. A point whose student cannot beat its ceiling (``M_S <= M_T``:
    no gap to recover) has an undefined PGR (nan)."""
    T = [setting.replace(teacher_width=M).teacher_width for M in teacher_widths]
    S = [setting.replace(student_width=M).student_width for M in student_widths]
    shape = (len(T), len(S))
    pgr, ls, ts, ceil = (np.full(shape, np.nan) for _ in range(4))
    lt = np.full(len(T), np.nan)
    total, done = len(T) * len(S), 0
    for i, M_T in enumerate(T):
        for j, M_S in enumerate(S):
            c = risk_curve(setting.replace(teacher_width=M_T, student_width=M_S, times=[],
                                           precision=None))
            pgr[i, j] = float(c.optimal_pgr)
            ls[i, j] = float(c.optimal_student_risk)
            ts[i, j] = float(c.optimal_time)
            ceil[i, j] = float(c.student_ceiling_risk)
            lt[i] = float(c.teacher_risk)
            done += 1
            if progress is not None:
                progress(done, total)
    return GainGrid(tuple(T), tuple(S), pgr, ls, ts, lt, ceil)
