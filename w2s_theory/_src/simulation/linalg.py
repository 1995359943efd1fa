r"""Dense symmetric eigenproblems for the exact simulations, and the memory they need.

The population Gram :math:`G` of ``m`` features (``THEORY.md`` section 5) is symmetric
positive semi-definite; every exact quantity of the simulations is a spectral function
of ``G`` applied to one or two vectors:

* the teacher's coefficients :math:`a = G^+ b`, and :math:`L_T = \|f^*\|^2 - b^T a`;
* the finite student's gradient flow :math:`\theta(t) = G^+ (I - e^{-tG/m}) y`.

:class:`SymmetricEigen` computes the eigendecomposition :math:`G = V \operatorname{diag}
(\mu) V^T` as :math:`V = Q U`: Householder reduction to tridiagonal form
:math:`G = Q T Q^T` (LAPACK ``dsytrd``, in place) and the eigenvectors ``U`` of ``T`` by
divide and conquer (``dstevd``) when ``U`` and its workspace fit in memory, else by
multiple relatively robust representations (``dstemr``) in column chunks. ``V`` itself is never formed: vectors are mapped to
eigen-coordinates :math:`V^T x = U^T (Q^T x)` and back with the stored reflectors. This
skips the :math:`2m^3` back-transformation of a full ``dsyevd`` and its second
``m x m`` array, which is what lets a width of 8,000 run in a few hundred MB.

**Pseudo-inverse with a relative cut-off** (the teacher, and ``t = inf``): eigenvalues
:math:`\mu_i \le r \mu_{max}` with :math:`r = 4 m \varepsilon` are treated as zero. The
computed eigenvalues carry absolute errors of order :math:`m \varepsilon \mu_{max}`
(backward stability), so below the cut-off they are rounding noise and ``1/mu`` would
amplify noise without bound; above it ``1/mu`` is accurate to
:math:`\mu_{max}/\mu` ulps. Discarding them means projecting on the span of the
numerically independent feature combinations; how many were discarded and the condition
number :math:`\mu_{max}/\mu_{min}` of the kept part are reported (:meth:`conditioning`).
A stable solve by Cholesky would fail outright on such Grams (polynomial activations,
widths near the number of harmonics), and ridge would bias the projection.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.linalg as sla
from scipy.linalg import lapack

from ..errors import InvalidArgument

__all__ = ["SymmetricEigen", "memory_budget", "check_width_fits", "gram_bytes",
           "RCOND_FACTOR"]

#: Relative cut-off of the pseudo-inverse is ``RCOND_FACTOR * m * eps``.
RCOND_FACTOR = 4.0
_EPS = np.finfo(float).eps
#: Eigenvector chunks hold at most this many bytes.
_CHUNK_BYTES = 1 << 27


class SymmetricEigen:
    r"""Eigendecomposition of a symmetric matrix, ``V = Q U`` kept in factored form.

    ``matrix`` must be a C- or Fortran-contiguous float64 array; it is **overwritten**
    (by the Householder reflectors). ``values`` are ascending.

    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((6, 6)); A = A @ A.T
    >>> ref = np.linalg.eigh(A)
    >>> eig = SymmetricEigen(A.copy())
    >>> bool(np.allclose(eig.values, ref[0]))
    True
    >>> x = rng.standard_normal(6)
    >>> bool(np.allclose(np.abs(eig.coordinates(x)), np.abs(ref[1].T @ x)))
    True
    >>> bool(np.allclose(eig.combine(eig.coordinates(x)), x))
    True
    """

    def __init__(self, matrix: np.ndarray):
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError("expected a square matrix")
        n = matrix.shape[0]
        self.n = n
        if n == 1:
            self._c = None
            self.values = np.array([float(matrix[0, 0])])
            self._diag = self.values.copy()
            self._off = np.zeros(0)
            self._tau = np.zeros(0)
            self._U = np.ones((1, 1))
            return
        # dsytrd wants Fortran order; a symmetric C-order array is its own transpose.
        a = matrix.T if matrix.flags.c_contiguous else matrix
        if not a.flags.f_contiguous:
            a = np.asfortranarray(a)
        lwork = int(lapack.dsytrd_lwork(n, lower=1)[0])
        c, d, e, tau, info = lapack.dsytrd(a, lower=1, lwork=max(lwork, 1), overwrite_a=1)
        if info != 0:                                           # pragma: no cover
            raise ArithmeticError(f"dsytrd failed (info={info})")
        self._c, self._diag, self._off, self._tau = c, d, e, tau
        self._U = None
        self._chunk = min(n, max(1, _CHUNK_BYTES // (8 * n)))
        if self._chunk == n or 24 * n * n <= memory_budget():
            # all eigenvectors of T (and dstevd's workspace) fit: divide and conquer,
            # several times faster than MRRR for large n (deflation, BLAS-3 merges)
            self._chunk = n
            self.values, self._U, info = lapack.dstevd(d, e, compute_v=1)
            if info != 0:                                        # pragma: no cover
                self.values, self._U = sla.eigh_tridiagonal(d, e, lapack_driver="stemr")
        else:
            self.values = sla.eigvalsh_tridiagonal(d, e, lapack_driver="stemr")

    # -- the tridiagonal eigenvectors, whole or in chunks ----------------------------
    def _tridiagonal_vectors(self, lo, hi):
        try:
            _, U = sla.eigh_tridiagonal(self._diag, self._off, select="i",
                                        select_range=(lo, hi - 1), lapack_driver="stemr")
        except (np.linalg.LinAlgError, ValueError):            # pragma: no cover
            _, U = sla.eigh_tridiagonal(self._diag, self._off, select="i",
                                        select_range=(lo, hi - 1), lapack_driver="stebz")
        return U

    def _chunks(self):
        if self._U is not None:
            yield 0, self.n, self._U
            return
        for lo in range(0, self.n, self._chunk):
            hi = min(self.n, lo + self._chunk)
            yield lo, hi, self._tridiagonal_vectors(lo, hi)

    # -- the Householder factor Q ------------------------------------------------------
    def _apply_q(self, x: np.ndarray, transpose: bool) -> np.ndarray:
        """``Q^T x`` (``transpose``) or ``Q x`` for ``x`` of shape ``(n, r)``."""
        x = np.array(x, dtype=float, copy=True)
        if self._c is None:
            return x
        c, tau, n = self._c, self._tau, self.n
        order = range(n - 1) if transpose else range(n - 2, -1, -1)
        v = np.empty(n)
        for i in order:
            t = tau[i]
            if t == 0.0:
                continue
            m = n - i - 1
            v[0] = 1.0
            v[1:m] = c[i + 2:, i]
            seg = x[i + 1:]
            w = v[:m] @ seg
            seg -= t * np.outer(v[:m], w)
        return x

    # -- public maps --------------------------------------------------------------------
    def coordinates(self, x) -> np.ndarray:
        """``V^T x`` for a vector or an ``(n, r)`` array."""
        x = np.asarray(x, dtype=float)
        flat = x.ndim == 1
        y = self._apply_q(x[:, None] if flat else x, transpose=True)
        out = np.empty_like(y)
        for lo, hi, U in self._chunks():
            out[lo:hi] = U.T @ y
        return out[:, 0] if flat else out

    def combine(self, coords) -> np.ndarray:
        """``V c`` for eigen-coordinates ``c`` (a vector or an ``(n, r)`` array)."""
        coords = np.asarray(coords, dtype=float)
        flat = coords.ndim == 1
        cc = coords[:, None] if flat else coords
        y = np.zeros_like(cc)
        for lo, hi, U in self._chunks():
            y += U @ cc[lo:hi]
        out = self._apply_q(y, transpose=False)
        return out[:, 0] if flat else out

    # -- pseudo-inverse -----------------------------------------------------------------
    @property
    def cutoff(self) -> float:
        """Eigenvalues at or below this are treated as zero (``4 m eps mu_max``)."""
        top = max(float(self.values[-1]), 0.0)
        return RCOND_FACTOR * self.n * _EPS * top

    def kept(self) -> np.ndarray:
        """Mask of the eigenvalues above :attr:`cutoff`."""
        return self.values > self.cutoff

    def conditioning(self) -> dict:
        """Condition number of the kept part, number discarded, extreme eigenvalues."""
        keep = self.kept()
        top = float(self.values[-1])
        low = float(self.values[keep][0]) if keep.any() else float("nan")
        return {"condition": top / low if keep.any() else float("inf"),
                "discarded": int(self.n - keep.sum()),
                "rcond": RCOND_FACTOR * self.n * _EPS,
                "mu_max": top, "mu_min": float(self.values[0])}


# --------------------------------------------------------------------------------------
# Memory


def memory_available() -> int:
    """``MemAvailable`` from ``/proc/meminfo`` in bytes (a conservative fallback else)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:                                             # pragma: no cover
        pass
    return 4 << 30                                              # pragma: no cover


