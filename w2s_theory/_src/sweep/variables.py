r"""The variables a sweep stores: their names, whether they run along the curves' axis,
what they mean, and how each is read from a result.

Theory (:class:`~w2s_theory._src.theory.RiskCurve` attributes of the same name):
scalars ``teacher_risk``, ``student_ceiling_risk``, ``nu_teacher``, ``nu_student``,
``student_top_edge``, ``target_energy``, ``floor``, ``optimal_time`` (``optimal_steps``
for gradient descent), ``optimal_student_risk``, ``optimal_gain``, ``optimal_pgr``,
``gain_upper_bound``, ``pgr_upper_bound``; curves ``student_risk``, ``gain``, ``pgr``,
``lower_bound``. For gradient descent, ``time = lr * step`` too.

Simulation (:class:`~w2s_theory._src.simulation.SimulationResult`, means and standard
errors over the seeds): ``sim_teacher_risk``, ``sim_student_ceiling_risk`` (a finite
student), each with ``_stderr``; curves ``sim_student_risk`` and
``sim_student_risk_stderr``.

Every variable is float64; a value the result does not have (``t*`` not searched, a
standard error of one seed, the ceiling of an infinite student) is NaN.

>>> [v.name for v in variables(theory=False, simulation=True, curve_dim="time")]
... # doctest: +NORMALIZE_WHITESPACE
['sim_teacher_risk', 'sim_teacher_risk_stderr', 'sim_student_ceiling_risk',
 'sim_student_ceiling_risk_stderr', 'sim_student_risk', 'sim_student_risk_stderr']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Var", "variables", "THEORY_SCALARS", "THEORY_CURVES", "number"]


@dataclass(frozen=True)
class Var:
    name: str
    curve: bool              # along the curves' axis (time or step)
    source: str              # "theory" or "simulation"
    description: str


THEORY_SCALARS = (
    ("teacher_risk", "L_T, the teacher's risk"),
    ("student_ceiling_risk", "L_ceil, the risk of the student trained on the target"),
    ("nu_teacher", "nu, the teacher's effective regularization"),
    ("nu_student", "nu_S, the student's effective regularization (0: infinite width)"),
    ("student_top_edge", "s_+, the top edge of the student's kernel spectrum"),
    ("target_energy", "||f*||^2"),
    ("floor", "the target's energy the kernel cannot represent"),
    ("optimal_time", "t*, the optimal stopping time"),
    ("optimal_student_risk", "L_S(t*)"),
    ("optimal_gain", "L_T - L_S(t*)"),
    ("optimal_pgr", "PGR(t*)"),
    ("gain_upper_bound", "upper bound on the gain"),
    ("pgr_upper_bound", "upper bound on the PGR"),
)
THEORY_CURVES = (
    ("student_risk", "L_S(t), the student's risk"),
    ("gain", "L_T - L_S(t)"),
    ("pgr", "PGR(t) = (L_T - L_S(t)) / (L_T - L_ceil)"),
    ("lower_bound", "lower bound on L_S(t)"),
)
SIM_SCALARS = (
    ("sim_teacher_risk", "simulated L_T, mean over seeds"),
    ("sim_teacher_risk_stderr", "standard error of sim_teacher_risk"),
    ("sim_student_ceiling_risk", "simulated L_ceil of a finite student, mean over seeds"),
    ("sim_student_ceiling_risk_stderr", "standard error of sim_student_ceiling_risk"),
)
SIM_CURVES = (
    ("sim_student_risk", "simulated L_S(t), mean over seeds"),
    ("sim_student_risk_stderr", "standard error of sim_student_risk"),
)


def variables(theory: bool, simulation: bool, curve_dim: str | None) -> list:
    """The variables of a sweep with these options."""
    out = []
    if curve_dim == "step":
        out.append(Var("time", True, "setting", "lr * step, the training time"))
    if theory:
        for name, doc in THEORY_SCALARS:
            out.append(Var(name, False, "theory", doc))
            if name == "optimal_time" and curve_dim == "step":
                out.append(Var("optimal_steps", False, "theory",
                               "k*, the optimal number of gradient-descent steps"))
        if curve_dim is not None:
            out += [Var(n, True, "theory", d) for n, d in THEORY_CURVES]
    if simulation:
        out += [Var(n, False, "simulation", d) for n, d in SIM_SCALARS]
        if curve_dim is not None:
            out += [Var(n, True, "simulation", d) for n, d in SIM_CURVES]
    return out


def number(x) -> float:
    """A stored value: float64, NaN for ``None`` (and for what has no float)."""
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan
