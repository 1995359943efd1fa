r"""Symbolic layer: a registry of the package's closed forms, LaTeX export, lambdified
functions, and the asymptotic expansions of the deterministic equivalents.

>>> from w2s_theory._src import symbolic
>>> symbolic.latex("shrinkage")
'\\frac{\\nu}{\\lambda_{k} + \\nu}'
>>> "a_nu" in symbolic.names() and "multiplicity" in symbolic.names()
True
"""

from . import catalog as _catalog  # noqa: F401  (registers the entries of lower modules)
from . import asymptotics  # noqa: F401  (registers the asymptotic expansions)
from .lambdify import mpmath_function, numpy_function
from .registry import (Entry, Parameter, entries, expression, get_entry, latex, names,
                       parse_value)

__all__ = ["Entry", "Parameter", "entries", "expression", "get_entry", "latex", "names",
           "parse_value", "numpy_function", "mpmath_function", "asymptotics"]
