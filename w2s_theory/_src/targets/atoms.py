r"""Targets as sums of *atoms* in several directions, on the sphere or on Gaussian inputs.

Zonal targets (``degree``, ``energies``, ``single-index``) are expanded along one common
direction :math:`\beta`, where the degree-k parts of a sum add as signed amplitudes
(:mod:`.bound`). A two-layer network :math:`\sum_j a_j g(\langle v_j, x\rangle)` has
ridges in many directions, whose degree-k parts are zonal harmonics around different
axes: they do not add along one direction, and the energy per block must be computed
as a quadratic form. Here a target is a list of atoms,

* a *ridge* :math:`s\, g(\langle u, x\rangle)` (``u`` a unit vector, ``g`` a homogeneous
  piecewise-power function of degree ``q``: :math:`g(r t) = r^q g(t)`), whose degree-k
  part on the sphere is :math:`s\, c_k(g) N(d,k) P_k(\langle u, x\rangle)`;
* a *harmonic* :math:`s \sqrt{N(d,k_0)} P_{k_0}(\langle u, x\rangle)` (``degree`` and
  ``energies`` components, on Gaussian inputs the normalized eigenfunction
  :math:`r^p \sqrt{N} P_{k_0}(\langle u, \hat x\rangle)/\sqrt{m_{2p}}`);

zonal components sit at :math:`u = \beta = e_1`. With :math:`h_i(k)` the amplitude of
atom ``i`` on degree ``k`` (:math:`s_i c_k(g_i)\sqrt{N}` or :math:`s_i \delta_{k k_0}`)
and :math:`t_{ij} = \langle u_i, u_j\rangle`, the addition theorem
(:math:`E_x P_k(\langle u,x\rangle) P_k(\langle u',x\rangle) = P_k(\langle u,u'\rangle)/N`)
gives the energy of block ``k``

.. math:: B_k = \sum_{i,j} h_i(k) h_j(k)\, P_k(t_{ij}),

summed by the Gegenbauer recurrence on the vector of pair inner products.

**Gaussian inputs** (:class:`..spectra.GaussianInputSpectrum`, features homogeneous of
degree ``p``, :math:`m_s = E|x|^s`). A ridge of degree ``q`` is :math:`r^q` times its
angular function; only the component along :math:`r^p` is represented, with factor
:math:`v_q = m_{p+q}/\sqrt{m_{2p}}` on the eigenfunctions; its remainder
:math:`\rho_q(r) = r^q - (m_{p+q}/m_{2p}) r^p` is orthogonal to every feature. So
:math:`h_i(k)` carries :math:`v_{q_i}` (harmonics: 1), and the *radial floor*, summed over
all degrees, is

.. math:: F_{rad} = \sum_{i,j} s_i s_j R_{q_i q_j}\, \langle G_i, G_j\rangle_{S^{d-1}},
   \qquad R_{q q'} = E[\rho_q \rho_{q'}] = m_{q+q'} - \frac{m_{p+q} m_{p+q'}}{m_{2p}},

with :math:`\langle G_i, G_j\rangle = \kappa_{g_i g_j}(t_{ij})` the cross-kernel on the
sphere (closed arc-cosine forms, :func:`..kernels.cross_kernel`). :math:`R_{pq} = 0`:
ridges of the features' degree have no floor.

**Exact totals per parity.** The energy of the degrees of one parity is exact too:
:math:`\sum_{k \equiv \pi} B_k = \sum_{i,j} v_i v_j s_i s_j
(\kappa_{g_i g_j}(t_{ij}) + (-1)^\pi \kappa_{g_i g_j}(-t_{ij}))/2` (ridges;
ridge-harmonic pairs :math:`c_{k_0}(g) \sqrt{N} P_{k_0}(t)`, harmonic pairs
:math:`P_{k_0}(t)`). This gives the tails:

**Tails** :math:`U_q(K) = \sum_{k\ge K, \lambda_k>0} B_k \lambda_k^q`. Explicit sums over
``K <= k < K2``; beyond ``K2`` the mass of each parity is exact (total minus head): on a
parity where the features vanish (:math:`\lambda_k = 0`: odd degrees >= 3 for ReLU) it is
the null energy, otherwise it counts fully in :math:`U_0`, and in :math:`U_q` (q >= 1) as
the midpoint of :math:`[0, M \bar\lambda(K2)^q]`, half of which is the reported error.
``K2`` doubles until that error is below the precision's epsilon relative to
:math:`U_0\bar\lambda(K)^q` (or a cost cap: ``pairs x K2`` below ``2^26`` in float64,
``2^18`` and ``K2 <= 8 K`` in mpmath; the error, about :math:`(K/K2)^{d+5}` for ReLU
features and target, is reported). The total minus head is a difference: its rounding,
estimated as :math:`2\epsilon\sqrt{K2 + n_{pairs}}\,(\sum_i |s_i| v_i \|G_i\|)^2`, is
reported too (``TargetTail.rel_error``, the largest of these).

>>> from w2s_theory import SphereSpectrum, parse_target
>>> bt = parse_target("network:relu,width=1,seed=0").bind(SphereSpectrum("relu", 5))
>>> one = parse_target("single-index:relu").bind(SphereSpectrum("relu", 5))
>>> import numpy as np
>>> la, _ = bt.amplitudes(6)
>>> lb, _ = one.amplitudes(6)
>>> V, a = bt.target.components[0].raw(5)
>>> s = a[0] * np.linalg.norm(V[0])              # one neuron: |a| |v| relu(<v_hat, x>)
>>> bool(np.allclose(np.exp(2 * la), s**2 * np.exp(2 * lb), rtol=1e-13, atol=0))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import numpy as np

from ..activations import Activation, PiecewisePower, get_activation
from ..errors import InvalidArgument
from ..precision import FLOAT64, Precision
from ..spectra import GaussianInputSpectrum, SphereSpectrum
from ..spectra.gaussian import log_radial_moment
from ..spectra.sphere import ClosedFormSequence, coefficient_sequence
from ..sphere import gegenbauer, log_multiplicities

__all__ = ["Ridge", "Harmonic", "RadialLaw", "AtomModel", "homogeneous_pieces", "e1",
           "check_atom_spectrum", "uses_atoms", "gegenbauer_bound"]

#: cost caps of the explicit tail sums: pairs x degrees (float64, mpmath)
_BUDGET = {True: 1 << 26, False: 1 << 18}
_K2_CAP = 1 << 16
#: in mpmath, explicit tail sums stop at this multiple of the cut
_K2_FACTOR_MP = 8


# --------------------------------------------------------------------------------------
# Atoms


@dataclass
class Ridge:
    """Ridges ``coef[i] * g(<U[i], x>)``: ``g`` homogeneous of degree ``q``, unit rows
    ``U`` (working precision)."""

    g: Activation
    q: int
    U: np.ndarray
    coef: np.ndarray


@dataclass
class Harmonic:
    """``coef * sqrt(N(d,k)) P_k(<u, x>)``: the unit zonal harmonic (an eigenfunction of
    the kernel) of degree ``k`` around ``u``."""

    k: int
    u: np.ndarray
    coef: object


def e1(d: int, precision: Precision = FLOAT64) -> np.ndarray:
    r"""The common direction :math:`\beta = e_1` of zonal components, shape ``(1, d)``."""
    with precision.context():
        out = precision.zeros((1, d))
        out[0, 0] = precision.scalar(1)
    return out


@lru_cache(maxsize=None)
def _piece(name: str, power: int, a, b) -> Activation:
    fam = PiecewisePower((0,) * power + (a,), (0,) * power + (b,))
    return Activation(name=f"{name}[{power}]", func=fam, mp_func=fam.mp_call, family=fam,
                      breakpoints=(0.0,), description=f"degree-{power} piece of {name}")


def homogeneous_pieces(g) -> list:
    r"""``[(q, g_q)]``: a piecewise-power function as the sum of its positively
    homogeneous pieces :math:`g_q(u) = a_q u_+^q + b_q (-u)_+^q` (the function itself if
    it has one).

    >>> [(q, f.name) for q, f in homogeneous_pieces(get_activation("poly:1,1"))]
    [(0, 'poly:1,1[0]'), (1, 'poly:1,1[1]')]
    """
    g = get_activation(g)
    fam = g.family
    if fam is None:
        raise InvalidArgument("target", f"{g.name!r} has no closed-form coefficients")
    pieces = [(p, a, b) for p, (a, b) in enumerate(zip(fam.right, fam.left)) if a or b]
    if len(pieces) == 1:
        return [(pieces[0][0], g)]
    return [(p, _piece(g.name, p, a, b)) for p, a, b in pieces]


def gegenbauer_bound(k, t, d: int):
    r"""A bound on :math:`\sup_{k' \ge k} |P_{k'}(t)|`, non-increasing in ``k``.

    Laplace's first integral (``d >= 3``, :math:`\lambda = (d-2)/2`),
    :math:`P_k(\cos\theta) = E_\varphi[(\cos\theta + i \sin\theta\cos\varphi)^k]` with
    :math:`\varphi` of density :math:`\propto \sin^{d-3}\varphi` on :math:`[0, \pi]`,
    gives :math:`|P_k(t)| \le E[(1 - (1-t^2)\sin^2\varphi)^{k/2}] = E[(1 - (1-t^2)
    X)^{k/2}]`, :math:`X = \sin^2\varphi \sim \mathrm{Beta}(\frac{d-2}{2},
    \frac12)`, i.e. :math:`{}_2F_1(-\frac k2, \frac{d-2}{2}; \frac{d-1}{2}; 1-t^2)`,
    which decreases in ``k`` (the integrand does) like :math:`(k(1-t^2))^{-(d-2)/2}`.
    ``d = 2``: 1 (:math:`P_k(\cos\theta) = \cos k\theta`).

    >>> from w2s_theory._src.sphere import gegenbauer
    >>> bool(np.all(np.abs(gegenbauer(300, 0.6, 7)[40:]) <= gegenbauer_bound(40, 0.6, 7)))
    True
    """
    from scipy import special

    t = np.asarray(t, dtype=float)
    if d <= 2:
        return np.ones_like(t)
    a = np.clip(1 - t * t, 0.0, 1.0) * (1 - 1e-15)      # 2F1 at exactly 1: not needed
    out = special.hyp2f1(-k / 2, (d - 2) / 2, (d - 1) / 2, a)
    return np.where(np.isfinite(out), np.clip(out, 0.0, 1.0), 1.0)


def check_atom_spectrum(spectrum, form: str):
    """Raise unless ``spectrum`` is activation features on the sphere or Gaussian inputs."""
    if not isinstance(spectrum, (SphereSpectrum, GaussianInputSpectrum)):
        raise InvalidArgument("target", f"{form} targets need activation features (an "
                              "activation and a dimension, on the sphere or on gaussian "
                              "inputs)")


def uses_atoms(target, spectrum) -> bool:
    """Whether a target bound to ``spectrum`` needs the atom model: a component in
    several directions (a network), or a function of ``x`` (not given in the kernel's
    eigenbasis) on Gaussian inputs."""
    comps = target.components
    if any(getattr(c, "multi_direction", False) for c in comps):
        return True
    return isinstance(spectrum, GaussianInputSpectrum) and not all(
        getattr(c, "eigenbasis", False) for c in comps)


# --------------------------------------------------------------------------------------
# The input law's radial factors


class RadialLaw:
    r"""Radial moments of the inputs: all 1 on the sphere (``r = 1``); on Gaussian
    inputs :math:`m_s = E|x|^s` and the factors :math:`v_q`, :math:`R_{qq'}` of the
    module docstring (``p`` the features' degree of homogeneity)."""

    def __init__(self, spectrum):
        self.gaussian = isinstance(spectrum, GaussianInputSpectrum)
        self.d = spectrum.d
        self.p = spectrum.power if self.gaussian else None

    def moment(self, s, precision: Precision):
        """:math:`E|x|^s` (1 on the sphere)."""
        if not self.gaussian or s == 0:
            return precision.scalar(1)
        with precision.context():
            return precision.exp(log_radial_moment(self.d, s, precision))

    def represented(self, q, precision: Precision):
        """:math:`v_q = m_{p+q}/\\sqrt{m_{2p}}` (1 on the sphere and for harmonics)."""
        if not self.gaussian or q is None or q == self.p:
            if self.gaussian and q == self.p:
                with precision.context():
                    return precision.sqrt(self.moment(2 * self.p, precision))
            return precision.scalar(1)
        with precision.context():
            return precision.exp(log_radial_moment(self.d, self.p + q, precision)
                                 - log_radial_moment(self.d, 2 * self.p, precision) / 2)

    def residual(self, q, q2, precision: Precision):
        """:math:`R_{qq'} = m_{q+q'} - m_{p+q} m_{p+q'}/m_{2p}` (0 on the sphere, for
        harmonics and when either degree is ``p``)."""
        if not self.gaussian or q is None or q2 is None or self.p in (q, q2):
            return precision.scalar(0)
        with precision.context():
            m = lambda s: self.moment(s, precision)          # noqa: E731
            return m(q + q2) - m(self.p + q) * m(self.p + q2) / m(2 * self.p)

    def standardize(self, ridges, d, precision: Precision, what=""):
        r"""The ridges rescaled to unit variance, plus a constant ridge (``poly:1``,
        degree 0) that removes their mean, under this law:
        :math:`E f = \sum s\, m_q c_0(g)`, :math:`E f^2 = \sum s s' m_{q+q'}
        \kappa_{g g'}(t)`."""
        from ..kernels import cross_kernel

        p = precision
        with p.context():
            mean = p.scalar(0)
            for r in ridges:
                c0 = _coefficient(r.g, d, 0, p)             # E_u g(u)
                mean = mean + p.sum(r.coef) * self.moment(r.q, p) * c0
            second = p.scalar(0)
            for r in ridges:
                for r2 in ridges:
                    kap = cross_kernel(r.g, r2.g, d, p)
                    t = _inner(r.U, r2.U, p)
                    second = second + self.moment(r.q + r2.q, p) * p.sum(
                        (r.coef[:, None] * r2.coef[None, :]) * kap(t))
            var = second - mean * mean
            if not float(var) > 1e-12 * max(float(second), 1e-300):
                raise InvalidArgument("target", f"{what}: cannot standardize a target of "
                                      "zero variance")
            scale = 1 / p.sqrt(var)
            out = [Ridge(r.g, r.q, r.U, r.coef * scale) for r in ridges]
            out.append(Ridge(get_activation("poly:1"), 0, e1(d, p),
                             p.array([-mean * scale])))
        return out


# --------------------------------------------------------------------------------------
# Helpers


def _inner(U1, U2, p: Precision):
    """``U1 U2^T`` clipped to ``[-1, 1]`` (rows unit vectors)."""
    if p.is_float:
        return np.clip(U1 @ U2.T, -1.0, 1.0)
    with p.context():
        t = np.dot(U1, U2.T)
        one = mpmath.mpf(1)
        return np.vectorize(lambda x: max(-one, min(one, x)), otypes=[object])(t)


def _coefficient(g: Activation, d: int, k: int, p: Precision):
    """``c_k(g)`` in the working precision."""
    la, sg = coefficient_sequence(g, d).log_abs(k + 1, p)
    with p.context():
        return p.scalar(0) if sg[k] == 0 else sg[k] * p.exp(la[k])


def _segment_sums(x, starts, p: Precision):
    """Sums of ``x`` over consecutive segments beginning at ``starts``."""
    if p.is_float:
        return np.add.reduceat(x, starts) if len(x) else np.zeros(len(starts))
    ends = list(starts[1:]) + [len(x)]
    return np.array([mpmath.fsum(x[a:b]) for a, b in zip(starts, ends)], dtype=object)


@dataclass
class _Profile:
    kind: str                     # "ridge" or "harm"
    g: Activation | None
    q: int | None                 # degree of homogeneity (ridges)
    k0: int | None                # degree (harmonics)
    v: object                     # represented radial factor v_q (harmonics: 1)
    max_degree: int | None        # last degree with c_k != 0 (None: infinitely many)


@dataclass
class _Data:
    """The atoms in one precision, their pairs and the sums over them."""

    p: Precision
    profiles: list
    U: np.ndarray
    coef: np.ndarray
    prof: np.ndarray
    segs: list = field(default_factory=list)      # [(a, b)] profile pairs, a <= b
    E_rep: list = field(default_factory=list)      # exact represented energy per parity
    floor: object = None                           # radial floor, all degrees
    E_abs: float = 0.0                             # (sum |s| v ||G||)^2, for rounding
    n_pairs: int = 0
    S: object = None                               # (K, n_seg) pair sums
    rec: dict = field(default_factory=dict)         # recurrence state
    h: object = None                               # (K, n_prof) amplitudes per degree


# --------------------------------------------------------------------------------------
# The model


class AtomModel:
    """Energies per block, exact parity totals, radial floor and tails of a target made
    of atoms (see the module docstring), bound to a spectrum of activation features."""

    def __init__(self, target, spectrum):
        check_atom_spectrum(spectrum, _forms(target))
        self.target = target
        self.spectrum = spectrum
        self.law = RadialLaw(spectrum)
        self.d = spectrum.d
        self._data = {}
        self._seqs = {}
        data = self.data(FLOAT64)
        total = sum(float(x) for x in data.E_rep) + float(data.floor)
        if not total > 0:
            raise InvalidArgument("target", "the target has zero energy")

    def sequence(self, g: Activation):
        """The coefficients ``c_k(g)`` at this dimension (one object per ``g``: its
        tables are cached and grow by doubling)."""
        if g not in self._seqs:
            self._seqs[g] = coefficient_sequence(g, self.d)
        return self._seqs[g]

    # -- atoms and their pairs in one precision ------------------------------------------
    def data(self, precision: Precision) -> _Data:
        key = precision.digits
        if key not in self._data:
            self._data[key] = self._build(precision)
        return self._data[key]

    def _build(self, p: Precision) -> _Data:
        d = self.d
        profiles, keys = [], {}
        rows, coefs, prof = [], [], []
        with p.context():
            for c in self.target.components:
                w = p.scalar(c.weight)
                for atom in c.atoms(d, self.law, p):
                    if isinstance(atom, Ridge):
                        key = ("ridge", atom.g, atom.q)
                        U, s = atom.U, atom.coef * w
                    else:
                        key = ("harm", atom.k)
                        U, s = atom.u.reshape(1, d), p.array([atom.coef * w])
                    if key not in keys:
                        keys[key] = len(profiles)
                        profiles.append(self._profile(key, p))
                    rows.append(U)
                    coefs.append(s)
                    prof.extend([keys[key]] * len(s))
            U = np.concatenate(rows, axis=0)
            coef = np.concatenate(coefs)
            prof = np.asarray(prof, dtype=int)
        data = _Data(p, profiles, U, coef, prof)
        self._pairs(data)
        return data

    def _profile(self, key, p):
        if key[0] == "harm":
            return _Profile("harm", None, None, key[1], p.scalar(1), key[1])
        _, g, q = key
        seq = self.sequence(g)
        if not isinstance(seq, ClosedFormSequence):                 # pragma: no cover
            raise InvalidArgument("target", f"{g.name!r} has no closed-form coefficients")
        top = q if g.family.is_polynomial() else None
        return _Profile("ridge", g, q, None, self.law.represented(q, p), top)

    def _pairs(self, data: _Data):
        """Pairs ``i <= j`` sorted by profile pair; weights ``s_i s_j`` (doubled off the
        diagonal); exact parity totals and the radial floor."""
        from ..kernels import cross_kernel

        p = data.p
        n = len(data.coef)
        iu, ju = np.triu_indices(n)
        a, b = data.prof[iu], data.prof[ju]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        n_prof = len(data.profiles)
        seg_id = lo * n_prof + hi
        order = np.argsort(seg_id, kind="stable")
        iu, ju, seg_id = iu[order], ju[order], seg_id[order]
        uniq, starts = np.unique(seg_id, return_index=True)
        data.segs = [(int(s) // n_prof, int(s) % n_prof) for s in uniq]
        data.n_pairs = len(iu)
        with p.context():
            T = _inner(data.U, data.U, p)
            t = T[iu, ju]
            diag = iu == ju
            t = np.where(diag, p.scalar(1), t) if p.is_float else \
                np.array([p.scalar(1) if dg else x for x, dg in zip(t, diag)], dtype=object)
            two = np.where(diag, 1.0, 2.0)
            w = data.coef[iu] * data.coef[ju] * (two if p.is_float else
                                                 np.array([int(x) for x in two]))
        data.rec = {"t": t, "w": w, "starts": starts, "seg_id": seg_id}
        # exact totals per parity (represented) and the radial floor
        E = [p.scalar(0), p.scalar(0)]
        floor = p.scalar(0)
        ends = list(starts[1:]) + [len(t)]
        with p.context():
            for (ia, ib), st, en in zip(data.segs, starts, ends):
                A, B = data.profiles[ia], data.profiles[ib]
                ts, ws = t[st:en], w[st:en]
                vv = A.v * B.v
                if A.kind == "ridge" and B.kind == "ridge":
                    kap = cross_kernel(A.g, B.g, self.d, p)
                    kp, km = kap(ts), kap(-ts)
                    plus = p.sum(ws * kp)
                    minus = p.sum(ws * km)
                    E[0] = E[0] + vv * (plus + minus) / 2
                    E[1] = E[1] + vv * (plus - minus) / 2
                    R = self.law.residual(A.q, B.q, p)
                    if float(R) != 0:
                        floor = floor + R * plus
                    continue
                if A.kind == "harm" and B.kind == "harm" and A.k0 != B.k0:
                    continue
                k0 = A.k0 if A.kind == "harm" else B.k0
                ridge = B if A.kind == "harm" else A
                P = gegenbauer(k0, ts, self.d, p)[k0] if len(ts) else ts
                val = p.sum(ws * P)
                if ridge.kind == "ridge":
                    logN = log_multiplicities(self.d, np.array([k0]), p)[0]
                    val = val * _coefficient(ridge.g, self.d, k0, p) * p.exp(logN / 2)
                E[k0 % 2] = E[k0 % 2] + vv * val
            # |s| v ||G||: the scale of the rounding of head sums
            scale = 0.0
            for i in range(n):
                P_ = data.profiles[data.prof[i]]
                norm = 1.0 if P_.kind == "harm" else math.sqrt(max(float(
                    cross_kernel(P_.g, P_.g, self.d)(1.0)), 0.0))
                scale += abs(float(data.coef[i])) * abs(float(P_.v)) * norm
        data.E_rep = [x if float(x) > 0 else p.scalar(0) for x in E]
        data.floor = floor if float(floor) > 0 else p.scalar(0)
        data.E_abs = scale * scale

    # -- pair sums and energies per degree ---------------------------------------------
    def _extend(self, data: _Data, K: int):
        """The pair sums ``S[k, seg] = sum w P_k(t)`` and amplitudes ``h[k, profile]``
        for ``k < K``."""
        have = 0 if data.S is None else data.S.shape[0]
        if K <= have:
            return
        p = data.p
        rec = data.rec
        K = max(K, 2 * have, 8)
        t, w, starts = rec["t"], rec["w"], rec["starts"]
        n_seg = len(data.segs)
        seg_max = []
        for a, b in data.segs:
            ma, mb = data.profiles[a].max_degree, data.profiles[b].max_degree
            seg_max.append(None if ma is None and mb is None else
                           min(x for x in (ma, mb) if x is not None))
        with p.context():
            rows = [] if data.S is None else list(data.S)
            if "bounded" not in rec:
                # segments with a polynomial or a harmonic: their few degrees at once
                ends = list(starts[1:]) + [len(t)]
                bounded = {}
                for s, (st, en) in enumerate(zip(starts, ends)):
                    if seg_max[s] is not None:
                        P = gegenbauer(seg_max[s], t[st:en], self.d, p)
                        bounded[s] = [p.sum(w[st:en] * P[k]) for k in range(seg_max[s] + 1)]
                # the others by the recurrence, all pairs at once
                seg_index = np.repeat(np.arange(n_seg), np.diff(list(starts) + [len(t)]))
                mask = np.array([seg_max[s] is None for s in seg_index], dtype=bool)
                local = seg_index[mask]
                useg, ustarts = np.unique(local, return_index=True)
                rec.update(bounded=bounded, tu=t[mask], wu=w[mask], useg=useg,
                           ustarts=ustarts, prev=None, cur=None)
            tu, wu, useg, ustarts = rec["tu"], rec["wu"], rec["useg"], rec["ustarts"]
            zero = p.scalar(0)
            dtype = float if p.is_float else object
            k0 = len(rows)
            new = np.array([[zero] * n_seg for _ in range(K - k0)], dtype=dtype)
            for s, vals in rec["bounded"].items():
                for k in range(k0, min(K, len(vals))):
                    new[k - k0, s] = vals[k]
            if len(tu):
                new[:, useg] = (self._recurrence_float if p.is_float else
                                self._recurrence_mp)(rec, tu, wu, ustarts, k0, K, p)
            rows.extend(new)
            data.S = np.array(rows, dtype=float if p.is_float else object)
            # amplitudes h[k, profile], the new degrees only
            Kn = data.S.shape[0]
            K0 = 0 if data.h is None else data.h.shape[0]
            ks = np.arange(K0, Kn)
            logN = log_multiplicities(self.d, ks, p)
            cols = []
            for P_ in data.profiles:
                if P_.kind == "harm":
                    col = np.array([p.scalar(1) if k == P_.k0 else zero for k in ks],
                                   dtype=dtype)
                else:
                    la, sg = self.sequence(P_.g).log_abs(Kn, p)
                    mag = p.exp(la[K0:] + logN / 2)
                    col = np.array([zero if sg[k] == 0 else sg[k] * mag[k - K0] * P_.v
                                    for k in ks], dtype=dtype)
                cols.append(col)
            new = np.stack(cols, axis=1)
            data.h = new if data.h is None else np.concatenate([data.h, new], axis=0)

    def _recurrence_float(self, rec, t, w, starts, k0, K, p):
        r"""Rows ``k0 <= k < K`` of the segment sums :math:`\sum w P_k(t)` (float64):
        the recurrence :math:`(j+d-2) P_{j+1} = (2j+d-2)\, t P_j - j P_{j-1}` in place,
        in blocks of degrees whose sums are one matrix product."""
        d = self.d
        n = len(t)
        if "Wseg" not in rec:
            seg = np.repeat(np.arange(len(starts)), np.diff(list(starts) + [n]))
            Wseg = np.zeros((n, len(starts)))
            Wseg[np.arange(n), seg] = w
            rec["Wseg"] = Wseg
        Wseg = rec["Wseg"]
        out = np.empty((K - k0, len(starts)))
        block = max(1, min(K - k0, (1 << 22) // max(n, 1)))
        buf = np.empty((block, n))
        tmp = np.empty(n)
        k = k0
        while k < K:
            m = min(block, K - k)
            for i in range(m):
                j = k + i - 1                                # P_{j+1} from P_j, P_{j-1}
                if j < 0:
                    prev, cur = None, np.ones(n)
                elif j == 0:
                    prev, cur = rec["cur"], t.copy()
                else:
                    prev, cur = rec["prev"], rec["cur"]
                    np.multiply(t, cur, out=tmp)
                    tmp *= (2 * j + d - 2) / (j + d - 2)
                    prev *= j / (j + d - 2)
                    tmp -= prev                              # P_{j+1}; prev is free
                    prev, cur, tmp = cur, tmp, prev
                rec["prev"], rec["cur"] = prev, cur
                buf[i] = cur
            out[k - k0:k - k0 + m] = buf[:m] @ Wseg
            k += m
        return out

    def _recurrence_mp(self, rec, t, w, starts, k0, K, p):
        """As :meth:`_recurrence_float`, in mpmath (object arrays)."""
        d = self.d
        rows = []
        for k in range(k0, K):
            j = k - 1
            if j < 0:
                prev, cur = None, t * 0 + p.scalar(1)
            elif j == 0:
                prev, cur = rec["cur"], t.copy()
            else:
                prev, cur = rec["cur"], ((2 * j + d - 2) * t * rec["cur"]
                                         - j * rec["prev"]) / (j + d - 2)
            rec["prev"], rec["cur"] = prev, cur
            rows.append(_segment_sums(w * cur, starts, p))
        return np.array(rows, dtype=object)

    def energies(self, K: int, precision: Precision = FLOAT64):
        """``B_k`` (represented) for ``k < K``, in the working precision."""
        data = self.data(precision)
        self._extend(data, K)
        p = data.p
        with p.context():
            h = data.h[:K]
            S = data.S[:K]
            terms = [h[:, a] * h[:, b] * S[:, s] for s, (a, b) in enumerate(data.segs)]
            B = terms[0]
            for x in terms[1:]:
                B = B + x
            if p.is_float:
                return np.maximum(B, 0.0)
            zero = mpmath.mpf(0)
            return np.array([x if x > 0 else zero for x in B], dtype=object)

    def amplitudes(self, K: int, precision: Precision = FLOAT64):
        """``(log sqrt(B_k), 1 or 0)`` for ``k < K`` (as ``BoundTarget.amplitudes``)."""
        B = self.energies(K, precision)
        p = precision
        with p.context():
            sg = np.array([1.0 if float(x) > 0 or (not p.is_float and x > 0) else 0.0
                           for x in B])
            if p.is_float:
                with np.errstate(divide="ignore"):
                    return 0.5 * np.log(B), sg
            return np.array([mpmath.log(x) / 2 if x > 0 else mpmath.ninf for x in B],
                            dtype=object), sg

    def log_total_energy(self, precision: Precision = FLOAT64):
        """``log ||f*||^2``: represented energy of both parities plus the radial floor."""
        data = self.data(precision)
        p = data.p
        with p.context():
            return p.log(data.E_rep[0] + data.E_rep[1] + data.floor)

    def floor(self, precision: Precision = FLOAT64):
        """The radial floor (0 on the sphere)."""
        return self.data(precision).floor

    def diagonal_dominance(self, k: int):
        r"""``(D, R)`` per profile pair (float64): the pair sums
        :math:`S(k') = \sum_{i,j} s_i s_j P_{k'}(t_{ij})` split into the pairs in one
        direction or opposite ones, :math:`D(k') = \sum_{|t|=1} s_i s_j t^{k'}` (the
        diagonal: a single-index target's sum), and the rest, bounded for every
        :math:`k' \ge k` by :math:`R(k) = \sum_{|t|<1} |s_i s_j|\, b_k(t)`
        (:func:`gegenbauer_bound`), which decays like :math:`k^{-(d-2)/2}`. So
        :math:`B_k = \sum h h' (D + O(R))`: for large degrees a network's energies are
        the single-index energies of its ridges with weight :math:`\sum_j \alpha_j^2`,
        within :math:`R/D`."""
        data = self.data(FLOAT64)
        rec = data.rec
        t, w, starts = rec["t"], rec["w"], rec["starts"]
        one = np.abs(t) >= 1.0
        D_terms = np.where(one, w * np.where(t > 0, 1.0, (-1.0) ** k), 0.0)
        R_terms = np.where(one, 0.0, np.abs(w) * gegenbauer_bound(k, t, self.d))
        return (np.add.reduceat(D_terms, starts), np.add.reduceat(R_terms, starts))

    # -- tails -------------------------------------------------------------------------
    def _positive_parities(self, p):
        sp = self.spectrum.sphere if isinstance(self.spectrum, GaussianInputSpectrum) \
            else self.spectrum
        seq = sp.sequence
        if isinstance(seq, ClosedFormSequence):
            return {par for par, _, _ in seq.classes(p)}, None
        from .single_index import _null_parities

        return {0, 1} - _null_parities(sp, p), seq.explicit_limit(p)

    def tail(self, K: int, q_max: int, log_bar, precision: Precision = FLOAT64):
        from .bound import TargetTail

        p = precision
        data = self.data(p)
        sp = self.spectrum
        pos_par, k_num = self._positive_parities(p)
        K = int(K)
        K2 = K
        bar_f = float(np.exp(float(log_bar)))
        tol = float(p.eps)
        cap = max(K + 1, min(_K2_CAP if p.is_float else _K2_FACTOR_MP * K,
                             _BUDGET[p.is_float] // max(data.n_pairs, 1)))
        if k_num is not None:
            cap = max(K, min(cap, k_num))
        # U_0 (float, for the stopping rule): the positive parities' mass beyond K
        B_K = self.energies(K, p)
        U0_f = sum(float(data.E_rep[par]) - float(p.sum(B_K[par::2])) for par in pos_par)
        while True:
            if q_max == 0 or K2 >= cap or U0_f <= 0:
                break
            K2 = min(cap, max(2 * K2, K + 32))
            beyond = self._beyond(data, K2)
            bar2 = float(np.exp(float(sp.log_lambda_bar(K2, p))))
            mass = sum(float(beyond[par]) for par in pos_par)
            if mass * bar2 / (2 * max(bar_f, 1e-300)) <= tol * U0_f:
                break
        with p.context():
            ninf = p.scalar(-np.inf) if p.is_float else mpmath.ninf
            U, null = self._explicit(data, K, K2, q_max, p)
            beyond = self._beyond(data, K2)
            bar2 = p.exp(sp.log_lambda_bar(K2, p)) if K2 > K or q_max else p.scalar(0)
            errs = [0.0] * (q_max + 1)
            for par in (0, 1):
                m = beyond[par]
                if par in pos_par:
                    U[0] = U[0] + m
                    for q in range(1, q_max + 1):
                        half = m * bar2 ** q / 2
                        U[q] = U[q] + half
                        errs[q] = errs[q] + float(half)
                else:
                    null = null + m
            null = null + data.floor
            U0 = U[0]
            if float(U0) > 0:
                rel = _rounding(p, K2, data) / float(U0)
                for q in range(1, q_max + 1):
                    rel = max(rel, errs[q] / (float(U0) * bar_f ** q)) if bar_f > 0 else rel
                log_mass = p.log(U0)
                bar = p.exp(log_bar)
                ratios = tuple(p.scalar(1) if q == 0 else U[q] / (U0 * bar ** q)
                               for q in range(q_max + 1))
            else:
                rel, log_mass = 0.0, ninf
                ratios = tuple(p.scalar(0) for _ in range(q_max + 1))
            log_null = p.log(null) if float(null) > 0 else ninf
        return TargetTail(K, log_mass, ratios, log_null, float(rel))

    def _log_lam(self, K: int, p: Precision):
        """``log lambda_k`` of the spectrum for ``k < K`` (cached, grown by doubling)."""
        cache = self.__dict__.setdefault("_lam", {})
        have = cache.get(p.digits)
        if have is None or len(have) < K:
            n = max(K, 2 * (0 if have is None else len(have)))
            cache[p.digits] = have = self.spectrum.blocks(n, p).log_lam
        return have[:K]

    def _beyond(self, data: _Data, K2: int):
        """Exact represented energy of each parity in the degrees ``k >= K2``."""
        p = data.p
        B = self.energies(K2, p)
        with p.context():
            out = []
            noise = _rounding(p, K2, data)
            for par in (0, 1):
                head = p.sum(B[par::2]) if K2 > par else p.scalar(0)
                x = data.E_rep[par] - head
                # below the rounding of the difference: nothing is left
                out.append(x if float(x) > noise else p.scalar(0))
        return out

    def _explicit(self, data: _Data, K: int, K2: int, q_max: int, p: Precision):
        """``([U_q over K <= k < K2, lambda_k > 0], null energy there)``."""
        with p.context():
            zero = p.scalar(0)
            if K2 <= K:
                return [zero] * (q_max + 1), zero
            B = self.energies(K2, p)[K:]
            log_lam = self._log_lam(K2, p)[K:]
            pos = np.isfinite(log_lam) if p.is_float else \
                np.array([float(x) > -np.inf for x in log_lam])
            lam = np.where(pos, p.exp(np.where(pos, log_lam, p.scalar(0))), zero) \
                if p.is_float else np.array([p.exp(x) if ok else zero for x, ok in
                                             zip(log_lam, pos)], dtype=object)
            Bp = np.where(pos, B, zero) if p.is_float else np.array(
                [b if ok else zero for b, ok in zip(B, pos)], dtype=object)
            null = p.sum(B) - p.sum(Bp)
            U = []
            cur = Bp
            for q in range(q_max + 1):
                U.append(p.sum(cur))
                cur = cur * lam
        return U, null

    # -- for the simulators --------------------------------------------------------------
    def float_atoms(self):
        """The atoms in float64: ``[(profile dict, U, coef)]`` grouped by profile
        (``kind``, ``g``, ``q``, ``k``, ``v``)."""
        data = self.data(FLOAT64)
        out = []
        for i, P_ in enumerate(data.profiles):
            m = data.prof == i
            out.append(({"kind": P_.kind, "g": P_.g, "q": P_.q, "k": P_.k0,
                         "v": float(P_.v)}, np.asarray(data.U[m], dtype=float),
                        np.asarray(data.coef[m], dtype=float)))
        return out


def _rounding(p: Precision, K2: int, data: _Data) -> float:
    r"""Estimated rounding of ``total - head(K2)``: ``2 eps sqrt(pairs + K2)`` times the
    scale :math:`(\sum_i |s_i| v_i \|G_i\|)^2` of the pair sums (random accumulation;
    the worst case is ``sqrt(pairs + K2)`` times larger)."""
    return 2 * float(p.eps) * math.sqrt(K2 + data.n_pairs) * data.E_abs


def _forms(target) -> str:
    forms = sorted({c.form for c in target.components if getattr(c, "multi_direction",
                                                                   False)})
    return "/".join(forms) if forms else "these"
