"""``w2s exponent``: the exponent of the student's risk against the teacher's along a
scaling path M_T = C d^K (and M_S = C d^G) as the dimension grows (issue 12 item 4)."""

from __future__ import annotations


from ..errors import InvalidArgument
from .common import (add_max_seconds_option, add_setting_options, print_json, print_table,
                     show_number)

NAME = "exponent"
HELP = ("Local exponent d log L_S(t*) / d log L_T along a scaling path M_T = C d^K "
        "(optionally M_S = C d^G) as the dimension grows: risks, the exponent between "
        "dimensions and as a derivative, the optimum over the section-4 bound, and the "
        "limit from the asymptotics.")
EXAMPLE = """\
w2s exponent --activation relu --target degree:1 --path M_T=d^1.5 --dim 20,40,80 --json
w2s exponent --target single-index:relu --path M_T=d^1.25 --dim 100,1000,10000
w2s exponent --inputs gaussian --target degree:1 --path M_T=d^1.5,M_S=d^3 --dim 50,100
w2s exponent --power-law 1.5 --target power-law:3 --path M_T=d^0.5 --dim 1000,4000"""

_KEYS = ["activation", "inputs", "power_law", "power_law_scale", "target"]


def add_arguments(parser):
    g = add_setting_options(parser, _KEYS, title="features and target")
    p = parser.add_argument_group("path")
    p.add_argument("--path", metavar="PATH",
                   help="the scaling path: M_T=C*d^K (C optional), optionally followed by "
                        ",M_S=C*d^G (a student of width C d^G) or ,M_S=inf (the default: "
                        "an infinitely wide student)")
    p.add_argument("--dim", dest="dims", metavar="D1,D2,...",
                   help="comma-separated dimensions >= 2 (on the sphere: the input "
                        "dimension; with --power-law: the number of coordinates of the "
                        "linear features)")
    p.add_argument("--no-derivative", action="store_true",
                   help="skip the derivative at each dimension (exponents between "
                        "consecutive dimensions only; 17 times fewer evaluations)")
    p.add_argument("--no-asymptotics", action="store_true",
                   help="skip the limit and the predictions of the asymptotics module "
                        "(which load sympy)")
    add_max_seconds_option(p)
    o = parser.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object")
    o.add_argument("--digits", dest="precision", default=None, metavar="DIGITS",
                   help="significant digits (>= 15) computed with mpmath (default: "
                        "float64)")
    return g


#: arguments of the path computation and the options that carry them
_OPTIONS = {"path": "--path", "dims": "--dim", "dim": "--dim", "teacher_width": "--path",
            "student_width": "--path", "precision": "--digits", "setting": "--path"}


def _relabel(exc: InvalidArgument) -> InvalidArgument:
    from .common import option_for

    return InvalidArgument(_OPTIONS.get(exc.argument) or option_for(exc.argument),
                           exc.message)


_show = show_number


def run(args) -> int:
    from .. import cost
    from ..theory.exponent import exponent_path, exponent_seconds, parse_dims, parse_path

    for value, option, example in ((args.path, "--path", "M_T=d^1.5"),
                                   (args.dims, "--dim", "20,40,80")):
        if value is None:
            raise InvalidArgument(option, f"required (e.g. {option} {example})")
    keys = {k: getattr(args, k) for k in _KEYS if getattr(args, k) is not None}
    if args.precision is not None:
        keys["precision"] = args.precision
    try:
        path = parse_path(args.path)
        dims = parse_dims(args.dims)
        seconds = exponent_seconds(keys, path, dims, derivative=not args.no_derivative)
        cost.check(seconds, cost.parse_max_seconds(args.max_seconds),
                   f"this path ({len(dims)} dimensions)")
        result = exponent_path(path=path, dims=dims, derivative=not args.no_derivative,
                               asymptotics=not args.no_asymptotics, **keys)
    except InvalidArgument as exc:
        if exc.argument == "--max-seconds":
            raise
        raise _relabel(exc) from None
    if args.json:
        print_json(result.to_dict(as_strings=result.digits is not None))
        return 0
    r = result
    feats = r.features
    scale = feats.get("power_law_scale", 1.0)
    what = (f"linear features on d coordinates, variances "
            f"{'' if scale == 1 else f'{scale:g} '}i^-{feats.get('power_law'):g}"
            if feats["family"] == "power_law" else
            f"{feats.get('activation')} features, inputs {feats.get('inputs')}")
    print(f"w2s exponent: {what}; target {r.target}; path {r.path}"
          + ("" if r.path.gamma is not None else " (infinitely wide student)"))
    rows = []
    for i, d in enumerate(r.dims):
        sec = "" if i == 0 else _show(r.secant_exponent[i - 1])
        loc = _show(r.local_exponent[i])
        if r.local_exponent_error[i] is not None:
            loc += f" ± {float(r.local_exponent_error[i]):.1g}"
        asym = r.asymptotic.get("local_exponent") if r.asymptotic else None
        rows.append([d, r.teacher_widths[i], "inf" if r.student_widths[i] is None
                     else r.student_widths[i], _show(r.teacher_risk[i]),
                     _show(r.optimal_student_risk[i]), _show(r.optimal_time[i]),
                     _show(r.optimum_over_bound[i]), loc, sec,
                     "-" if not asym else _show(asym[i])])
    print_table(rows, ["d", "M_T", "M_S", "L_T", "L_S(t*)", "t*", "L_S/bound",
                       "exponent (derivative)", "since previous d", "asymptotics"])
    if r.asymptotic:
        lim = r.asymptotic.get("limit")
        if lim is not None:
            print(f"limit of the exponent (asymptotics, regime "
                  f"{tuple(r.asymptotic['regime'])}): {lim:g}; {r.asymptotic['note']}")
        else:
            print(f"no limit from the asymptotics module: {r.asymptotic.get('note')}")
    for note in r.notes:
        print(f"note: {note}")
    return 0
