"""Immutable results of the simulators: per-quantity summaries over seeds, and the run."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Summary", "SimulationResult", "summarize"]


def _num(x):
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class Summary:
    """Mean, standard error of the mean (``None`` from a single seed) and the values.

    >>> s = summarize([1.0, 2.0, 3.0])
    >>> s.mean, round(s.stderr, 12), s.values
    (2.0, 0.57735026919, (1.0, 2.0, 3.0))
    """

    mean: float
    stderr: float | None
    values: tuple

    @property
    def relative_stderr(self):
        if self.stderr is None or self.mean == 0:
            return None
        return abs(self.stderr / self.mean)

    def to_dict(self, values: bool = True) -> dict:
        out = {"mean": _num(self.mean), "stderr": _num(self.stderr)}
        if values:
            out["values"] = [_num(v) for v in self.values]
        return out


def summarize(values) -> Summary:
    """:class:`Summary` of a sequence of per-seed values."""
    v = np.asarray([float(x) for x in values], dtype=float)
    mean = float(np.mean(v)) if len(v) else float("nan")
    se = float(np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else None
    return Summary(mean, se, tuple(float(x) for x in v))


@dataclass(frozen=True)
class SimulationResult:
    """A simulation over seeds, with the theory's prediction beside it.

    ``theory`` is the :func:`~w2s_theory._src.theory.risk_curve` result (as a dict) for
    the same setting when a theory of the simulated student exists (infinite-width
    student), else ``None``; ``theory_teacher_risk`` is the deterministic-equivalent
    teacher risk whenever the engine has one. ``diagnostics`` holds the truncation
    bounds, conditioning and stopping information of the runs (see the simulators).
    """

    method: str
    setting: dict
    times: tuple
    teacher_risk: Summary
    student_risk: tuple
    theory: dict | None
    theory_teacher_risk: float | None
    seeds: int
    seed: int
    diagnostics: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def replace(self, **changes) -> "SimulationResult":
        return dataclasses.replace(self, **changes)

    @property
    def theory_student_risk(self):
        return None if self.theory is None else tuple(self.theory["student_risk"])

    def relative_gaps(self) -> dict | None:
        """``(simulation mean - theory) / theory`` for the teacher and each time."""
        if self.theory_teacher_risk is None:
            return None
        out = {"teacher_risk": (self.teacher_risk.mean - self.theory_teacher_risk)
               / self.theory_teacher_risk}
        if self.theory is not None:
            out["student_risk"] = [(s.mean - th) / th if th else None for s, th in
                                   zip(self.student_risk, self.theory["student_risk"])]
        return out

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "setting": self.setting,
            "times": [float(t) for t in self.times],
            "seeds": self.seeds,
            "seed": self.seed,
            "teacher_risk": self.teacher_risk.to_dict(),
            "student_risk": [s.to_dict() for s in self.student_risk],
            "theory": self.theory,
            "theory_teacher_risk": _num(self.theory_teacher_risk),
            "relative_gap": self.relative_gaps(),
            "diagnostics": self.diagnostics,
            **self.extra,
        }

    def to_json(self) -> str:
        """JSON text (non-finite numbers, such as ``t = inf``, become ``null``)."""
        return json.dumps(_clean(self.to_dict()), allow_nan=False)


def _clean(x):
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)) or x is None or isinstance(x, str):
        return x if not isinstance(x, np.bool_) else bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    try:
        return _num(x)
    except (TypeError, ValueError):
        return str(x)
