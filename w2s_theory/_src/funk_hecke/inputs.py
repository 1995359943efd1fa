"""Input handling for the Funk-Hecke quadrature: break points, conversion to mpf, and
evaluation of the user's function at the nodes (float64 and mpmath) with finiteness checks."""

from __future__ import annotations

import math

import mpmath
import numpy as np

from ..errors import InvalidArgument, check_real


def _pieces(breakpoints, mp_mode: bool):
    """Sorted split points in (-1, 1), always including 0, as floats or mpf."""
    if breakpoints is None:
        breakpoints = ()
    if isinstance(breakpoints, (str, bytes)) or not np.iterable(breakpoints):
        breakpoints = (breakpoints,)
    pts = []
    for b in breakpoints:
        if isinstance(b, str):
            try:
                b = mpmath.mpf(b) if mp_mode else float(b)
            except (ValueError, TypeError):
                raise InvalidArgument(
                    "breakpoints", f"must be real numbers in [-1, 1], got {b!r}") from None
        b = check_real("breakpoints", b)
        b = mpmath.mpf(b) if mp_mode else float(b)
        if b < -1 or b > 1:
            raise InvalidArgument("breakpoints", f"must lie in [-1, 1], got {b}")
        if -1 < b < 1:
            pts.append(b)
    pts.append(mpmath.mpf(0) if mp_mode else 0.0)
    pts = sorted(set(pts))
    one = mpmath.mpf(1) if mp_mode else 1.0
    ends = [-one] + pts + [one]
    return [(ends[i], ends[i + 1]) for i in range(len(ends) - 1)]


def _significant_bits(x: float) -> int:
    if not math.isfinite(x) or x == 0:
        return 0
    num, den = x.as_integer_ratio()
    if den == 1:
        num //= num & -num  # strip trailing zeros
    return abs(num).bit_length()


def _to_mpf_value(v, u):
    """Convert one function value returned at mpmath precision, refusing lost precision."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, mpmath.mpf):
        return v
    if isinstance(v, (bool, np.bool_)):
        return mpmath.mpf(int(v))
    if isinstance(v, (int, np.integer)):
        return mpmath.mpf(int(v))
    if isinstance(v, (float, np.floating)):
        # Constants such as 0.0, 1.0, 0.5 are exact; a value with a full 53-bit mantissa
        # is a float64 computation that silently dropped the requested precision.
        if math.isfinite(float(v)) and _significant_bits(float(v)) > 40:
            raise InvalidArgument(
                "activation",
                f"returned the float64 value {float(v)!r} at u = {mpmath.nstr(u, 20)} "
                "instead of an mpmath number: it cannot be evaluated at mpmath precision; "
                "give an mpmath version (mp_func)")
        return mpmath.mpf(float(v))
    if isinstance(v, (mpmath.mpc, complex, np.complexfloating)):
        raise InvalidArgument(
            "activation", f"returned a non-real value {v!r} at u = {mpmath.nstr(u, 20)}")
    try:
        return mpmath.mpf(v)
    except (TypeError, ValueError):
        raise InvalidArgument(
            "activation", f"returned {v!r} at u = {mpmath.nstr(u, 20)}, not a real number"
        ) from None


def _not_finite(u):
    raise InvalidArgument(
        "activation",
        f"Funk-Hecke coefficients do not converge: sigma(u) is not finite at u = {u} "
        "(a pole or singularity there? sigma must be finite on each closed piece "
        "between -1, the breakpoints and 1: nodes closer to a piece end than the working "
        "precision resolves are evaluated at the end itself)")


def _evaluate_float_raw(func, u: np.ndarray) -> np.ndarray:
    """``func`` on a float array (element by element if it is not vectorized).

    Non-finite values are returned as they are; the caller decides.
    """
    if u.size == 0:
        return np.zeros(0)
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(func(u))
        if y.shape != u.shape:
            y = np.broadcast_to(y, u.shape)
    except (TypeError, ValueError, ZeroDivisionError):
        # Not vectorized (math.* functions, `if u > 0`): evaluate element by element.
        y = np.empty(u.shape, dtype=object)
        with np.errstate(all="ignore"):
            for i, x in enumerate(u):
                try:
                    y[i] = func(float(x))
                except (ZeroDivisionError, OverflowError):
                    y[i] = math.inf
                except InvalidArgument:
                    raise
                except Exception as exc:  # noqa: BLE001 - reported with the argument name
                    raise InvalidArgument(
                        "activation", f"evaluation failed at u = {float(x)!r}: {exc!r}"
                    ) from None
    if np.iscomplexobj(y) or (y.dtype == object and any(
            isinstance(v, (complex, np.complexfloating, mpmath.mpc)) for v in y.ravel())):
        raise InvalidArgument("activation", "returned complex values")
    try:
        return np.asarray(y, dtype=float).reshape(u.shape)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument("activation", f"did not return real numbers: {exc}") from None


def _check_finite(y: np.ndarray, u: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(y)
    if bad.any():
        _not_finite(repr(float(u[np.argmax(bad)])))
    return y


def _sigma_proxy(y: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """``|sigma|`` for the choice of nodes; non-finite values count as very large.

    ``floor`` (relative to the largest value) keeps nodes whose float64 value is 0 but
    whose mpmath value need not be (a node within float64 resolution of a jump).
    """
    a = np.abs(y)
    fin = np.isfinite(a)
    top = float(a[fin].max()) if fin.any() else 0.0
    if top == 0:
        top = 1.0
    a = np.where(fin, a, top * 2.0 ** 20)
    return np.maximum(a, floor * top) if floor else a


def _proxy_values(func, u: np.ndarray, mp_mode: bool) -> np.ndarray:
    """Float64 values of ``func`` used to choose nodes (mpmath mode: best effort)."""
    if not mp_mode:
        return _evaluate_float_raw(func, u)
    try:
        return _evaluate_float_raw(func, u)
    except Exception:  # noqa: BLE001 - only a heuristic: fall back to |sigma| = 1
        return np.ones(u.shape)


def _evaluate_mp(func, u: np.ndarray, have_mp_func: bool) -> np.ndarray:
    out = np.empty(u.shape, dtype=object)
    for i, x in enumerate(u):
        try:
            v = func(x)
        except TypeError as exc:
            what = "mp_func" if have_mp_func else "the activation"
            raise InvalidArgument(
                "activation",
                f"{what} cannot be evaluated at mpmath precision ({exc}); give an mpmath "
                "version (mp_func) that accepts and returns mpmath numbers") from None
        except ZeroDivisionError:
            _not_finite(mpmath.nstr(x, 20))
        except InvalidArgument:
            raise
        except Exception as exc:  # noqa: BLE001 - reported with the argument name
            raise InvalidArgument(
                "activation", f"evaluation failed at u = {mpmath.nstr(x, 20)}: {exc!r}"
            ) from None
        v = _to_mpf_value(v, x)
        if not mpmath.isfinite(v):
            _not_finite(mpmath.nstr(x, 20))
        out[i] = v
    return out
