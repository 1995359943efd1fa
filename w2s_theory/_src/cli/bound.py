"""``w2s bound``: the quantitative limit of weak-to-strong generalization (THEORY.md s. 4).

Contract (kept stable): ``w2s bound --teacher-risk L --target-energy E --json`` prints one
JSON object with the keys ``lower_bound``, ``gain_upper_bound``, ``pgr_upper_bound``,
``teacher_risk``, ``target_energy``, ``alpha``, ``ceiling_risk``,
``series_leading_term`` (``L_T^2 / F^2``, the leading term of the bound at alpha = 1;
``null`` for alpha < 1, where the bound tends to ``(1 - alpha)^2 E`` instead) and
``digits``. With ``--digits N`` every number is a decimal string with N significant
digits. ``pgr_upper_bound`` is ``null`` when the teacher is already at the ceiling.
"""

from __future__ import annotations

import argparse

from ..bounds import alpha_from_time, student_bound
from ..bounds_series import lower_bound_leading_term
from ..errors import InvalidArgument
from ..precision import Precision, as_precision
from ..setting import relabel
from .common import add_output_options, print_json

NAME = "bound"
HELP = ("Lower bound on the student's risk, and upper bounds on the weak-to-strong gain "
        "and PGR, for a student f_S = A f_T with 0 <= A <= alpha I (THEORY.md section 4).")
EXAMPLE = """\
w2s bound --teacher-risk 0.01 --target-energy 1 --json
w2s bound --teacher-risk 0.01 --target-energy 1 --alpha 0.9 --digits 30
w2s bound --teacher-risk 0.2 --time 5 --top-eigenvalue 0.3 --ceiling-risk 0.05"""

_KEYS = ["lower_bound", "gain_upper_bound", "pgr_upper_bound", "teacher_risk",
         "target_energy", "alpha", "ceiling_risk", "series_leading_term"]

_LABELS = {
    "teacher_risk": "teacher risk L_T",
    "target_energy": "target energy E = ||f*||^2",
    "alpha": "operator bound alpha (0 <= A <= alpha I)",
    "ceiling_risk": "ceiling risk L_ceil",
    "lower_bound": "lower bound on the student risk L_S",
    "gain_upper_bound": "upper bound on the gain L_T - L_S",
    "pgr_upper_bound": "upper bound on PGR",
    "series_leading_term": "leading term L_T^2 / F^2 (alpha = 1)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--teacher-risk", required=True, metavar="L_T",
                        help="teacher risk L_T = ||f_T - f*||^2, in [0, E]")
    parser.add_argument("--target-energy", default="1", metavar="E",
                        help="target energy E = ||f*||^2 > 0 (default 1)")
    parser.add_argument("--alpha", default=None, metavar="A",
                        help="operator bound of the student, in [0, 1] (default 1: "
                             "gradient flow run for any time, or ridge regression)")
    parser.add_argument("--time", default=None, metavar="T",
                        help="instead of --alpha: stopping time of gradient flow; needs "
                             "--top-eigenvalue (alpha = 1 - exp(-T * lambda_max))")
    parser.add_argument("--top-eigenvalue", default=None, metavar="LAMBDA",
                        help="largest eigenvalue of the student's kernel (with --time)")
    parser.add_argument("--ceiling-risk", default="0", metavar="L_CEIL",
                        help="risk of the student trained on f* itself, for PGR (default 0)")
    add_output_options(parser)


def _alpha(args, digits):
    if args.time is not None or args.top_eigenvalue is not None:
        if args.alpha is not None:
            raise InvalidArgument("--alpha", "give either --alpha or --time with "
                                         "--top-eigenvalue, not both")
        if args.time is None:
            raise InvalidArgument("--time", "--top-eigenvalue needs --time")
        if args.top_eigenvalue is None:
            raise InvalidArgument("--top-eigenvalue", "--time needs --top-eigenvalue")
        try:
            return alpha_from_time(args.time, args.top_eigenvalue, precision=digits)
        except InvalidArgument as exc:                 # the API's t is the option --time
            raise relabel(exc, lambda k: "--time" if k == "t" else k) from None
    return "1" if args.alpha is None else args.alpha


def run(args) -> int:
    digits = as_precision(args.precision, "--digits").digits
    alpha = _alpha(args, digits)
    result = student_bound(args.teacher_risk, args.target_energy, alpha=alpha,
                           ceiling_risk=args.ceiling_risk, precision=digits).to_dict()
    result["series_leading_term"] = (
        lower_bound_leading_term(result["teacher_risk"], result["target_energy"], digits)
        if result["alpha"] == 1 else None)
    prec = Precision(digits)

    def show(x):
        if x is None or digits is None:
            return x
        return prec.format(x, digits)

    out = {k: show(result[k]) for k in _KEYS}
    out["digits"] = digits
    if args.json:
        print_json(out)
        return 0
    width = max(len(v) for v in _LABELS.values())
    print("w2s bound: student f_S = A f_T, 0 <= A <= alpha I (THEORY.md section 4)")
    inputs = ["teacher_risk", "target_energy", "alpha", "ceiling_risk"]
    for key in inputs + [k for k in _KEYS if k not in inputs]:
        value = out[key]
        if value is None:
            text = "undefined" if key == "pgr_upper_bound" else "n/a (alpha < 1)"
        else:
            text = value if isinstance(value, str) else repr(float(value))
        print(f"  {_LABELS[key]:<{width}}  {text}")
    return 0