def memory_budget(workers: int | None = None) -> int:
    """Bytes one worker may use: ``min(60% of available, 4 GiB) / workers``.

    ``W2S_MEMORY_BUDGET`` (bytes) overrides the total, for tests and small machines;
    ``workers`` defaults to the size of the pool this process belongs to (1 outside).
    """
    if workers is None:
        workers = int(os.environ.get("W2S_SIM_WORKERS", "1"))
    env = os.environ.get("W2S_MEMORY_BUDGET")
    total = int(float(env)) if env else min(int(0.6 * memory_available()), 4 << 30)
    return max(total // max(int(workers), 1), 1)


def gram_bytes(m: int, other: int = 0) -> int:
    """Peak bytes of an exact solve at width ``m`` (``other``: width of the other model).

    The ``m x m`` Gram (reduced in place), eigenvector chunks, kernel evaluation blocks
    and the ``m x other`` cross terms computed by blocks: about ``8 m^2`` plus
    ``~300 MB`` of blocks at most.
    """
    m, other = int(m), int(other)
    blocks = min(8 * m * m, 3 * _CHUNK_BYTES) + 8 * 64 * max(m, other) * 8
    return 8 * m * m + blocks + 8 * m * (other + 16)


def max_width_fitting(budget: int, other: int = 0) -> int:
    """Largest ``m`` with :func:`gram_bytes` ``(m, other) <= budget``."""
    lo, hi = 0, 1
    while gram_bytes(hi, other) <= budget:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if gram_bytes(mid, other) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


def check_width_fits(name: str, m: int, other: int = 0, workers: int = 1) -> None:
    """Raise :class:`InvalidArgument` naming ``name`` if width ``m`` cannot fit in memory.

    Called before anything is allocated; the message gives the largest width that fits.
    """
    budget = memory_budget(workers)
    need = gram_bytes(m, other)
    if need > budget:
        fit = max_width_fitting(budget, other)
        raise InvalidArgument(
            name, f"a width of {m} needs about {need / 2**30:.2f} GiB for its Gram "
            f"matrix; at most {fit} fits in the memory available "
            f"({budget / 2**30:.2f} GiB{' per worker' if workers > 1 else ''})")
