"""``w2s width``: how wide the student must be to recover a fraction of the gain."""

from __future__ import annotations

from ..errors import InvalidArgument
from .common import (FEATURE_KEYS, add_feature_options, add_setting_options, print_json,
                     setting_from_args)

NAME = "width"
HELP = ("The smallest student width whose gain at its optimal stopping time reaches a "
        "given fraction of the infinitely wide student's (THEORY.md 3b).")
EXAMPLE = """\
w2s width --dim 10 --teacher-width 100 --fraction 0.9
w2s width --activation relu --dim 20 --target degree:1 --teacher-width 200 --json"""

_KEYS = ["target", "teacher_width"]


def add_arguments(parser):
    add_feature_options(parser)
    g = add_setting_options(parser, _KEYS)
    g.add_argument("--fraction", default="0.9", metavar="F",
                   help="fraction of the infinite-width gain to recover, in (0, 1) "
                        "(default 0.9)")
    o = parser.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object")


def run(args) -> int:
    from ..theory.width import width_for_gain

    setting = setting_from_args(args, [*FEATURE_KEYS, *_KEYS])
    try:
        answer = width_for_gain(setting, args.fraction)
    except InvalidArgument as exc:
        if exc.argument == "fraction":
            raise InvalidArgument("--fraction", exc.message) from None
        raise
    out = answer.to_dict()
    if args.json:
        print_json(out)
        return 0
    print(f"w2s width: {setting.describe_features()}, target {setting.target}, "
          f"teacher width {setting.teacher_width}")
    print(f"student width M_S = {answer.student_width} recovers "
          f"{answer.gain / answer.infinite_gain:.6g} of the infinitely wide student's gain "
          f"(at least {answer.fraction:g}; M_S - 1 recovers "
          f"{answer.gain_below / answer.infinite_gain:.6g})")
    print(f"gain L_T - L_S(t*) = {answer.gain:.6g} (infinite width: "
          f"{answer.infinite_gain:.6g}); t* = {answer.optimal_time:.6g}, L_S(t*) = "
          f"{answer.optimal_student_risk:.6g}")
    return 0
