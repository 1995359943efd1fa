r"""A target bound to a spectrum: its amplitudes per block, total energy and tails.

For a target :math:`f^* = \sum_j w_j f_j` and a spectrum with blocks ``k`` (eigenvalue
:math:`\lambda_k`), the components' signed amplitudes add,
:math:`a_k = \sum_j w_j a_{j,k}`, and the energies are :math:`B_k = a_k^2`
(``THEORY.md`` sections 1b, 2). The risk engine needs the blocks ``k < K`` explicitly and
the tail moments :math:`U_q = \sum_{k\ge K,\lambda_k>0} B_k\lambda_k^q`
(:class:`TargetTail`) beyond: on a finite spectrum by direct sums (here), on an
infinite one from the component class with infinitely many blocks (``Component.tail``:
single-index targets on the sphere, power laws on a power-law spectrum). The energy in blocks with
:math:`\lambda_k = 0` cannot be learned at any width: the irreducible floor.

Targets in several directions (two-layer networks) and functions of ``x`` on Gaussian
inputs are bound through :class:`.atoms.AtomModel` instead: an energy per block (a
quadratic form over the pairs of atoms, not the square of one amplitude: ``amplitudes``
then returns :math:`\sqrt{B_k}` with sign +1), exact totals per parity for the tails,
and on Gaussian inputs the *radial floor* (energy orthogonal to every
:math:`|x|^p Y_k`), which the tail reports with the null energy (``TargetTail.log_null``
then also counts it, over all degrees). The risk engine uses only :math:`B_k`, the
tails and the floor, so it needs nothing else.

>>> import math
>>> from w2s_theory import FiniteSpectrum, parse_target
>>> t = parse_target("degree:1 + -0.5*degree:1 + energies:2=3")   # a_1 = 1 - 0.5
>>> bt = t.bind(FiniteSpectrum([1, 1, 0]))                  # lambda_2 = 0: B_2 is null
>>> round(math.exp(bt.log_total_energy()), 12), round(math.exp(bt.null_energy_head(3)), 12)
(3.25, 3.0)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mpmath
import numpy as np

from ..errors import InvalidArgument
from ..precision import FLOAT64, Precision
from ..spectra import GaussianInputSpectrum, SphereSpectrum, Spectrum

__all__ = ["BoundTarget", "TargetTail", "IrreducibleFloorWarning", "assemble_tail"]


class IrreducibleFloorWarning(UserWarning):
    """The target has energy that the kernel cannot represent at any width."""


@dataclass(frozen=True)
class TargetTail:
    r"""Energies of the target in the blocks ``k >= start``.

    ``log_mass`` is :math:`\log U_0`, :math:`U_q = \sum_{k\ge K,\lambda_k>0} B_k
    \lambda_k^q`; ``ratios[q]`` is :math:`U_q / (U_0 \bar\lambda^q)` for ``q = 0..q_max``;
    ``log_null`` is the log of the energy in tail blocks with :math:`\lambda_k = 0`
    (for a target bound through :class:`.atoms.AtomModel`, plus its radial floor on
    Gaussian inputs, all degrees).
    """

    start: int
    log_mass: object
    ratios: tuple
    log_null: object
    rel_error: float = 0.0


def assemble_tail(K, logs_pos, logs_null, log_bar, err, p) -> TargetTail:
    """A :class:`TargetTail` from lists of logs of partial sums of ``U_q`` (``logs_pos[q]``)
    and of the null energy."""
    with p.context():
        ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
        logs = [p.logsumexp(p.array(x)) if x else ninf for x in logs_pos]
        log_null = p.logsumexp(p.array(logs_null)) if logs_null else ninf
        if logs[0] == ninf:
            ratios = tuple(p.scalar(0) for _ in logs)
        else:
            ratios = tuple(p.exp(logs[q] - logs[0] - q * log_bar)
                           for q in range(len(logs)))
    return TargetTail(K, logs[0], ratios, log_null, err)


class BoundTarget:
    """A target's amplitudes ``a_k`` (energies ``B_k = a_k^2``) in a spectrum's blocks."""

    def __init__(self, target, spectrum: Spectrum):
        from .atoms import AtomModel, uses_atoms

        self.target = target
        self.spectrum = spectrum
        #: the atom model (several directions, or Gaussian inputs), else None
        self.atoms = AtomModel(target, spectrum) if uses_atoms(target, spectrum) \
            else None
        if self.atoms is None:
            self._validate()

    def _validate(self):
        for c in self.target.components:
            c.validate(self.spectrum)
        if self.max_block is not None and not self._has_energy():
            raise InvalidArgument("target", "the target has zero energy")

    def _has_energy(self):
        la, _ = self.amplitudes(self.max_block + 1)
        return bool(np.any(np.isfinite(np.asarray(la, dtype=float))))

    @property
    def max_block(self):
        """Largest block with energy, or ``None`` if the target has infinitely many."""
        if self.atoms is not None:
            return None
        tops = [c.max_block for c in self.target.components]
        if any(t is None for t in tops):
            if isinstance(self.spectrum, (SphereSpectrum, GaussianInputSpectrum)) or \
                    self.spectrum.n_blocks is None:
                return None
            return self.spectrum.n_blocks - 1
        return max(tops)

    @property
    def min_tail_start(self) -> int:
        """Tails are available from this block on (past all finite components)."""
        out = self.spectrum.min_tail_start
        if self.atoms is not None:
            return out
        for c in self.target.components:
            out = max(out, c.tail_start(self.spectrum))
        return out

    # -- amplitudes of the blocks k < K ----------------------------------------------
    def amplitudes(self, K: int, precision: Precision = FLOAT64):
        """``(log|a_k|, sign a_k)`` for ``k < K`` (energies ``B_k = a_k^2``)."""
        K = int(K)
        if self.atoms is not None:
            return self.atoms.amplitudes(K, precision)
        with precision.context():
            total = [precision.scalar(0)] * K
            for c in self.target.components:
                w = precision.scalar(c.weight)
                for k, a in c.amplitudes(self.spectrum, K, precision):
                    total[k] = total[k] + w * a
            total = np.array(total, dtype=object if not precision.is_float else float)
            absval = np.abs(total) if precision.is_float else np.array(
                [abs(x) for x in total], dtype=object)
            return precision.log(absval), np.array([float(np.sign(float(x))) for x in total])

    def log_total_energy(self, precision: Precision = FLOAT64):
        """``log ||f*||^2``: the blocks with energy summed, plus the tail's mass when
        there are infinitely many."""
        if self.atoms is not None:
            return self.atoms.log_total_energy(precision)
        top = self.max_block
        K = self.min_tail_start if top is None else max(self.min_tail_start, top + 1)
        la, _ = self.amplitudes(K, precision)
        with precision.context():
            head = precision.logsumexp(2 * la) if K else precision.scalar(-np.inf)
            if self.max_block is not None:
                return head
            tail = self.tail(K, 0, precision.scalar(0), precision)
            return precision.logaddexp(precision.logaddexp(head, tail.log_mass),
                                       tail.log_null)

    # -- tails -------------------------------------------------------------------------
    def tail(self, K: int, q_max: int, log_bar, precision: Precision = FLOAT64) -> TargetTail:
        """Energies of the blocks ``k >= K`` (``K >= min_tail_start``)."""
        key = (int(K), int(q_max), str(log_bar), precision.digits)
        cache = self.__dict__.setdefault("_tail_cache", {})
        if key not in cache:
            cache[key] = self._tail(int(K), int(q_max), log_bar, precision)
        return cache[key]

    def _tail(self, K, q_max, log_bar, precision):
        if K < self.min_tail_start:
            raise InvalidArgument("K", f"target tails start at block >= {self.min_tail_start}")
        if self.atoms is not None:
            return self.atoms.tail(K, q_max, log_bar, precision)
        ninf = precision.scalar(-np.inf) if precision.is_float else mpmath.ninf
        zero_ratios = tuple(precision.scalar(0) for _ in range(q_max + 1))
        infinite = [c for c in self.target.components if c.max_block is None]
        if not infinite:
            return TargetTail(K, ninf, zero_ratios, ninf, 0.0)
        if self.spectrum.n_blocks is not None:
            return self._finite_tail(K, q_max, log_bar, precision)
        kinds = {type(c) for c in infinite}
        if len(kinds) > 1:
            raise InvalidArgument("target", "cannot sum the tails of " + " and ".join(
                sorted(k.form for k in kinds)) + " targets")
        return kinds.pop().tail(self, infinite, K, q_max, log_bar, precision)

    def _finite_tail(self, K, q_max, log_bar, precision):
        """Finite spectra: the remaining blocks summed directly."""
        sp = self.spectrum
        p = precision
        n = sp.n_blocks
        la, _ = self.amplitudes(n, p)
        b = sp.blocks(n, p)
        with p.context():
            logB = 2 * la[K:]
            loglam = b.log_lam[K:]
            pos = np.array([float(x) > -np.inf for x in loglam])
            safe_lam = np.where(pos, loglam, p.scalar(0))
            logs = [p.logsumexp(np.where(pos, logB + q * (safe_lam - log_bar),
                                         p.scalar(-np.inf))) for q in range(q_max + 1)]
            log_null = p.logsumexp(np.where(pos, p.scalar(-np.inf), logB))
            ratios = tuple(p.exp(x - logs[0]) if logs[0] > -np.inf else p.scalar(0)
                           for x in logs)
        return TargetTail(K, logs[0], ratios, log_null, 0.0)

    def null_energy_head(self, K: int, precision: Precision = FLOAT64):
        """``log sum_{k < K, lambda_k = 0} B_k``."""
        la, _ = self.amplitudes(K, precision)
        b = self.spectrum.blocks(K, precision)
        with precision.context():
            ninf = precision.scalar(-np.inf) if precision.is_float else mpmath.ninf
            null = np.array([float(x) == -np.inf for x in b.log_lam])
            return precision.logsumexp(np.where(null, 2 * la, ninf)) if K else ninf

    def warn_floor(self, log_floor, log_total, precision):
        """Warn when a noticeable fraction of the target cannot be learned."""
        frac = float(np.exp(float(log_floor) - float(log_total)))
        if frac > 1e-12:
            warnings.warn(
                f"{frac:.3g} of the target's energy lies in eigenspaces the kernel cannot "
                "represent (lambda_k = 0); it is an irreducible floor of every risk",
                IrreducibleFloorWarning, stacklevel=3)
        return frac
