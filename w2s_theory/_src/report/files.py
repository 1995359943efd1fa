"""The files of a report folder: the one list of them (name -> what it holds).

:mod:`.writers` writes them, :mod:`.summary` links them from ``summary.md``, the command
line lists them; all read :data:`FILES` from here (so summary and writers do not import
each other). The figures' names and descriptions are those of :data:`.plots.PLOTS`.
"""

from __future__ import annotations

from .plots import PLOTS

__all__ = ["FILES", "FIGURES"]

#: the figures (PNG) -> their description
FIGURES = {name: desc for name, (_, desc) in PLOTS.items()}

#: every file of a report folder -> what it holds
FILES = {
    "summary.md": "a short summary with the figures and the table of numbers",
    **FIGURES,
    "widths.csv": "per teacher width: nu, L_T, t*, L_S(t*), PGR(t*), bounds, simulation",
    "curves.csv": "theory on the time grid: L_S(t), gain, PGR, lower bound per width",
    "simulation.csv": "simulated risks (mean, standard error) beside the theory",
    "spectrum.csv": "eigenvalues, multiplicities and target energies of the first blocks",
    "gain_grid.csv": "PGR(t*), L_S(t*), t* and the ceiling per teacher and student width "
                     "(theory; simulated PGR where simulated)",
    "report.json": "all the numbers, the setting and the package version",
    "formulas.tex": "LaTeX snippet of the formulas used (needs amsmath)",
    "setting.toml": "the exact setting: 'w2s report --config setting.toml' reruns it",
}
