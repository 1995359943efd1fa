"""Conventions shared by the subcommands: option names, errors, JSON output."""

from __future__ import annotations

import argparse
import json
import math
import sys

import mpmath
import numpy as np

__all__ = ["W2SArgumentParser", "OptionError", "option_for", "print_json", "jsonable",
           "parse_list"]


class OptionError(Exception):
    """A bad command-line option: printed as one line ``w2s CMD: error: --opt: message``."""

    def __init__(self, option: str, message: str):
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


class W2SArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, with no usage block."""

    def error(self, message):  # noqa: D401 - argparse API
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
