"""``w2s latex``: the package's closed forms as LaTeX (symbolic registry, issue 6).

``w2s latex NAME`` prints one expression (``--equation`` adds its left-hand side),
plain or with parameters substituted (``--dim 6``, ``--teacher-width 100``, ...;
``--evalf N`` prints a number once every parameter is given); ``w2s latex --list``
lists the names with one-line descriptions; ``w2s latex --all --out FILE.tex`` writes a
complete LaTeX document holding all of them (``amsmath``, ``geometry`` and ``graphicx``
only: compiles with Debian's texlive-latex-base). ``--out`` is written all-or-nothing
(a temporary file renamed into place: Ctrl-C leaves no half-written file). Bad input (an unknown name, a
parameter the expression does not have, a value outside its domain) is a one-line error
naming the option, exit status 2.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InvalidArgument
from .common import check_writable, write_atomic

NAME = "latex"
HELP = ("Print a named closed form of the package as LaTeX, optionally with parameters "
        "substituted; --list the names; --all writes a complete LaTeX document.")
EXAMPLE = """\
w2s latex --list
w2s latex multiplicity --dim 6
w2s latex a_nu --dim 3 --teacher-width 1000 --evalf 10
w2s latex --all --out formulas.tex"""


def _parameter_options():
    """Every parameter of the registry: {name: description} (first description wins)."""
    from .. import symbolic

    out = {}
    for e in symbolic.entries():
        for p in e.parameters:
            out.setdefault(p.name, p.description)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="name of the expression (see --list)")
    parser.add_argument("--list", action="store_true",
                        help="list the names with one-line descriptions")
    parser.add_argument("--all", action="store_true",
                        help="a complete LaTeX document with every expression")
    parser.add_argument("--out", metavar="FILE", default=None,
                        help="write to FILE instead of standard output")
    parser.add_argument("--equation", action="store_true",
                        help="print 'lhs = expression' (e.g. N(d, k) = ...)")
    parser.add_argument("--evalf", metavar="N", default=None,
                        help="print the value with N significant digits (all parameters "
                             "given)")
    g = parser.add_argument_group("parameters (each expression has some of them; "
                                  "values are exact: 0.3 means 3/10, 3/2 is allowed)")
    for name, desc in sorted(_parameter_options().items()):
        g.add_argument("--" + name.replace("_", "-"), dest="param_" + name, default=None,
                       metavar="X", help=desc)


def _params(args) -> dict:
    prefix = "param_"
    return {k[len(prefix):]: v for k, v in vars(args).items()
            if k.startswith(prefix) and v is not None}


def _evalf(args):
    if args.evalf is None:
        return None
    try:
        n = int(args.evalf)
    except ValueError:
        raise InvalidArgument("--evalf", f"must be an integer, got {args.evalf!r}") from None
    if not 1 <= n <= 1000:
        raise InvalidArgument("--evalf", f"must be an integer in [1, 1000], got {n}")
    return n


def _emit(text: str, out) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    write_atomic(out, text, "--out")


def run(args) -> int:
    from .. import symbolic
    from ..symbolic.document import equation_latex, latex_document

    params = _params(args)
    if args.out is not None:
        check_writable(args.out, "--out")            # before any work
    modes = [m for m, on in (("--list", args.list), ("--all", args.all)) if on]
    if len(modes) > 1:
        raise InvalidArgument("--all", "give either --list or --all, not both")
    if modes:
        if args.name is not None:
            raise InvalidArgument(modes[0], f"takes no NAME (got {args.name!r})")
        extra = [k for k in ("equation", "evalf") if getattr(args, k)]
        if params or extra:
            first = ("--" + next(iter(params)).replace("_", "-")) if params else \
                "--" + extra[0]
            raise InvalidArgument(first, f"parameters and --equation/--evalf apply to one "
                                     f"expression, not to {modes[0]}")
    if args.list:
        names = symbolic.names()
        width = max(len(n) for n in names)
        _emit("\n".join(f"{n:<{width}}  {symbolic.get_entry(n).description}"
                        for n in names), args.out)
        return 0
    if args.all:
        from ..cost import LATEX_DOCUMENT
        from ..progress import ProgressBar

        bar = ProgressBar("w2s latex", estimate=LATEX_DOCUMENT)
        bar.start("building the document")
        try:
            text = latex_document()
        finally:
            bar.close()
        _emit(text, args.out)
        return 0
    if args.name is None:
        raise InvalidArgument("NAME", "give an expression name, --list or --all")
    try:
        entry = symbolic.get_entry(args.name)
    except InvalidArgument as exc:                       # the API's name is NAME here
        raise InvalidArgument("NAME", exc.message) from None
    body = symbolic.latex(args.name, evalf=_evalf(args), **params)
    if args.equation:
        body = equation_latex(entry, body)
    _emit(body, args.out)
    return 0
