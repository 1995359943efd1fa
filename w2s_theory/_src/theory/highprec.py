r"""Scalar arithmetic at many digits for the resolvent's nodes: python-flint or mpmath.

The finite-width student's high-precision work is scalar and per node: Newton's polish
of :math:`\kappa_j` (:mod:`.resolvent`) and the weighted columns
:math:`\sum_b w_b/(\ell_b + K_j)` of :mod:`.finite_evolution`, a few dozen complex
operations per node over thousands of nodes. python-flint (``arb``/``acb``, C) does
each operation about ten times faster than mpmath (pure Python); both give the same
midpoints to the working precision, and everything else stays in mpmath. :data:`HP` is
python-flint's backend when it is installed (a dependency of the package; imported on
first use, not at start-up), mpmath's otherwise (``W2S_HIGHPREC=mpmath`` forces it, for
comparison).

Numbers of the backend are created from mpmath numbers, Python floats or complexes
(exactly) and converted back to mpmath numbers, float64, or fixed-point integers
(:meth:`fixed`: ``floor(x 2^P)``, as :func:`mpmath.libmp.to_fixed`). The precision is
the enclosing mpmath context's (:meth:`context`). Only the midpoint of an ``arb`` ball
is used: the error bounds of the quadrature come from :mod:`.contour`.
"""

from __future__ import annotations

import importlib.util
import os

import mpmath
from mpmath.libmp import from_man_exp, to_fixed

#: python-flint, imported on first use (it takes ~0.15 s: not at start-up)
flint = None
HAVE_FLINT = importlib.util.find_spec("flint") is not None


def _import_flint():
    global flint
    if flint is None:
        import flint as module
        flint = module
    return flint

__all__ = ["HP", "backend"]


class _Mpmath:
    """mpmath numbers (the fallback)."""

    name = "mpmath"

    def context(self):
        import contextlib
        return contextlib.nullcontext()

    def real(self, x):
        return mpmath.mpf(x)

    def cplx(self, z):
        return mpmath.mpc(z)

    def to_mpf(self, x):
        return +x

    def to_mpc(self, z):
        return +mpmath.mpc(z)

    def to_complex(self, z):
        return complex(z)

    def fixed(self, z, P):
        z = mpmath.mpc(z)
        return to_fixed(z.real._mpf_, P), to_fixed(z.imag._mpf_, P)

    def abs_bits(self, z):
        """``floor(log2 max(|Re z|, |Im z|)) + 1`` (``None`` for 0)."""
        z = mpmath.mpc(z)
        big = max(abs(z.real), abs(z.imag))
        if big == 0:
            return None
        return int(mpmath.floor(mpmath.log(big, 2))) + 1

    def horner(self, coeffs, y):
        """``sum_q coeffs[q] y^q`` and its derivative in ``y``."""
        P = coeffs[-1] + 0 * y
        dP = 0 * y
        for c in coeffs[-2::-1]:
            dP = dP * y + P
            P = P * y + c
        return P, dP

    def polynomial(self, coeffs):
        """The polynomial with these coefficients (constant first), for :meth:`horner`."""
        return list(coeffs)


class _Flint:
    """python-flint ``arb``/``acb`` at the enclosing mpmath context's precision."""

    name = "flint"

    def context(self):
        return _import_flint().ctx.workprec(mpmath.mp.prec)

    def real(self, x):
        if flint is None:
            _import_flint()
        if isinstance(x, (int, float)):
            return flint.arb(x)
        sign, man, exp, _ = mpmath.mpf(x)._mpf_
        if man == 0:
            if exp:                               # inf or nan
                return flint.arb(float(mpmath.mpf(x)))
            return flint.arb(0)
        return flint.arb(flint.fmpz(-man if sign else man)) * flint.arb(2) ** int(exp)

    def cplx(self, z):
        if flint is None:
            _import_flint()
        if isinstance(z, (int, float, complex)):
            return flint.acb(z)
        if isinstance(z, flint.acb):
            return z
        z = mpmath.mpc(z)
        return flint.acb(self.real(z.real), self.real(z.imag))

    @staticmethod
    def _mpf(x):
        man, exp = x.mid().man_exp()
        return mpmath.mpf(from_man_exp(int(man), int(exp)))

    def to_mpf(self, x):
        return self._mpf(x.real if isinstance(x, flint.acb) else x)

    def to_mpc(self, z):
        z = flint.acb(z)
        return mpmath.mpc(self._mpf(z.real), self._mpf(z.imag))

    def to_complex(self, z):
        z = flint.acb(z)
        return complex(float(z.real.mid()), float(z.imag.mid()))

    @staticmethod
    def _fixed1(x, P):
        man, exp = x.mid().man_exp()
        man, s = int(man), int(exp) + P
        return man << s if s >= 0 else man >> -s

    def fixed(self, z, P):
        z = flint.acb(z)
        return self._fixed1(z.real, P), self._fixed1(z.imag, P)

    def abs_bits(self, z):
        z = flint.acb(z)
        best = None
        for part in (z.real, z.imag):
            man, exp = part.mid().man_exp()
            man = int(man)
            if man:
                b = abs(man).bit_length() + int(exp)   # 2^(b-1) <= |x| < 2^b
                best = b if best is None else max(best, b)
        return best

    def horner(self, poly, y):
        P, dpoly = poly
        return P(y), dpoly(y)

    def polynomial(self, coeffs):
        """The polynomial with these coefficients (constant first), for :meth:`horner`."""
        P = flint.acb_poly([c if isinstance(c, flint.acb) else flint.acb(self.real(c))
                            for c in coeffs])
        return P, P.derivative()


def backend(name=None):
    """The backend ``name`` (``"flint"``, ``"mpmath"``), or the default (see the module
    docstring)."""
    name = name or os.environ.get("W2S_HIGHPREC") or ("flint" if HAVE_FLINT else "mpmath")
    if name == "flint":
        if not HAVE_FLINT:
            raise ImportError("python-flint is not installed")
        return _Flint()
    return _Mpmath()


HP = backend()
