"""``w2s simulate``: teacher and student simulated over many seeds, beside the theory.

Contract (kept stable): ``w2s simulate --activation relu --dim 6 --target degree:1
--teacher-width 100 --student-width inf --time 300,1000 --seeds 20 --json`` prints one
JSON object with ``"times"``, ``"teacher_risk"`` (``{"mean", "stderr", "values"}``),
``"student_risk"`` (a list aligned with ``"times"`` of ``{"mean", "stderr", "values"}``)
and ``"theory"`` (the ``w2s risk`` numbers for the same setting, finite or infinite
student width, or ``null`` for a student trained on ``--n`` samples), plus
``"method"``, ``"setting"``, ``"seeds"``, ``"seed"``, ``"theory_teacher_risk"``,
``"relative_gap"`` and ``"diagnostics"``. ``--student-width`` takes an integer or
``inf``; ``--method exact|sampled`` picks the simulator (exact by default).

Before it starts, the run's duration is estimated (:mod:`w2s_theory._src.cost`): a run
estimated beyond ``--max-seconds`` (default 600) is refused with the estimate; a longer
one shows a progress bar with the time left on stderr (after 2 s). Ctrl-C stops it at
once (exit status 130): long seeds run in worker processes, which are killed.
"""

from __future__ import annotations

import argparse

from .. import cost
from ..errors import InvalidArgument
from ..progress import ProgressBar
from ..setting import parse_int
from .common import (FEATURE_KEYS, add_feature_options, add_max_seconds_option,
                     add_setting_options, print_json, print_table, setting_from_args)

NAME = "simulate"
HELP = ("Simulate teacher and student over random weights (exact in the inputs, or the "
        "practitioner's sampled-input training), with the theory beside the result.")
EXAMPLE = """\
w2s simulate --activation relu --dim 6 --target degree:1 --teacher-width 100 \\
    --student-width inf --time 300,1000 --seeds 20 --json
w2s simulate --activation relu --dim 6 --teacher-width 100 --student-width 2000 --time 1000
w2s simulate --activation relu --dim 6 --teacher-width 20 --time 10,100 --method sampled \\
    --n 500 --seeds 4"""


