"""``w2s risk``: deterministic-equivalent risks of teacher and student, gain, PGR, t*."""

from __future__ import annotations

import math
import warnings

from ..targets import IrreducibleFloorWarning
from ..theory import risk_curve
from .common import (FEATURE_KEYS, add_feature_options, add_output_options,
                     add_setting_options, print_json, print_table, setting_from_args)

NAME = "risk"
HELP = ("Teacher and infinite-width student population risks (deterministic equivalents): "
        "gain, PGR, optimal stopping time and the student's lower bound.")
EXAMPLE = """\
w2s risk --activation relu --dim 6 --target degree:1 --teacher-width 100 --time 300,1000 --json
w2s risk --dim 6 --teacher-width 400                # a log grid of times around t*
w2s risk --variances 1,0.5,0.25,0.125 --target linear:1,1,1,1 --teacher-width 2 --time 10"""


_KEYS = ["target", "teacher_width", "student_width", "times", "lr", "steps"]


def add_arguments(parser):
    add_feature_options(parser)
    g = add_setting_options(parser, _KEYS)
    g.add_argument("--no-optimal-stopping", action="store_true",
                   help="skip the search for the optimal stopping time")
    add_output_options(parser)


def run(args) -> int:
    setting = setting_from_args(args, [*FEATURE_KEYS, *_KEYS, "precision"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IrreducibleFloorWarning)
        if setting.times is None and setting.steps is None:
            # a log grid of 25 times around the optimum (from a first pass)
            first = risk_curve(setting.replace(precision=None),
                               optimal_stopping=not args.no_optimal_stopping)
            center = first.optimal_time if first.optimal_time is not None and \
                math.isfinite(float(first.optimal_time)) else 1 / float(first.nu_teacher)
            setting = setting.replace(
                times=[float(center) * 10 ** (k / 4) for k in range(-12, 13)])
        curve = risk_curve(setting, optimal_stopping=not args.no_optimal_stopping)
    notes = sorted({str(w.message) for w in caught
                    if issubclass(w.category, IrreducibleFloorWarning)})
    digits = setting.digits
    out = curve.to_dict(as_strings=digits is not None)
    out["warnings"] = notes
    if args.json:
        print_json(out)
        return 0
    show = (lambda x: "inf" if x is None else x) if digits else \
        (lambda x: "inf" if x is None else f"{x:.6g}")
    print("setting: " + ", ".join(f"{k} = {v}" for k, v in out["setting"].items()))
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
