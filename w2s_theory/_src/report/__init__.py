"""``w2s report``: the main job - theory curves, exact simulations, plots and files.

* :mod:`.settings` - the setting: keys, defaults, TOML loading, validation, writing;
* :mod:`.compute` - theory curves and simulations for every teacher width;
* :mod:`.plots` - the figures (matplotlib, Agg canvas only: no screen, no pyplot state);
* :mod:`.formulas` - the LaTeX snippet of the formulas used (symbolic registry);
* :mod:`.writers` - CSV, JSON, Markdown, and the all-or-nothing output folder;
* progress: :mod:`w2s_theory._src.progress` (step counting and the progress bar).

>>> from w2s_theory._src.report import build_setting
>>> build_setting().teacher_width
(20, 50, 100, 200, 400, 800)
"""

from .compute import ReportData, WidthResult, compute_report, planned_steps
from ..progress import ProgressBar, Tracker
from .settings import DEFAULTS, KEYS, ReportSetting, build_setting, load_toml, to_toml


__all__ = ["ReportSetting", "DEFAULTS", "KEYS", "build_setting",
           "load_toml", "to_toml", "ReportData", "WidthResult", "compute_report",
           "planned_steps", "Tracker", "ProgressBar"]