_KEYS = ["target", "teacher_width", "student_width", "times", "lr", "steps", "loss", "init",
         "batch", "samples", "student_samples", "ridge", "teacher_time", "student_ridge",
         "noise"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_feature_options(parser)
    add_setting_options(parser, _KEYS)
    s = parser.add_argument_group("simulation")
    s.add_argument("--method", default="exact", choices=["exact", "sampled"],
                   help="exact: inputs integrated exactly (default); sampled: the "
                        "practitioner's simulation (sampled inputs, mini-batch SGD)")
    s.add_argument("--seeds", default="10", metavar="S",
                   help="number of independent draws of the weights (default 10)")
    s.add_argument("--seed", default="0", help="root seed (default 0)")
    s.add_argument("--n", default=None,
                   help="sampled method: the student sees only N fixed inputs")
    s.add_argument("--workers", default=None,
                   help="processes (default: the cores, when the run is worth it)")
    s.add_argument("--blas-threads", default="1", metavar="N",
                   help="BLAS threads of a one-worker run (default 1: multithreaded "
                        "OpenBLAS is slow on busy cores; try 2 for one very wide student "
                        "on an idle machine)")
    s.add_argument("--truncation", default=None, metavar="D",
                   help="power-law spectra: coordinates simulated (default: automatic, "
                        "reported)")
    s.add_argument("--batch-size", default=None, help="sampled method: batch size (256)")
    s.add_argument("--test-size", default=None,
                   help="sampled method: held-out inputs per seed (4096)")
    add_max_seconds_option(s)
    o = parser.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object")
    o.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    from ..simulation.api import _check_memory, _sampled_options, simulate

    setting = setting_from_args(args, [*FEATURE_KEYS, *_KEYS])
    if args.method == "exact":
        for opt in ("batch_size", "test_size", "n"):
            if getattr(args, opt) is not None:
                name = "--" + opt.replace("_", "-")
                raise InvalidArgument(name, "goes with --method sampled (the exact method "
                                            "integrates the inputs)")
    limit = cost.parse_max_seconds(args.max_seconds)
    seeds = parse_int("--seeds", args.seeds, minimum=1)
    workers = None if args.workers is None else parse_int("--workers", args.workers,
                                                          minimum=1)
    n = None if args.n is None else parse_int("--n", args.n, minimum=1)
    # what cannot run at all is said before what would take long
    _check_memory(args.method, setting.teacher_width, setting.student_width, n,
                  _sampled_options(batch_size=args.batch_size, test_size=args.test_size))
    seconds = cost.check(cost.estimate(setting, "simulate", method=args.method,
                                       seeds=seeds, workers=workers, n=n),
                         limit, f"{seeds} seeds at {_widths(setting)}")
    bar = None if (args.json or args.quiet) else ProgressBar("w2s simulate",
                                                             estimate=seconds)
    try:
        result = simulate(setting, method=args.method, seeds=seeds, seed=args.seed,
                          n=n, workers=workers,
                          progress=bar and (lambda done, total: bar(done, total, "seeds")),
                          truncation=args.truncation,
                          batch_size=args.batch_size, test_size=args.test_size,
                          blas_threads=args.blas_threads)
    finally:
        if bar is not None:
            bar.close()
    out = result.to_dict()
    if args.json:
        print_json(out)
        return 0
    _print_readable(result, out)
    return 0


def _widths(setting) -> str:
    ms = "inf" if setting.student_width is None else setting.student_width
    return f"M_T = {setting.teacher_width}, M_S = {ms}"


def _fmt(x, spec=".4g"):
    return "-" if x is None else format(float(x), spec)


def _print_readable(result, out):
    s = out["setting"]
    fam = result.diagnostics.get("family", {})
    print(f"w2s simulate ({result.method}): {result.setting.describe_features()}"
          f", target {s['target']}, M_T = {s['teacher_width']}, "
          f"M_S = {s['student_width']}" + (f", n = {result.n}" if result.n else "")
          + f", {result.seeds} seeds from seed {result.seed}")
    th = result.theory.student_risk if result.theory else [None] * len(result.times)
    gaps = out["relative_gap"] or {}
    sgaps = gaps.get("student_risk") or [None] * len(result.times)
    rows = [["teacher", _fmt(result.teacher_risk.mean), _fmt(result.teacher_risk.stderr,
                                                               ".2g"),
             _fmt(result.theory_teacher_risk), _fmt(gaps.get("teacher_risk"), "+.3f")]]
    for t, sm, tv, gp in zip(result.times, result.student_risk, th, sgaps):
        rows.append([f"student t={t:g}", _fmt(sm.mean), _fmt(sm.stderr, ".2g"), _fmt(tv),
                     _fmt(gp, "+.3f")])
    print_table(rows, ["risk", "mean", "stderr", "theory", "rel. gap"])
    if result.theory is None and result.theory_teacher_risk is not None:
        print("(no theory for this student: it was trained on a finite sample)")
    d = result.diagnostics
    if "truncation_bound" in d and fam.get("family") == "sphere":
        print(f"omitted degrees contribute at most {max(d['truncation_bound']):.2g} "
              f"(degrees summed: {d['degrees']})")
    if fam.get("omitted_kernel_trace") is not None:
        print(f"simulated coordinates: {fam['dimension']} (omitted kernel trace "
              f"{fam['omitted_kernel_trace']:.3g}, omitted target energy "
              f"{fam['omitted_target_energy']:.3g})")
    if "teacher_training" in d:
        tt = d["teacher_training"]
        print(f"teacher SGD: {tt['converged']}/{result.seeds} converged, "
              f"{tt['mean_steps']:.0f} steps on average (time {tt['mean_time']:.3g})")
    print(f"{d['seconds']:.1f} s on {d['workers']} worker(s)")
