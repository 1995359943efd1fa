"""Conventions shared by the subcommands: option names, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import sys

import mpmath
import numpy as np

from ..errors import InvalidArgument
from ..precision import number_formatter  # noqa: F401 (re-exported for commands)
from ..setting import FEATURE_KEYS, PARAMS, Setting, features, option_name, relabel

__all__ = ["W2SArgumentParser", "option_for", "print_json", "jsonable",
           "add_setting_options", "add_feature_options", "setting_from_args",
           "spectrum_from_args", "add_max_seconds_option", "write_atomic",
           "check_writable",
           "add_output_options", "number_formatter", "print_table", "FEATURE_KEYS",
           "show_number"]


class W2SArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, with no usage block, in the same
    form as every other error (``w2s CMD: error: --opt: message``)."""

    def error(self, message):  # noqa: D401 - argparse API
        if message.startswith("argument "):
            message = message[len("argument "):]
        required = "the following arguments are required: "
        if message.startswith(required):          # name the option first, as elsewhere
            names = message[len(required):].split(", ")
            message = f"{names[0]}: required" + (
                f" (so are {', '.join(names[1:])})" if names[1:] else "")
        self.exit(2, f"{self.prog}: error: {message}\n")


def option_for(argument: str) -> str:
    """The name an error shows for an argument: an option (``--x``) or a positional
    (``NAME``) as is; a parameter key as its command-line option
    (:func:`~w2s_theory._src.setting.option_name`: ``times`` -> ``--time``)."""
    if argument.startswith("-") or argument.isupper():
        return argument
    return option_name(argument)


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


def add_setting_options(parser, keys, title="setting", params=None, required=()):
    """Options for the parameters ``keys``, made from their declarations
    (:data:`~w2s_theory._src.parameters.PARAMS`, or ``params``): the option, metavar and
    help of each; values are kept as the strings typed (parsed by the setting)."""
    params = params or PARAMS
    g = parser.add_argument_group(title)
    for key in keys:
        p = params[key]
        if p.option.startswith("--no-"):
            g.add_argument(p.flag, dest=key, action="store_const", const=False,
                           default=None, help=p.help)
            continue
        g.add_argument(p.flag, dest=key, default=None, metavar=p.metavar,
                       required=key in required, help=p.help)
    return g


def add_feature_options(parser):
    """The feature family: ``--activation/--dim`` (sphere), ``--variances`` (linear
    features on Gaussian data), ``--eigenvalues/--multiplicities`` or ``--power-law``."""
    return add_setting_options(parser, list(FEATURE_KEYS), title="features")


def spectrum_from_args(args):
    """The spectrum the feature options describe (errors name the options)."""
    values = {k: getattr(args, k) for k in FEATURE_KEYS}
    try:
        return features(values)[1]
    except InvalidArgument as exc:
        raise relabel(exc, option_name) from None


def setting_from_args(args, keys, **defaults):
    """The :class:`~w2s_theory._src.setting.Setting` of the options ``keys`` (errors
    name the options)."""
    values = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    return Setting.from_values(values, label=option_name, defaults=defaults)


def check_writable(path, option: str = "--out") -> None:
    """Refuse, before any work, a file path that cannot be written: a folder, or a file
    in a folder that does not exist. Errors name ``option``."""
    import os

    target = os.path.abspath(os.fspath(path))
    shown = os.fspath(path)
    if os.path.isdir(target):
        raise InvalidArgument(option, f"cannot write {shown!r}: it is a folder")
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise InvalidArgument(option, f"cannot write {shown!r}: No such file or directory")
    if not os.access(parent, os.W_OK):
        raise InvalidArgument(option, f"cannot write {shown!r}: Permission denied")


def write_atomic(path, text: str, option: str = "--out") -> None:
    """Write ``text`` to ``path`` all-or-nothing: into a temporary file beside it,
    renamed into place at the end (an error or Ctrl-C leaves ``path`` as it was).
    Errors name ``option``."""
    import os
    import tempfile

    target = os.path.abspath(os.fspath(path))
    check_writable(path, option)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(target) + ".",
                                   suffix=".tmp", dir=os.path.dirname(target))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise InvalidArgument(option, f"cannot write {os.fspath(path)!r}: "
                              f"{exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def add_max_seconds_option(group):
    """``--max-seconds``: the limit on a computation's estimated duration
    (:mod:`w2s_theory._src.cost`); a request estimated beyond it is refused up front."""
    from ..cost import DEFAULT_MAX_SECONDS

    group.add_argument("--max-seconds", default=f"{DEFAULT_MAX_SECONDS:g}", metavar="S",
                       help="refuse, with its estimate, a computation estimated to take "
                            f"longer than S seconds (default {DEFAULT_MAX_SECONDS:g}; "
                            "inf: no limit)")


def add_output_options(parser, *, digits: bool = True):
    g = parser.add_argument_group("output")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    if digits:
        g.add_argument("--digits", dest="precision", default=None, metavar="DIGITS",
                       help=PARAMS["precision"].help)


def show_number(x, digits=None) -> str:
    """A number for the terminal: 6 significant digits (all ``digits`` of a
    high-precision result); ``inf``, ``undefined`` (nan) and ``-`` (None) spelled out.

    >>> show_number(1 / 3), show_number(float("inf")), show_number(None), show_number(7)
    ('0.333333', 'inf', '-', '7')
    """
    if x is None:
        return "-"
    f = float(x)
    if math.isnan(f):
        return "undefined"
    if math.isinf(f):
        return "inf"
    if isinstance(x, int):
        return str(x)
    return number_formatter(digits)(x) if digits else f"{f:.6g}"


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
