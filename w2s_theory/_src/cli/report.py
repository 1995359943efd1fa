"""``w2s report``: the main job - theory curves, exact simulations, plots, a folder.

For a setting (features, target, teacher widths, a student width, a time grid) it
computes the deterministic-equivalent risks, runs a small exact simulation beside them,
and writes a folder (``--out``, default ``w2s-report``) with PNG figures, CSV and JSON
numbers, a LaTeX snippet of the formulas, the exact setting (``setting.toml``) and a
Markdown summary; then it prints a summary table (``--json``: one JSON object).

The setting can come from a TOML file (``--config``; keys are the options' names with
``_``: ``teacher_width = [50, 100]``); flags override it. The folder is written
all-or-nothing (a temporary folder next to it, renamed at the end). Bad input - an
unknown key (with its close matches), a malformed file, a folder that cannot be
written - is one line naming the option, exit status 2. The report's duration is
estimated first (:mod:`w2s_theory._src.cost`): beyond ``--max-seconds`` (default 600) it
is refused with the estimate; the progress bar shows the time left.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import time

from ..errors import InvalidArgument
from ..setting import PARAMS
from .common import (add_feature_options, add_max_seconds_option, add_setting_options,
                     print_json, print_table)

NAME = "report"
HELP = ("The main job: theory curves and an exact simulation for a range of teacher "
        "widths, written as plots, CSV/JSON, LaTeX and a Markdown summary into a folder.")
EXAMPLE = """\
w2s report                        # the default setting, into ./w2s-report
w2s report --dim 6 --teacher-width 50,100,200 --seeds 20 --out relu-d6
w2s report --config setting.toml --student-width 2000 --json"""

def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..report.settings import REPORT_PARAMS

    parser.add_argument("--config", metavar="FILE.toml", default=None,
                        help="read the setting from a TOML file (keys: the options below "
                             "with '_', e.g. teacher_width = [50, 100]); flags override it")
    add_feature_options(parser)
    params = {**PARAMS, **REPORT_PARAMS}
    add_setting_options(parser, ["target", "teacher_width", "student_width", "samples",
                                 "student_samples", "ridge", "teacher_time", "noise",
                                 "time_range", "time_points"], params=params,
                        title="setting (defaults: relu, --dim 10, degree:1, "
                              "--teacher-width 20,50,100,200,400,800, --student-width inf)")
    s = add_setting_options(parser, ["seeds", "seed", "sim_points", "sim_max_width",
                                     "simulation"], params=params,
                            title="simulation (exact in the inputs)")
    s.add_argument("--workers", default=None,
                   help="processes for the simulations (default: the cores, when worth it)")
    add_max_seconds_option(s)
    o = parser.add_argument_group("output")
    o.add_argument("--out", default="w2s-report", metavar="FOLDER",
                   help="the report folder (default: w2s-report); written all-or-nothing, "
                        "a previous report there is replaced")
    o.add_argument("--json", action="store_true",
                   help="print one JSON object (the summary) instead of the table")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


def setting_from_args(args):
    """The setting: defaults, then ``--config``, then the flags. Errors in the file name
    ``--config`` (and the file and key); errors in flags name the flag."""
    from ..report.settings import KEYS, build_setting, check_values, load_toml, option_of

    layers, labels = [], []
    if args.config is not None:
        try:
            layers.append(load_toml(args.config))
        except InvalidArgument as exc:
            raise InvalidArgument("--config", str(exc)) from None
        labels.append(lambda k, _n=args.config: f"{_n}: {k}")
    flags = {k: getattr(args, k) for k in KEYS if getattr(args, k, None) is not None}
    layers.append(check_values(flags, where=option_of))
    labels.append(option_of)
    try:
        return build_setting(*layers, labels=labels)
    except InvalidArgument as exc:
        if exc.argument.startswith("--"):
            raise
        raise InvalidArgument("--config", str(exc)) from None


def run(args) -> int:
    from ... import __version__
    from .. import cost
    from ..progress import ProgressBar, Tracker
    from ..report.files import FILES
    from ..report.summary import TABLE_COLUMNS, summary_rows
    from ..report.writers import OutputError, make_report
    from ..setting import parse_int

    setting = setting_from_args(args)
    limit = cost.parse_max_seconds(args.max_seconds)
    workers = None if args.workers is None else parse_int("--workers", args.workers,
                                                          minimum=1)
    seconds = cost.check(cost.estimate(setting, "report", workers=workers), limit,
                         f"this report ({len(setting.teacher_width)} teacher widths"
                         + (f", {setting.seeds} seeds each" if setting.simulation else "")
                         + ")")
    t0 = time.perf_counter()
    bar = None if (args.json or args.quiet) else ProgressBar("w2s report",
                                                             estimate=seconds)
    try:
        with _terminate_cleanly():
            data = make_report(setting, args.out, tracker=Tracker(bar),
                               workers=workers)
    except OutputError as exc:
        raise InvalidArgument("--out", str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - t0
    rows = summary_rows(data)
    out = os.path.abspath(args.out)
    if args.json:
        print_json({"out": out, "files": list(FILES), "version": __version__,
                    "setting": data.setting.to_dict(), "target_energy": data.target_energy,
                    "floor": data.floor, "warnings": list(data.warnings),
                    "widths": rows, "seconds": {**data.seconds, "total": seconds}})
        return 0
    print(f"w2s report: {_describe(data.setting)}")
    print_table([[f(r) for _, f in TABLE_COLUMNS] for r in rows],
                [h for h, _ in TABLE_COLUMNS])
    for w in data.warnings:
        print(f"warning: {w}")
    print(f"report written to {args.out}{os.sep}: summary.md, "
          f"{sum(n.endswith('.png') for n in FILES)} figures, CSV, JSON, formulas.tex, "
          f"setting.toml ({seconds:.1f} s)")
    return 0


@contextlib.contextmanager
def _terminate_cleanly():
    """SIGTERM raises SystemExit, so the output folder's cleanup runs (as on Ctrl-C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _describe(s) -> str:
    feat = s.describe_features()
    sim = f", {s.seeds} seeds" if s.simulation else ", no simulation"
    widths = ", ".join(str(w) for w in s.student_width)
    return (f"{feat}, target {s.target}, student width {widths}, "
            f"times {s.time_range[0]:.3g} to {s.time_range[1]:.3g}{sim}")
