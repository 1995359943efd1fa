"""Conventions shared by the subcommands: option names, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import sys

import mpmath
import numpy as np

from ..precision import number_formatter  # noqa: F401 (re-exported for commands)

__all__ = ["W2SArgumentParser", "OptionError", "option_for", "print_json", "jsonable",
           "parse_list", "add_feature_options", "spectrum_from_args", "add_output_options",
           "number_formatter", "print_table", "TARGET_HELP"]

#: the help of ``--target``, the same in every command that takes one
TARGET_HELP = ("the target: degree:K, energies:0=0.5,1=1, single-index:NAME, "
               "power-law:BETA, linear:t1,t2,..., sums with '+' (default: degree:1)")


class OptionError(Exception):
    """A bad command-line option: printed as one line ``w2s CMD: error: --opt: message``."""

    def __init__(self, option: str, message: str):
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


class W2SArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, with no usage block, in the same
    form as every other error (``w2s CMD: error: --opt: message``)."""

    def error(self, message):  # noqa: D401 - argparse API
        if message.startswith("argument "):
            message = message[len("argument "):]
        self.exit(2, f"{self.prog}: error: {message}\n")


# API argument name -> command-line option, where the two are not simply
# ``--`` + name with underscores turned into hyphens.
_OPTION_ALIASES = {
    "d": "--dim",
    "dim": "--dim",
    "k_max": "--max-degree",
    "max_degree": "--max-degree",
    "teacher_width": "--teacher-width",
    "student_width": "--student-width",
    "times": "--time",
    "time": "--time",
    "digits": "--digits",
    "precision": "--digits",
}


def option_for(args, argument: str) -> str:
    """The command-line option corresponding to an API argument name."""
    explicit = getattr(args, "_option_names", {}) or {}
    if argument in explicit:
        return explicit[argument]
    if argument in _OPTION_ALIASES:
        return _OPTION_ALIASES[argument]
    return "--" + argument.replace("_", "-")


def jsonable(x):
    """Convert numbers (numpy, mpmath) and containers into JSON-serializable values."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [jsonable(v) for v in x.tolist()] if x.dtype != object else \
            [jsonable(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating, mpmath.mpf)):
        f = float(x)
        return f if math.isfinite(f) else None
    return x


def print_json(obj, stream=None) -> None:
    """Print one JSON object on stdout (numbers as JSON floats; non-finite as null)."""
    stream = stream or sys.stdout
    json.dump(jsonable(obj), stream, indent=None, allow_nan=False)
    stream.write("\n")


def parse_list(option: str, text: str, convert=float):
    """Parse a comma-separated list option such as ``--time 300,1000``."""
    items = [s.strip() for s in str(text).split(",") if s.strip()]
    if not items:
        raise OptionError(option, f"expected a comma-separated list, got {text!r}")
    out = []
    for s in items:
        try:
            out.append(convert(s))
        except (TypeError, ValueError):
            raise OptionError(option, f"not a number: {s!r}") from None
    return out


# --------------------------------------------------------------------------------------
# Options shared by the subcommands (same names, same meaning everywhere)


def add_feature_options(parser, *, required_activation: bool = False):
    """The feature family: ``--activation/--dim`` (sphere), ``--variances`` (linear
    features on Gaussian data), ``--eigenvalues/--multiplicities`` or ``--power-law``."""
    g = parser.add_argument_group("features")
    g.add_argument("--activation", default=None if not required_activation else "relu",
                   help="activation on the sphere: relu, step, relu2, relu3, abs, sign, "
                        "leaky_relu, erf, tanh, sigmoid, softplus, gelu, relu^p, "
                        "poly:a0,a1,... (default: relu)")
    g.add_argument("--dim", type=int, default=None,
                   help="input dimension d >= 2 (inputs on the sphere S^{d-1})")
    g.add_argument("--variances", default=None,
                   help="linear random features on x ~ N(0, diag(VARIANCES)): "
                        "comma-separated")
    g.add_argument("--eigenvalues", default=None,
                   help="a user spectrum: comma-separated eigenvalues")
    g.add_argument("--multiplicities", default=None,
                   help="multiplicities of --eigenvalues (default: all 1)")
    g.add_argument("--power-law", type=float, default=None, metavar="ALPHA",
                   help="the infinite spectrum lambda_i = i^-ALPHA, i = 1, 2, ...")


def spectrum_from_args(args):
    """Build the spectrum the feature options describe (sphere with relu by default)."""
    from ..spectra import (FiniteSpectrum, LinearGaussianSpectrum, PowerLawSpectrum,
                           SphereSpectrum)

    others = [("--variances", args.variances), ("--eigenvalues", args.eigenvalues),
              ("--power-law", args.power_law)]
    given = [name for name, v in others if v is not None]
    if len(given) > 1 or (given and args.activation is not None):
        names = given + (["--activation"] if args.activation is not None else [])
        raise OptionError(names[-1], f"give only one feature family (got {', '.join(names)})")
    if args.multiplicities is not None and args.eigenvalues is None:
        raise OptionError("--multiplicities", "goes with --eigenvalues")
    if args.variances is not None:
        return LinearGaussianSpectrum(args.variances)
    if args.eigenvalues is not None:
        return FiniteSpectrum(args.eigenvalues, args.multiplicities)
    if args.power_law is not None:
        return PowerLawSpectrum(args.power_law)
    if args.dim is None:
        raise OptionError("--dim", "required for features on the sphere (e.g. --dim 6)")
    return SphereSpectrum(args.activation or "relu", args.dim)


def add_output_options(parser, *, digits: bool = True):
    g = parser.add_argument_group("output")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    if digits:
        g.add_argument("--digits", type=int, default=None,
                       help="significant digits (>= 15) computed with mpmath; numbers are "
                            "then printed as decimal strings (default: float64)")


def print_table(rows, headers, stream=None):
    """A plain aligned table."""
    stream = stream or sys.stdout
    cols = [[str(h)] + [str(r[i]) for r in rows] for i, h in enumerate(headers)]
    widths = [max(len(c) for c in col) for col in cols]
    for n in range(len(rows) + 1):
        line = "  ".join(col[n].rjust(w) for col, w in zip(cols, widths))
        stream.write(line.rstrip() + "\n")
        if n == 0:
            stream.write("  ".join("-" * w for w in widths) + "\n")
