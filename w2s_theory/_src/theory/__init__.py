"""Deterministic-equivalent risks of the teacher and the student (any width)."""

from .curve import RiskCurve, risk_curve
from .table import SpectralTable, build_table
from .teacher import TeacherSolution, solve_teacher
from .width import GainGrid, WidthAnswer, gain_grid, width_for_gain

__all__ = ["RiskCurve", "risk_curve", "SpectralTable", "build_table", "TeacherSolution",
           "solve_teacher", "WidthAnswer", "width_for_gain", "GainGrid", "gain_grid"]
