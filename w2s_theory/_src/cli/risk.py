"""``w2s risk``: deterministic-equivalent risks of teacher and student, gain, PGR, t*."""

from __future__ import annotations

import functools
import math
import warnings

from ..targets import IrreducibleFloorWarning
from ..theory import risk_curve
from .. import cost
from ..progress import ProgressBar
from .common import (FEATURE_KEYS, add_feature_options, add_max_seconds_option,
                     add_output_options, add_setting_options, print_json, print_table,
                     setting_from_args, show_number)




NAME = "risk"
HELP = ("Teacher and student population risks (deterministic equivalents) for a student "
        "of any width, trained by gradient flow or gradient descent: gain, PGR, optimal "
        "stopping time and the student's lower bound.")
EXAMPLE = """\
w2s risk --activation relu --dim 6 --target degree:1 --teacher-width 100 --time 300,1000 --json
w2s risk --dim 6 --teacher-width 400                # a log grid of times around t*
w2s risk --dim 10 --teacher-width 100 --student-width 400 --time 1000,3162,10000
w2s risk --dim 10 --teacher-width 100 --student-width 400 --lr 5 --steps 200,2000
w2s risk --variances 1,0.5,0.25,0.125 --target linear:1,1,1,1 --teacher-width 2 --time 10"""


_KEYS = ["target", "teacher_width", "student_width", "times", "lr", "steps", "loss", "init",
         "batch", "samples", "student_samples", "ridge", "teacher_time", "student_ridge",
         "noise"]


def add_arguments(parser):
    add_feature_options(parser)
    g = add_setting_options(parser, _KEYS)
    g.add_argument("--no-optimal-stopping", action="store_true",
                   help="skip the search for the optimal stopping time")
    add_max_seconds_option(g)
    add_output_options(parser)


def run(args) -> int:
    setting = setting_from_args(args, [*FEATURE_KEYS, *_KEYS, "precision"])
    optimal = not args.no_optimal_stopping
    seconds = cost.check(cost.estimate(setting, "risk", optimal_stopping=optimal),
                         cost.parse_max_seconds(args.max_seconds),
                         "this risk curve" + (f" at {setting.digits} digits"
                                              if setting.digits else ""))
    bar = None if args.json or seconds < 1 else ProgressBar("w2s risk", estimate=seconds)
    if bar is not None:
        bar.start("computing")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", IrreducibleFloorWarning)
            if setting.times is None and setting.steps is None and \
                    setting.student_ridge is None:
                # a log grid of 25 times around the optimum (from a first pass)
                first = risk_curve(setting.replace(precision=None),
                                   optimal_stopping=not args.no_optimal_stopping)
                center = first.optimal_time if first.optimal_time is not None and \
                    math.isfinite(float(first.optimal_time)) else 1 / float(first.nu_teacher)
                setting = setting.replace(
                    times=[float(center) * 10 ** (k / 4) for k in range(-12, 13)])
            curve = risk_curve(setting, optimal_stopping=not args.no_optimal_stopping)
    finally:
        if bar is not None:
            bar.close()
    notes = sorted({str(w.message) for w in caught
                    if issubclass(w.category, IrreducibleFloorWarning)})
    digits = setting.digits
    out = curve.to_dict(as_strings=digits is not None)
    out["warnings"] = notes
    if args.json:
        print_json(out)
        return 0
    show = functools.partial(show_number, digits=curve.digits)
    keys = {k: v for k, v in out["setting"].items() if k not in ("times", "steps")}
    print("setting: " + ", ".join(f"{k} = {v}" for k, v in keys.items()))
    print(f"teacher: nu = {show(curve.nu_teacher)}, L_T = {show(curve.teacher_risk)}, "
          f"||f*||^2 = {show(curve.target_energy)}, floor = {show(curve.floor)}")
    if curve.student_width is not None:
        print(f"student: width M_S = {curve.student_width}, nu_S = "
              f"{show(curve.nu_student)}, top edge s_+ = {show(curve.student_top_edge)}, "
              f"ceiling L_ceil = {show(curve.student_ceiling_risk)}")
    if curve.lr is not None:
        print(f"gradient descent: learning rate {show(curve.lr)}; time t = lr * steps")
    ridge = bool(curve.student_ridges)            # a ridge student: its penalties
    if curve.samples is not None:
        print("samples: " + ", ".join(f"{k} = {v}" for k, v in curve.samples.items()
                                      if v is not None))
    steps = list(curve.steps) or [None] * len(curve.times)
    points = curve.student_ridges if ridge else curve.times
    rows = [([k] if curve.lr is not None else []) + [show(t), show(ls), show(g), show(pg),
                                                     show(lb)]
            for k, t, ls, g, pg, lb in zip(steps if not ridge else [None] * len(points),
                                           points, curve.student_risk, curve.gain,
                                           curve.pgr, curve.lower_bound)]
    print_table(rows, (["steps"] if curve.lr is not None else [])
                + (["ridge", "L_S(ridge)"] if ridge else ["t", "L_S(t)"])
                + ["gain", "PGR", "lower bound"])
    if curve.optimal_student_risk is not None:
        if ridge:
            best = f"optimal ridge: lambda* = {show(curve.optimal_student_ridge)}"
        else:
            at = f" ({show(curve.optimal_steps)} steps)" if curve.lr is not None else ""
            best = f"optimal stopping: t* = {show(curve.optimal_time)}{at}"
        print(f"{best}, L_S = {show(curve.optimal_student_risk)}, "
              f"PGR = {show(curve.optimal_pgr)}")
        wins = ", ".join(f"({show(a)}, {show(b)})" for a, b in curve.win_intervals) or \
            "none"
        print(f"student beats teacher for {'lambda' if ridge else 't'} in: {wins}")
    print(f"bound: gain <= {show(curve.gain_upper_bound)}, "
          f"PGR <= {show(curve.pgr_upper_bound)}")
    for n in notes:
        print(f"warning: {n}")
    return 0
