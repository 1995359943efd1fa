"""Deterministic-equivalent risks of the teacher and the infinite-width student."""

from .curve import RiskCurve, risk_curve
from .table import SpectralTable, build_table
from .teacher import TeacherSolution, solve_teacher

__all__ = ["RiskCurve", "risk_curve", "SpectralTable", "build_table", "TeacherSolution",
           "solve_teacher"]
