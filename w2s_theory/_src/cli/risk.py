"""``w2s risk``: deterministic-equivalent risks of teacher and student, gain, PGR, t*."""

from __future__ import annotations

import math
import warnings

from ..targets import IrreducibleFloorWarning
from ..theory import risk_curve
from .common import (TARGET_HELP, add_feature_options, add_output_options, print_json,
                     print_table, spectrum_from_args, parse_list, OptionError)

NAME = "risk"
HELP = ("Teacher and infinite-width student population risks (deterministic equivalents): "
        "gain, PGR, optimal stopping time and the student's lower bound.")
EXAMPLE = """\
w2s risk --activation relu --dim 6 --target degree:1 --teacher-width 100 --time 300,1000 --json
w2s risk --dim 6 --teacher-width 400                # a log grid of times around t*
w2s risk --variances 1,0.5,0.25,0.125 --target linear:1,1,1,1 --teacher-width 2 --time 10"""


def add_arguments(parser):
    add_feature_options(parser)
    g = parser.add_argument_group("setting")
    g.add_argument("--target", default="degree:1", help=TARGET_HELP)
    g.add_argument("--teacher-width", default="100", metavar="M_T",
                   help="teacher width M_T, a positive integer (default: 100)")
    g.add_argument("--time", default=None, metavar="T1,T2,...",
                   help="comma-separated stopping times of the student (>= 0, 'inf' "
                        "allowed); default: a log grid around the optimal time")
    g.add_argument("--no-optimal-stopping", action="store_true",
                   help="skip the search for the optimal stopping time")
    add_output_options(parser)


def _width(text):
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise OptionError("--teacher-width", f"must be a positive integer, got {text!r}") \
            from None
    if not math.isfinite(v) or v != int(v) or v < 1:
        raise OptionError("--teacher-width", f"must be a positive integer, got {text!r}")
    return int(v)


def run(args) -> int:
    args._option_names = {"times": "--time", "K": "--teacher-width"}
    spec = spectrum_from_args(args)
    width = _width(args.teacher_width)
    times = None
    if args.time is not None:
        times = parse_list("--time", args.time, convert=lambda s: s.strip())
        for t in times:
            try:
                v = float(t)
            except ValueError:
                raise OptionError("--time", f"not a number: {t!r}") from None
            if v != v or v < 0:
                raise OptionError("--time", f"times must be >= 0, got {t!r}")
        if args.digits is None:
            times = [float(t) for t in times]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IrreducibleFloorWarning)
        if times is None:
            # a log grid of 25 times around the optimum (from a first pass)
            first = risk_curve(spec, args.target, width, [], digits=None,
                               optimal_stopping=not args.no_optimal_stopping)
            center = first.optimal_time if first.optimal_time is not None and \
                math.isfinite(float(first.optimal_time)) else 1 / float(first.nu_teacher)
            times = [float(center) * 10 ** (k / 4) for k in range(-12, 13)]
        curve = risk_curve(spec, args.target, width, times, digits=args.digits,
                           optimal_stopping=not args.no_optimal_stopping)
    notes = sorted({str(w.message) for w in caught
                    if issubclass(w.category, IrreducibleFloorWarning)})
    out = curve.to_dict(as_strings=args.digits is not None)
    out["warnings"] = notes
    if args.json:
        print_json(out)
        return 0
    show = (lambda x: "inf" if x is None else x) if args.digits else \
        (lambda x: "inf" if x is None else f"{x:.6g}")
    print("setting: " + ", ".join(f"{k} = {v}" for k, v in curve.setting.items()))
    print(f"teacher: nu = {show(out['nu_teacher'])}, L_T = {show(out['teacher_risk'])}, "
          f"||f*||^2 = {show(out['target_energy'])}, floor = {show(out['floor'])}")
    rows = [[show(t), show(ls), show(g), show(pg), show(lb)] for t, ls, g, pg, lb in
            zip(out["times"], out["student_risk"], out["gain"], out["pgr"],
                out["lower_bound"])]
    print_table(rows, ["t", "L_S(t)", "gain", "PGR", "lower bound"])
    if out["optimal_student_risk"] is not None:
        print(f"optimal stopping: t* = {show(out['optimal_time'])}, "
              f"L_S(t*) = {show(out['optimal_student_risk'])}, "
              f"PGR(t*) = {show(out['optimal_pgr'])}")
        wins = ", ".join(f"({show(a)}, {show(b)})" for a, b in out["win_intervals"]) or "none"
        print(f"student beats teacher for t in: {wins}")
    print(f"bound: gain <= {show(out['gain_upper_bound'])}, "
          f"PGR <= {show(out['pgr_upper_bound'])}")
    for n in notes:
        print(f"warning: {n}")
    return 0
