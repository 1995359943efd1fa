r"""Writing a report: the all-or-nothing output folder, CSV, JSON, TOML and Markdown.

:class:`OutputFolder` writes every file into a temporary folder next to the target and
renames it into place at the end: an error or an interrupt leaves nothing half-written
(a previous report in the target stays as it was). An existing folder is replaced only
if it is empty or holds a previous report (its ``report.json``).

:func:`make_report` is the whole job: open the folder, compute, draw, write, commit.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .compute import compute_report, planned_steps
from .files import FILES
from .formulas import formulas_latex
from .plots import PLOTS, save
from ..progress import Tracker
from .settings import to_toml
from .summary import summary_markdown, summary_rows

__all__ = ["OutputError", "OutputFolder", "FILES", "write_report", "make_report",
           "report_json"]

MARKER = "report.json"
GENERATOR = "w2s report"


class OutputError(OSError):
    """The output folder cannot be used; ``str(err)`` is a one-line message."""


class OutputFolder:
    """A folder written all-or-nothing (a context manager).

    >>> import tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> with OutputFolder(os.path.join(root, "r")) as out:
    ...     _ = out.path("a.txt").write_text("x")
    ...     out.commit()
    >>> sorted(os.listdir(root)), os.listdir(os.path.join(root, "r"))
    (['r'], ['a.txt'])
    """

    def __init__(self, target):
        self.target = Path(os.path.abspath(os.fspath(target)))
        self.shown = os.fspath(target)
        self.tmp = None
        self.created = []
        self.committed = False

    def _check_target(self):
        t = self.target
        if t.exists() and not t.is_dir():
            raise OutputError(f"{self.shown!r} exists and is not a folder")
        if t.is_dir():
            try:
                entries = list(t.iterdir())
            except OSError as exc:
                raise OutputError(f"cannot read {self.shown!r}: {exc.strerror}") from None
            if entries and not (t / MARKER).is_file():
                raise OutputError(f"{self.shown!r} exists, is not empty and holds no "
                                  "previous report; choose another folder or remove it")

    def open(self) -> "OutputFolder":
        self._check_target()
        parent = self.target.parent
        try:
            missing = []
            p = parent
            while not p.exists():
                missing.append(p)
                p = p.parent
            for q in reversed(missing):
                q.mkdir()
                self.created.append(q)
            self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-",
                                             dir=parent))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.tmp, 0o777 & ~umask)
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write {self.shown!r}: "
                              f"{exc.strerror or exc}") from None
        return self

    def path(self, name: str) -> Path:
        return self.tmp / name

    def commit(self) -> None:
        """Move the finished folder into place (replacing a previous report)."""
        self._check_target()
        old = None
        try:
            if self.target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-",
                                            dir=self.target.parent))
                os.rename(self.target, old / "previous")
            os.rename(self.tmp, self.target)
        except OSError as exc:
            if old is not None and (old / "previous").exists() and \
                    not self.target.exists():
                os.rename(old / "previous", self.target)
            raise OutputError(f"cannot write {self.shown!r}: "
                              f"{exc.strerror or exc}") from None
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        self.committed = True
        self.tmp = None

    def abort(self) -> None:
        """Remove everything written so far (the temporary folder, created parents)."""
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        for q in reversed(self.created):
            try:
                q.rmdir()
            except OSError:
                break
        self.created = []

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        if not self.committed:
            self.abort()
        return False


# --------------------------------------------------------------------------------------
# files


def _num(x):
    if x is None:
        return None
    f = float(x)
    return f if math.isfinite(f) else None


def _csv_cell(x):
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    try:
        f = float(x)
    except (TypeError, ValueError):
        return str(x)
    return repr(f) if math.isfinite(f) else ("inf" if f > 0 else "nan")


def _write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([_csv_cell(x) for x in r])


def _clean(x):
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x
    try:
        return _num(x)
    except (TypeError, ValueError):
        return str(x)


def report_json(data, version: str) -> dict:
    """Everything in ``report.json``."""
    widths = []
    for w, row in zip(data.widths, summary_rows(data)):
        widths.append({
            "teacher_width": w.teacher_width,
            "summary": row,
            "theory": w.curve.to_dict(),
            "sim_times": list(w.sim_times),
            "t_star_index": w.t_star_index,
            "simulation": None if w.simulation is None else w.simulation.to_dict(),
        })
    return _clean({
        "generator": GENERATOR, "version": version, "setting": data.setting.to_dict(),
        "files": FILES, "target_energy": data.target_energy, "floor": data.floor,
        "warnings": list(data.warnings), "times": list(data.times),
        "summary": summary_rows(data), "widths": widths, "spectrum": data.spectrum,
        "gain_grid": data.grid, "seconds": data.seconds})


def _widths_csv(path, data):
    rows = summary_rows(data)
    header = list(rows[0])
    _write_csv(path, header, [[r[k] for k in header] for r in rows])


def _curves_csv(path, data):
    rows = []
    for w in data.widths:
        c = w.curve
        for t, ls, g, p, lb in zip(c.times, c.student_risk, c.gain, c.pgr, c.lower_bound):
            rows.append([w.teacher_width, t, ls, g, p, lb, c.teacher_risk])
    _write_csv(path, ["teacher_width", "time", "student_risk", "gain", "pgr",
                      "lower_bound", "teacher_risk"], rows)


def _simulation_csv(path, data):
    rows = []
    for w in data.widths:
        sim = w.simulation
        if sim is None:
            continue
        theory = w.simulation.theory
        th = theory.student_risk if theory else [None] * len(w.sim_times)
        for i, (t, s) in enumerate(zip(w.sim_times, sim.student_risk)):
            rows.append([w.teacher_width, data.setting.primary_student_width, t,
                         i == w.t_star_index, s.mean, s.stderr, th[i],
                         sim.teacher_risk.mean, sim.teacher_risk.stderr,
                         sim.theory_teacher_risk, sim.seeds])
    _write_csv(path, ["teacher_width", "student_width", "time", "is_optimal_time",
                      "student_risk_mean", "student_risk_stderr", "theory_student_risk",
                      "teacher_risk_mean", "teacher_risk_stderr", "theory_teacher_risk",
                      "seeds"], rows)


def _grid_csv(path, data):
    keys = ["pgr", "optimal_student_risk", "optimal_time", "ceiling_risk", "sim_pgr",
            "sim_pgr_stderr"]
    rows = [[r["teacher_width"], c["student_width"], r["teacher_risk"]]
            + [c[k] for k in keys] for r in data.grid["rows"] for c in r["cells"]]
    _write_csv(path, ["teacher_width", "student_width", "teacher_risk"] + keys, rows)


def _spectrum_csv(path, data):
    sp = data.spectrum
    _write_csv(path, ["index", "eigenvalue", "multiplicity", "target_energy"],
               zip(sp["index"], sp["eigenvalue"], sp["multiplicity"],
                   sp["target_energy"]))


def write_report(data, folder, version: str, tracker=None) -> list:
    """Write every file of :data:`.files.FILES` for ``data`` into ``folder`` (a directory
    path); returns the names written."""
    tracker = tracker or Tracker()
    folder = Path(folder)
    for name, (fn, _) in PLOTS.items():
        tracker.advance(0, f"drawing {name}")
        save(fn(data), folder / name)
        tracker.advance(1, f"drew {name}")
    _widths_csv(folder / "widths.csv", data)
    _curves_csv(folder / "curves.csv", data)
    _simulation_csv(folder / "simulation.csv", data)
    _spectrum_csv(folder / "spectrum.csv", data)
    _grid_csv(folder / "gain_grid.csv", data)
    with open(folder / "report.json", "w", encoding="utf-8") as fh:
        json.dump(report_json(data, version), fh, indent=1, allow_nan=False)
        fh.write("\n")
    tracker.advance(0, "writing formulas.tex")
    (folder / "formulas.tex").write_text(formulas_latex(data.setting, version),
                                         encoding="utf-8")
    (folder / "setting.toml").write_text(to_toml(data.setting, header=(
        f"Setting of a report written by w2s_theory {version}.\n"
        "Rerun it with: w2s report --config setting.toml")), encoding="utf-8")
    (folder / "summary.md").write_text(summary_markdown(data, version), encoding="utf-8")
    tracker.advance(1, "written")
    return list(FILES)


WRITE_STEPS = len(PLOTS) + 1


def make_report(setting, out="w2s-report", *, tracker=None, workers=None):
    """Compute and write a report of ``setting`` into the folder ``out``,
    all-or-nothing; returns the :class:`~.compute.ReportData`.

    Raises :class:`OutputError` (before any computation) if ``out`` cannot be written.
    """
    from ... import __version__

    tracker = tracker or Tracker()
    tracker.plan(planned_steps(setting) + WRITE_STEPS)
    with OutputFolder(out) as folder:
        data = compute_report(setting, tracker=tracker, workers=workers)
        try:
            write_report(data, folder.tmp, __version__, tracker)
        except OSError as exc:
            raise OutputError(f"cannot write {folder.shown!r}: "
                              f"{exc.strerror or exc}") from None
        folder.commit()
    return data

