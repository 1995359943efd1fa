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
written - is one line naming the option, exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import threading
import time

from .common import (TARGET_HELP, OptionError, add_feature_options, print_json,
                     print_table)

NAME = "report"
HELP = ("The main job: theory curves and an exact simulation for a range of teacher "
        "widths, written as plots, CSV/JSON, LaTeX and a Markdown summary into a folder.")
EXAMPLE = """\
w2s report                        # the default setting, into ./w2s-report
w2s report --dim 6 --teacher-width 50,100,200 --seeds 20 --out relu-d6
w2s report --config setting.toml --student-width 2000 --json"""

# setting key -> option (where not "--" + key with "-")
_OPTION = {"simulation": "--no-simulation"}


def option_of(key: str) -> str:
    return _OPTION.get(key, "--" + key.replace("_", "-"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE.toml", default=None,
                        help="read the setting from a TOML file (keys: the options below "
                             "with '_', e.g. teacher_width = [50, 100]); flags override it")
    add_feature_options(parser)
    g = parser.add_argument_group("setting (defaults: relu, --dim 10, degree:1, "
                                  "--teacher-width 20,50,100,200,400,800, --student-width "
                                  "inf)")
    g.add_argument("--target", default=None, help=TARGET_HELP)
    g.add_argument("--teacher-width", default=None, metavar="M1,M2,...",
                   help="teacher widths M_T, comma-separated positive integers")
    g.add_argument("--student-width", default=None, metavar="M_S",
                   help="student width: an integer, or inf (default); the theory's "
                        "student is infinitely wide")
    g.add_argument("--time-range", default=None, metavar="T_MIN,T_MAX",
                   help="range of the log time grid (default: auto, 1e-2/lambda_max to "
                        "1e4/nu of the widest teacher)")
    g.add_argument("--time-points", default=None, metavar="N",
                   help="points of the theory's time grid (default: 200)")
    s = parser.add_argument_group("simulation (exact in the inputs)")
    s.add_argument("--seeds", default=None, metavar="S",
                   help="draws of the weights per teacher width (default: 10)")
    s.add_argument("--seed", default=None, help="root seed (default: 0)")
    s.add_argument("--sim-points", default=None, metavar="N",
                   help="simulated times, log-spaced over the time range; t* is added "
                        "(default: 12)")
    s.add_argument("--sim-max-width", default=None, metavar="M",
                   help="simulate only teacher widths up to M (default: 1000)")
    s.add_argument("--no-simulation", dest="simulation", action="store_const",
                   const=False, default=None, help="theory only")
    s.add_argument("--workers", default=None,
                   help="processes for the simulations (default: the cores, when worth it)")
    o = parser.add_argument_group("output")
    o.add_argument("--out", default="w2s-report", metavar="FOLDER",
                   help="the report folder (default: w2s-report); written all-or-nothing, "
                        "a previous report there is replaced")
    o.add_argument("--json", action="store_true",
                   help="print one JSON object (the summary) instead of the table")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


_FLAG_KEYS = ["activation", "dim", "variances", "eigenvalues", "multiplicities",
              "power_law", "target", "teacher_width", "student_width", "time_range",
              "time_points", "simulation", "seeds", "seed", "sim_points", "sim_max_width"]


def setting_from_args(args):
    """The setting: defaults, then ``--config``, then the flags."""
    from ..report.settings import SettingError, build_setting, check_values, load_toml

    layers, labels = [], []
    try:
        if args.config is not None:
            layers.append(load_toml(args.config))
            labels.append(lambda k, _n=args.config: f"{_n}: {k}")
        flags = {k: getattr(args, k) for k in _FLAG_KEYS if getattr(args, k) is not None}
        layers.append(check_values(flags, where=option_of))
        labels.append(option_of)
        return build_setting(*layers, labels=labels)
    except SettingError as exc:
        msg = exc.message
        if msg.startswith("--"):                      # a flag: "--opt: message"
            opt, _, rest = msg.partition(": ")
            raise OptionError(opt, rest) from None
        if exc.key is not None and msg.startswith(exc.key + ": "):
            raise OptionError(option_of(exc.key), msg[len(exc.key) + 2:]) from None
        raise OptionError("--config", msg) from None  # "FILE: key: message"


def run(args) -> int:
    from ... import __version__
    from ..report.progress import ProgressBar, Tracker
    from ..report.summary import TABLE_COLUMNS, summary_rows
    from ..report.writers import FILES, OutputError, make_report

    args._option_names = {"teacher_width": "--teacher-width", "times": "--time-range",
                          "spectrum": "--activation", "workers": "--workers",
                          "student_width": "--student-width"}
    setting = setting_from_args(args)
    t0 = time.perf_counter()
    bar = None if (args.json or args.quiet) else ProgressBar("w2s report")
    try:
        with _terminate_cleanly():
            data = make_report(setting, args.out, tracker=Tracker(bar),
                               workers=args.workers)
    except OutputError as exc:
        raise OptionError("--out", str(exc)) from None
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
    return (f"{feat}, target {s.target}, student width {s.student_width}, "
            f"times {s.time_range[0]:.3g} to {s.time_range[1]:.3g}{sim}")
