r"""Targets :math:`f^*`, described by their energy in each eigenspace of the kernel.

A target is a weighted sum of components (:class:`Target`), written as a string (the
command line's ``--target``, :func:`parse_target`) or built in Python from one class per
kind, composed with ``+`` and numbers (as scikit-learn composes kernels):

* ``degree:K``, :class:`Degree` - a unit-energy harmonic of degree ``K`` (on the sphere,
  the zonal harmonic :math:`\sqrt{N(d,K)}\, P_K(\langle\beta, x\rangle)`; for other
  spectra, the unit-norm eigenfunction of block ``K``);
* ``energies:0=0.5,1=1,2=0.25``, :class:`Energies` - given energies
  :math:`B_k = \|P_k f^*\|^2` per block;
* ``single-index:NAME``, :class:`SingleIndex` - on the sphere,
  :math:`g(\langle \beta, x\rangle)` for any registered activation or callable ``g``:
  energies :math:`B_k = c_k(g)^2 N(d, k)` over all degrees (``THEORY.md`` section 2);
* ``power-law:BETA``, :class:`PowerLaw` - for block-indexed spectra,
  :math:`B_i = i^{-\beta}`, ``i = k + 1``;
* ``linear:t1,t2,...``, :class:`Linear` - for linear features on Gaussian data,
  :math:`\langle\theta^*, x\rangle` with :math:`B_i = \sigma_i \theta_i^{*2}`
  (``THEORY.md`` section 1b);
* ``network:relu,width=64,seed=0[,standardize]`` or ``network:FILE``,
  :class:`Network` - a two-layer network :math:`\sum_j a_j g(\langle v_j, x\rangle)`
  (:mod:`.network`), whose energies per block are computed over pairs of directions
  (:mod:`.atoms`);
* sums ``A + B`` and weights ``0.5*degree:2``; every number is kept exact
  (:mod:`.exact`: ``0.1`` is 1/10 at any precision).

All sphere components are zonal in one common direction :math:`\beta`, so the degree-k
parts of a sum add as signed amplitudes :math:`a_k` (with :math:`B_k = a_k^2`); block
components of other spectra likewise add along the block's eigenfunction
(:class:`BoundTarget`). The part of the target in eigenspaces with :math:`\lambda_k = 0`
(odd degrees >= 3 for ReLU) cannot be learned at any width: it is reported as the
irreducible floor ``B_null``.

Modules: :mod:`.base` (the component interface and the algebra), :mod:`.components`,
:mod:`.single_index`, :mod:`.network` (the kinds), :mod:`.atoms` (targets in several
directions and on Gaussian inputs), :mod:`.parse` (the string grammar), :mod:`.bound`
(binding to a spectrum, tails), :mod:`.exact` (exact numbers).

>>> t = parse_target("degree:1 + 0.5*degree:2")
>>> t == Degree(1) + 0.5 * Degree(2) and [float(c.weight) for c in t.components]
[1.0, 0.5]
"""

from __future__ import annotations

from .base import Component, SphereParts, Target
from .bound import BoundTarget, IrreducibleFloorWarning, TargetTail
from .components import Degree, Energies, Linear, PowerLaw
from .network import Network
from .parse import parse_target
from .single_index import SingleIndex

__all__ = ["Target", "Component", "Degree", "Energies", "SingleIndex", "PowerLaw",
           "Linear", "Network", "parse_target", "BoundTarget", "TargetTail", "SphereParts",
           "IrreducibleFloorWarning"]
