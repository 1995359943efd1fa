"""Immutable results of the simulators: per-quantity summaries over seeds, and the run."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Summary", "SeedRun", "SimulationResult", "summarize"]


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
class SeedRun:
    """One draw of the weights: the risks it gave, and what its simulator reports.

    ``teacher`` and ``student`` hold the simulator's diagnostics (conditioning of the
    solves, degrees summed, training steps, ...); ``bound`` the rigorous bound on the
    degrees the exact infinite-width student leaves out, per time; the held-out standard
    errors are those of the practitioner's simulation.
    """

    teacher_risk: float
    student_risk: tuple
    teacher: dict = field(default_factory=dict)
    student: dict = field(default_factory=dict)
    bound: tuple | None = None
    teacher_stderr: float | None = None
    student_stderr: tuple | None = None
    seconds: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return _clean(dataclasses.asdict(self))


@dataclass(frozen=True)
class SimulationResult:
    """A simulation over seeds, with the theory's prediction beside it.

    ``setting`` is the simulated :class:`~w2s_theory._src.setting.Setting`; ``theory``
    the :class:`~w2s_theory._src.theory.RiskCurve` of the same setting where the theory
    covers the simulated student (not for a student trained on ``n`` samples), else
    ``None``; ``theory_teacher_risk`` the deterministic-equivalent teacher risk whenever
    the engine has one. ``runs`` are the per-seed results; ``diagnostics`` holds the
    truncation bounds, conditioning and stopping information of the runs (see the
    simulators) and the simulated family's description.
    """

    method: str
    setting: object
    times: tuple
    teacher_risk: Summary
    student_risk: tuple
    theory: object
    theory_teacher_risk: float | None
    seeds: int
    seed: int
    n: int | None = None
    runs: tuple = ()
    diagnostics: dict = field(default_factory=dict)

    def replace(self, **changes) -> "SimulationResult":
        return dataclasses.replace(self, **changes)

    @property
    def theory_student_risk(self):
        return None if self.theory is None else tuple(self.theory.student_risk)

    def relative_gaps(self) -> dict | None:
        """``(simulation mean - theory) / theory`` for the teacher and each time."""
        if self.theory_teacher_risk is None:
            return None
        out = {"teacher_risk": (self.teacher_risk.mean - float(self.theory_teacher_risk))
               / float(self.theory_teacher_risk)}
        if self.theory is not None:
            out["student_risk"] = [(s.mean - float(th)) / float(th) if th else None
                                   for s, th in zip(self.student_risk,
                                                    self.theory.student_risk)]
        return out

    def to_dict(self) -> dict:
        """Plain values, one key per field (the setting and the theory as their own
        ``to_dict``), plus the relative gaps."""
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("setting", "theory", "teacher_risk"):
                v = None if v is None else v.to_dict()
            elif f.name == "student_risk" or f.name == "runs":
                v = [x.to_dict() for x in v]
            elif f.name == "times":
                v = [float(t) for t in v]
            out[f.name] = v
        out["relative_gap"] = self.relative_gaps()
        return _clean(out)

    def to_json(self) -> str:
        """JSON text (non-finite numbers, such as ``t = inf``, become ``null``)."""
        return json.dumps(self.to_dict(), allow_nan=False)


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
