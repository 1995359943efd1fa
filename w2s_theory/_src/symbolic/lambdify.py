r"""Numerical functions generated from the registry's expressions (numpy and mpmath).

``numpy_function(name)`` and ``mpmath_function(name)`` return callables taking the
entry's symbolic parameters as keywords (``dim=6, degree=np.arange(5)``); structural
parameters are given when generating (``numpy_function("kernel_relu_power", power=2)``).

* Sums over degrees (:func:`..theory.expressions.degree_sum`) are evaluated by summing
  their summand over the per-degree arrays ``eigenvalue``, ``multiplicity``, ``energy``
  (last axis for numpy, the sequence for mpmath); the other arguments are scalars.
* An equation ``Eq(lhs, rhs)`` becomes its residual ``lhs - rhs``.
* A series ``... + O(x^n)`` (``lower_bound_series``) is evaluated without its ``O`` term.
* ``Piecewise`` in the degree is evaluated branch by branch (numpy) or lazily (mpmath);
  ``LambertW`` gives its principal real branch.

>>> import numpy as np
>>> f = numpy_function("multiplicity")
>>> f(dim=3, degree=np.arange(1, 5)).tolist()
[3.0, 5.0, 7.0, 9.0]
>>> g = mpmath_function("kernel_relu")
>>> print(g(dim=6, u=1))          # kappa(1) = 1/(2d)
0.0833333333333333
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from ..errors import InvalidArgument
from ..theory import expressions as th
from .registry import get_entry

__all__ = ["numpy_function", "mpmath_function"]

_PER_DEGREE = set(th.PER_DEGREE)


def _prepare(name, structural):
    entry = get_entry(name)
    for key in structural:
        p = entry.parameter(key)
        if p is None or not p.structural:
            raise InvalidArgument(key, f"{name!r} has no structural parameter {key!r}")
    checked = {key: entry.parameter(key).check(v) for key, v in structural.items()}
    expr = entry.build(**checked)
    if isinstance(expr, sp.Equality):
        expr = expr.lhs - expr.rhs
    if expr.has(sp.Order):          # a truncated series: evaluate its polynomial part
        expr = expr.removeO()
    params = entry.symbolic_parameters
    return entry, expr, [p.name for p in params], [p.symbol for p in params]


def _split_sums(expr):
    """Replace each ``Sum`` by a dummy; return (outer expression, [(dummy, summand)])."""
    sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
    dummies = [sp.Dummy(f"sum{i}") for i in range(len(sums))]
    outer = expr.xreplace(dict(zip(sums, dummies)))
    return outer, [(dm, s.function) for dm, s in zip(dummies, sums)]


def _caller(entry, names, make_value):
    def call(**values):
        unknown = [k for k in values if k not in names]
        if unknown:
            raise InvalidArgument(unknown[0], f"{entry.name!r} has no parameter "
                                              f"{unknown[0]!r} (its parameters: "
                                              f"{', '.join(names)})")
        missing = [n for n in names if n not in values]
        if missing:
            raise InvalidArgument(missing[0], f"required by {entry.name!r}")
        return make_value([values[n] for n in names])

    call.__name__ = entry.name
    call.__doc__ = f"{entry.description} (parameters: {', '.join(names)})"
    return call


def _real(x):
    x = np.asarray(x)
    if np.iscomplexobj(x):
        x = x.real
    return x[()] if x.ndim == 0 else x


def numpy_function(name: str, **structural):
    """A numpy function of the entry ``name`` (see the module docstring)."""
    entry, expr, names, symbols = _prepare(name, structural)
    outer, sums = _split_sums(expr)
    mods = ["scipy", "numpy"]
    f_outer = sp.lambdify(symbols + [dm for dm, _ in sums], outer, modules=mods)
    f_sums = [sp.lambdify(symbols, s, modules=mods) for _, s in sums]

    def value(args):
        with np.errstate(all="ignore"):
            conv = [np.asarray(a, dtype=float) for a in args]
            partial = [np.sum(np.atleast_1d(np.broadcast_to(f(*conv), np.broadcast_shapes(
                *[c.shape for c, s in zip(conv, symbols) if s in _PER_DEGREE] or [()]))),
                axis=-1) for f in f_sums]
            return _real(f_outer(*conv, *partial))

    return _caller(entry, names, value)


def mpmath_function(name: str, **structural):
    """An mpmath function of the entry ``name`` (current ``mpmath.mp.dps``)."""
    entry, expr, names, symbols = _prepare(name, structural)
    outer, sums = _split_sums(expr)
    f_outer = sp.lambdify(symbols + [dm for dm, _ in sums], outer, modules="mpmath")
    f_sums = [sp.lambdify(symbols, s, modules="mpmath") for _, s in sums]
    per = [s in _PER_DEGREE for s in symbols]

    def value(args):
        # per-degree arguments given as sequences are iterated over; a scalar one (one
        # degree, e.g. shrinkage(eigenvalue=0.5, nu=0.1)) is used as it is
        seq = [p and isinstance(a, (list, tuple, np.ndarray)) for a, p in zip(args, per)]
        args = [[mpmath.mpmathify(v) for v in a] if q else mpmath.mpmathify(a)
                for a, q in zip(args, seq)]
        lengths = {len(a) for a, q in zip(args, seq) if q}
        if len(lengths) > 1:
            bad = [nm for nm, q in zip(names, seq) if q]
            raise InvalidArgument(bad[-1], f"per-degree arrays ({', '.join(bad)}) must "
                                           f"have one length")
        n = lengths.pop() if lengths else 1

        def at(i):
            return [a[i] if q else a for a, q in zip(args, seq)]

        partial = [mpmath.fsum(f(*at(i)) for i in range(n)) for f in f_sums]
        if any(seq) and not sums:
            return [f_outer(*at(i)) for i in range(n)]
        out = f_outer(*args, *partial)
        return out.real if isinstance(out, mpmath.mpc) and out.imag == 0 else out

    return _caller(entry, names, value)
