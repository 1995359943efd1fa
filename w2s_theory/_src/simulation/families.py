r"""Feature families as the simulators see them: weights, population Grams, targets.

A family turns a spectrum (``spectra``) and a bound target (``targets``) into the
finite objects of ``THEORY.md`` section 5:

* weights of ``m`` random features, their population Gram ``E phi_i phi_j`` and the
  inner products ``b_i = E[f* phi_i]`` (exact: no sampled inputs);
* for the practitioner's simulation, sampled inputs, feature values, target values
  and the infinite-width kernel between inputs.

Two families cover every spectrum:

:class:`SphereFamily`
    ``phi(x; w) = sigma(<w, x>)``, ``w`` and ``x`` uniform on :math:`S^{d-1}`. The Gram is
    :math:`\kappa(W W^T)` from :func:`..kernels.kernel`; the target is zonal in
    :math:`\beta = e_1`, :math:`f^*(x) = \sum_k A_k \sqrt{N(d,k)} P_k(\langle\beta,x\rangle)
    + \sum_j v_j g_j(\langle\beta,x\rangle)` (degree/energies components, single-index
    components), so :math:`b_i = \sum_k c_k A_k \sqrt{N(d,k)} P_k(\langle w_i,\beta\rangle)
    + \sum_j v_j \kappa_{\sigma,g_j}(\langle w_i,\beta\rangle)` with the cross-kernels of
    :func:`..kernels.cross_kernel`. A target in several directions (a two-layer network,
    bound through :class:`..targets.atoms.AtomModel`) is a list of atoms, ridges
    :math:`s\, g(\langle u, x\rangle)` and harmonics (:class:`AtomTarget`):
    :math:`b_i = \sum s\, \kappa_{\sigma,g}(\langle w_i, u\rangle)` over ridges.

:class:`GaussianInputFamily`
    The same features on inputs :math:`x \sim N(0, I_d)` (``w`` on the sphere; the
    activation homogeneous of degree ``p``, :class:`..spectra.GaussianInputSpectrum`):
    :math:`\sigma(\langle w, x\rangle) = |x|^p \sigma(\langle w, \hat x\rangle)`, so the
    population Gram is :math:`E_x \sigma(\langle w,x\rangle)\sigma(\langle w',x\rangle) =
    m_{2p}\, \kappa(\langle w, w'\rangle)`, :math:`m_s = E|x|^s`, and a ridge of degree
    ``q`` has :math:`E_x \sigma(\langle w,x\rangle) g(\langle u,x\rangle) = m_{p+q}
    \kappa_{\sigma,g}(\langle w,u\rangle)`. Sampled inputs are Gaussian; the kernel
    between inputs is :math:`|x|^p |x'|^p \kappa(\langle\hat x,\hat x'\rangle)`.

:class:`GaussianFamily`
    Gaussian random features in an eigenbasis: coordinates :math:`\xi \sim N(0, I_D)`
    (orthonormal eigenfunctions), features :math:`\phi(\xi; z) = \sum_i \sqrt{\lambda_i}
    z_i \xi_i` with :math:`z \sim N(0, I_D)`, so that :math:`E_z \phi(\xi)\phi(\xi') =
    \sum_i \lambda_i \xi_i \xi'_i` and the Gram is :math:`Z \operatorname{diag}(\lambda)
    Z^T`. Linear features on Gaussian data (``THEORY.md`` section 1b) are exactly this
    with :math:`\lambda_i = \sigma_i`, :math:`\xi_i = x_i/\sqrt{\sigma_i}`, ``z = g``;
    finite spectra expand each block into its ``N_k`` coordinates (the target's block
    amplitude sits on the block's first coordinate: the law of the features is invariant
    under rotations inside a block, so any unit vector gives the same risks); power-law
    spectra are truncated at ``D`` coordinates and the omitted kernel trace
    :math:`T_1(D) = \sum_{i > D}\lambda_i` and target energy are reported.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidArgument
from ..kernels import cross_kernel, kernel
from ..spectra import (FiniteSpectrum, GaussianInputSpectrum, PowerLawSpectrum,
                       SphereSpectrum)
from ..spectra.gaussian import log_radial_moment
from ..spectra.sphere import coefficient_sequence
from ..sphere import gegenbauer, log_multiplicities, sample_sphere

__all__ = ["SphereFamily", "GaussianInputFamily", "GaussianFamily", "AtomTarget",
           "make_family", "default_truncation"]

#: Row blocks of Gram evaluations hold at most this many entries.
_BLOCK_ENTRIES = 1 << 22


def _inner(X, W):
    """``X @ W.T`` (one BLAS call; see :func:`.runner.blas_threads` on threads)."""
    return X @ W.T


def _fast(act):
    """A plain numpy version of common activations (the registry's is generic)."""
    if act.name == "relu":
        return lambda u: np.maximum(u, 0.0, out=u)
    return act


def _row_blocks(n_rows: int, n_cols: int):
    step = max(1, _BLOCK_ENTRIES // max(n_cols, 1))
    for lo in range(0, n_rows, step):
        yield lo, min(n_rows, lo + step)


class SphereFamily:
    """Random features ``sigma(<w, x>)`` on the sphere (see the module docstring)."""

    kind = "sphere"

    def __init__(self, spectrum: SphereSpectrum, bound_target):
        self.spectrum = spectrum
        self.bound_target = bound_target
        self.d = spectrum.d
        self.activation = spectrum.activation
        self.kernel = kernel(self.activation, self.d)
        self._act = _fast(self.activation)
        poly, single = {}, []
        model = getattr(bound_target, "atoms", None)
        for c in (bound_target.target.components if model is None else ()):
            parts = c.sphere_parts()            # targets.base.SphereParts
            for k, a in parts.poly:
                poly[k] = poly.get(k, 0.0) + a
            for v, g in parts.ridges:
                single.append((v, g, cross_kernel(self.activation, g, self.d)))
        self._poly = {k: v for k, v in poly.items() if v != 0.0}
        self._single = single
        #: the target as atoms (several directions, or Gaussian inputs), else None
        self.atom_target = None if model is None else AtomTarget(self, model)
        self.target_energy = float(np.exp(float(bound_target.log_total_energy())))
        self.kernel_trace = float(self.kernel(1.0))
        K = max(spectrum.min_tail_start, 8)
        lam = np.exp(2 * np.asarray(spectrum.coefficients(K)[0], dtype=float))
        self.kernel_top = float(max(lam.max(), np.exp(float(spectrum.log_lambda_bar(K)))))
        self.error_bound = {"kernel": self.kernel.error_bound,
                            "cross_kernels": sum(abs(w) * ck.error_bound
                                                 for w, _, ck in single)}
        if self.atom_target is not None:
            self.error_bound["cross_kernels"] = self.atom_target.error_bound

    def describe(self) -> dict:
        return {"family": self.kind, "activation": self.activation.name, "dim": self.d}

    # -- weights and population quantities ---------------------------------------------
    def sample_weights(self, m: int, rng: np.random.Generator) -> np.ndarray:
        return sample_sphere(m, self.d, rng)

    def gram(self, W, W2=None, out=None) -> np.ndarray:
        """``kappa(W W2^T)`` by row blocks (``W2 = W``: the symmetric Gram)."""
        W2 = W if W2 is None else W2
        if out is None:
            out = np.empty((len(W), len(W2)))
        for lo, hi in _row_blocks(len(W), len(W2)):
            u = _inner(W[lo:hi], W2)
            np.clip(u, -1.0, 1.0, out=u)
            out[lo:hi] = self.kernel(u)
        if W2 is W:
            np.fill_diagonal(out, self.kernel_trace)
        return out

    def gram_times(self, W, W2, vec) -> np.ndarray:
        """``kappa(W W2^T) @ vec`` without storing the matrix."""
        out = np.empty(len(W))
        for lo, hi in _row_blocks(len(W), len(W2)):
            u = _inner(W[lo:hi], W2)
            np.clip(u, -1.0, 1.0, out=u)
            out[lo:hi] = self.kernel(u) @ vec
        return out

    def degree_table(self, K: int) -> dict:
        """Per-degree constants for ``k < K`` (cached): ``lam`` = c_k^2, ``c_sqrtN`` =
        c_k sqrt(N_k), ``energy_weight`` = c_k^2 N_k, target amplitudes ``A`` (signed),
        and ``lam_bar`` >= lambda_k for every k >= K."""
        cache = self.__dict__.setdefault("_tables", {})
        if K not in cache:
            la, sg = self.spectrum.coefficients(K)
            la = np.asarray(la, dtype=float)
            sg = np.asarray(sg, dtype=float)
            logN = np.asarray(log_multiplicities(self.d, np.arange(K)), dtype=float)
            la_A, sg_A = self.bound_target.amplitudes(K)
            la_A = np.asarray(la_A, dtype=float)
            sg_A = np.asarray(sg_A, dtype=float)
            with np.errstate(invalid="ignore", over="ignore"):
                on = sg != 0
                cache[K] = {
                    "lam": np.where(on, np.exp(2 * la), 0.0),
                    "c_sqrtN": np.where(on, sg * np.exp(la + 0.5 * logN), 0.0),
                    "energy_weight": np.where(on, np.exp(2 * la + logN), 0.0),
                    "A": np.where(sg_A != 0, sg_A * np.exp(la_A), 0.0),
                    "lam_bar": float(np.exp(float(self.spectrum.log_lambda_bar(
                        max(K, self.spectrum.min_tail_start))))),
                }
        return cache[K]

    def start_degree(self, t_max: float, k_max: int) -> int:
        """First degree to try for times up to ``t_max`` (``t_max lambda_bar <= 1e-2``)."""
        cache = self.__dict__.setdefault("_starts", {})
        key = (t_max, k_max)
        if key not in cache:
            base = max(self.spectrum.min_tail_start, self.poly_degrees(), 4)
            K = base
            if t_max > 0:
                K = max(K, self.spectrum.start_for(math.log(1e-2 / t_max), start=base))
            cache[key] = min(K, k_max)
        return cache[key]

    def poly_degrees(self) -> int:
        if self.atom_target is not None:
            return self.atom_target.poly_degrees()
        return max(self._poly) + 1 if self._poly else 0

    def _poly_part(self, u, coef_weights: bool) -> np.ndarray:
        """``sum_k A_k sqrt(N_k) [c_k] P_k(u)`` over the finite-degree components."""
        if not self._poly:
            return np.zeros(np.shape(u))
        K = self.poly_degrees()
        P = gegenbauer(K - 1, u, self.d)
        key = "_poly_weights_c" if coef_weights else "_poly_weights"
        if key not in self.__dict__:
            logN = np.asarray(log_multiplicities(self.d, np.arange(K)), dtype=float)
            if coef_weights:
                la, sg = self.spectrum.coefficients(K)
                c = np.asarray(sg, dtype=float) * np.exp(np.asarray(la, dtype=float))
            else:
                c = np.ones(K)
            w = np.zeros(K)
            for k, amp in self._poly.items():
                w[k] = amp * math.exp(0.5 * logN[k]) * c[k]
            self.__dict__[key] = w
        return self.__dict__[key] @ P.reshape(K, -1) if np.ndim(u) else \
            float(self.__dict__[key] @ P)

    def target_inner(self, W) -> np.ndarray:
        """``b_i = E[f*(x) sigma(<w_i, x>)]``."""
        if self.atom_target is not None:
            return self.atom_target.target_inner(W)
        u = np.clip(W[:, 0], -1.0, 1.0)
        out = self._poly_part(u, coef_weights=True)
        for w, _, ck in self._single:
            out = out + w * ck(u)
        return out

    # -- the infinite-width student ----------------------------------------------------
    def degree_sums(self, W, a):
        r"""A :class:`DegreeSums` for ``q_k = a^T P_k(W W^T) a`` and
        ``r_k = sum_i a_i P_k(<w_i, beta>)`` (for atoms, :class:`AtomDegreeSums`)."""
        if self.atom_target is not None:
            return AtomDegreeSums(W, a, self.d, self.atom_target)
        return DegreeSums(W, a, self.d)

    # -- the practitioner's simulation -------------------------------------------------
    def sample_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return sample_sphere(n, self.d, rng)

    def features(self, X, W) -> np.ndarray:
        return self._act(_inner(X, W))

    def target_values(self, X) -> np.ndarray:
        if self.atom_target is not None:
            return self.atom_target.target_values(X)
        u = np.clip(X[:, 0], -1.0, 1.0)
        out = self._poly_part(u, coef_weights=False)
        for w, g, _ in self._single:
            out = out + w * g(u)
        return out

    def kernel_values(self, X1, X2) -> np.ndarray:
        u = _inner(X1, X2)
        np.clip(u, -1.0, 1.0, out=u)
        return self.kernel(u)


class DegreeSums:
    r"""``q_k = a^T P_k(W W^T) a`` and ``r_k = sum_i a_i P_k(\langle w_i, \beta\rangle)``
    for ``k < K``, extended on demand.

    Gegenbauer recurrence on ``W W^T`` (``|P_k| <= 1``: stable), in place. When the
    ``m x m`` matrices fit in one block the recurrence state is kept and :meth:`extend`
    continues it; otherwise it runs by row blocks and restarts from degree 0.
    """

    def __init__(self, W, a, d):
        self.W, self.a, self.d = W, a, d
        self.q = np.zeros(0)
        self.r = np.zeros(0)
        self._state = None
        self.single_block = len(W) * len(W) <= _BLOCK_ENTRIES

    @property
    def K(self) -> int:
        return len(self.q)

    def _grow(self, K: int):
        """``q`` (the teacher's degree energies) for ``k < K``."""
        if self.single_block:
            self._extend_single(K)
        else:
            self.q = self._blocks(K)

    def extend(self, K: int):
        """Make ``q`` and ``r`` available for ``k < K``; returns ``(q[:K], r[:K])``."""
        if K > self.K:
            self._grow(K)
            ub = np.clip(self.W[:, 0], -1.0, 1.0)
            self.r = gegenbauer(K - 1, ub, self.d) @ self.a
        return self.q[:K], self.r[:K]

    def _step(self, k, u, p_prev, p_cur, buf):
        """``P_{k+1} = ((2k+d-2) u P_k - k P_{k-1}) / (k+d-2)`` into ``buf``."""
        d = self.d
        np.multiply(u, p_cur, out=buf)
        buf *= (2 * k + d - 2) / (k + d - 2)
        p_prev *= k / (k + d - 2)
        buf -= p_prev
        return p_cur, buf, p_prev

    def _gram_u(self, lo, hi):
        u = _inner(self.W[lo:hi], self.W)
        np.clip(u, -1.0, 1.0, out=u)
        idx = np.arange(lo, hi)
        u[idx - lo, idx] = 1.0
        return u

    def _extend_single(self, K):
        a = self.a
        q = list(self.q)
        if self._state is None:
            u = self._gram_u(0, len(a))
            p_prev, p_cur = np.ones_like(u), u.copy()
            q = [a.sum() ** 2, a @ (p_cur @ a)]
            self._state = [1, u, p_prev, p_cur, np.empty_like(u)]
        k, u, p_prev, p_cur, buf = self._state
        while len(q) < K:
            p_prev, p_cur, buf = self._step(k, u, p_prev, p_cur, buf)
            k += 1
            q.append(a @ (p_cur @ a))
        self._state = [k, u, p_prev, p_cur, buf]
        self.q = np.array(q[:max(K, self.K)])

    def _blocks(self, K):
        a = self.a
        m = len(a)
        q = np.zeros(K)
        for lo, hi in _row_blocks(m, m):
            u = self._gram_u(lo, hi)
            a_blk = a[lo:hi]
            q[0] += a_blk.sum() * a.sum()
            if K == 1:
                continue
            p_prev, p_cur, buf = np.ones_like(u), u.copy(), np.empty_like(u)
            q[1] += a_blk @ (p_cur @ a)
            for k in range(1, K - 1):
                p_prev, p_cur, buf = self._step(k, u, p_prev, p_cur, buf)
                q[k + 1] += a_blk @ (p_cur @ a)
        return q


class _ScaledKernel:
    """``m * kappa(u)``: the sphere kernel of the features on Gaussian inputs."""

    def __init__(self, base, scale: float):
        self.base, self.scale = base, float(scale)
        self.error_bound = self.scale * base.error_bound

    def __call__(self, u):
        out = self.base(u)
        if isinstance(out, np.ndarray):
            out *= self.scale
            return out
        return self.scale * out


class GaussianInputFamily(SphereFamily):
    """Activation features on Gaussian inputs (see the module docstring): the sphere's
    Gram scaled by :math:`m_{2p}`, Gaussian sampled inputs."""

    kind = "gaussian-inputs"

    def __init__(self, spectrum: GaussianInputSpectrum, bound_target):
        super().__init__(spectrum, bound_target)
        self.p = spectrum.power
        self.m2p = math.exp(float(spectrum.log_scale()))
        self.sphere_kernel = self.kernel
        self.kernel = _ScaledKernel(self.sphere_kernel, self.m2p)
        self.kernel_trace = float(self.kernel(1.0))
        self.error_bound["kernel"] = self.kernel.error_bound

    def describe(self) -> dict:
        return {"family": self.kind, "activation": self.activation.name, "dim": self.d,
                "inputs": "gaussian"}

    def sample_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((n, self.d))

    def target_values(self, X) -> np.ndarray:
        if self.atom_target is not None:
            return self.atom_target.target_values(X)
        # degree/energies components: eigenfunctions r^p sqrt(N) P_k(<beta, x_hat>) / sqrt(m)
        r = np.linalg.norm(X, axis=1)
        u = np.clip(X[:, 0] / r, -1.0, 1.0)
        return r ** self.p / math.sqrt(self.m2p) * self._poly_part(u, coef_weights=False)

    def kernel_values(self, X1, X2) -> np.ndarray:
        r1 = np.linalg.norm(X1, axis=1)
        r2 = np.linalg.norm(X2, axis=1)
        u = _inner(X1 / r1[:, None], X2 / r2[:, None])
        np.clip(u, -1.0, 1.0, out=u)
        out = self.sphere_kernel(u)
        if self.p:
            out *= (r1 ** self.p)[:, None] * (r2 ** self.p)[None, :]
        return out


class AtomTarget:
    r"""A target made of atoms (:mod:`..targets.atoms`) as the simulators see it: ridges
    :math:`s\, g(\langle u, x\rangle)` and harmonics :math:`s \sqrt{N} P_k(\langle u,
    x\rangle)` (on Gaussian inputs :math:`s\, |x|^p \sqrt{N} P_k(\langle u, \hat
    x\rangle)/\sqrt{m_{2p}}`), in float64.

    * :math:`b_i = \sum_{ridges} s\, m_{p+q}\, \kappa_{\sigma,g}(\langle w_i,u\rangle) +
      \sum_{harmonics} s\, \tilde c_k \sqrt{N} P_k(\langle w_i, u\rangle)`
      (:math:`m_{p+q} = 1` on the sphere; :math:`\tilde c_k` the features' amplitude on
      the eigenfunctions, :math:`\sqrt{m_{2p}} c_k` on Gaussian inputs);
    * the infinite-width student's cross terms
      :math:`X_k = \tilde c_k \sqrt{N} \sum_{atoms} h_i(k) \sum_l a_l P_k(\langle w_l,
      u_i\rangle)` with :math:`h_i(k)` the atom's amplitude on degree ``k``
      (:meth:`cross_sums`).
    """

    def __init__(self, family: SphereFamily, model):
        self.family = family
        self.d = family.d
        self.gaussian = isinstance(family.spectrum, GaussianInputSpectrum)
        self.p = family.spectrum.power if self.gaussian else 0
        self.m2p = math.exp(float(family.spectrum.log_scale())) if self.gaussian else 1.0
        self.groups = []
        err = 0.0
        for prof, U, coef in model.float_atoms():
            if prof["kind"] == "ridge":
                ck = cross_kernel(family.activation, prof["g"], self.d)
                fac = math.exp(float(log_radial_moment(self.d, self.p + prof["q"]))) \
                    if self.gaussian else 1.0
                err += fac * float(np.sum(np.abs(coef))) * ck.error_bound
            else:
                ck, fac = None, 1.0
            self.groups.append((prof, U, coef, ck, fac))
        self.error_bound = err

    def poly_degrees(self) -> int:
        ks = [prof["k"] for prof, *_ in self.groups if prof["kind"] == "harm"]
        return max(ks) + 1 if ks else 0

    def _feature_amplitude(self, k: int) -> float:
        la, sg = self.family.spectrum.coefficients(k + 1)
        logN = float(log_multiplicities(self.d, np.array([k]))[0])
        return 0.0 if sg[k] == 0 else float(sg[k]) * math.exp(float(la[k]) + 0.5 * logN)

    def target_inner(self, W) -> np.ndarray:
        out = np.zeros(len(W))
        for prof, U, coef, ck, fac in self.groups:
            T = np.clip(_inner(W, U), -1.0, 1.0)
            if prof["kind"] == "ridge":
                out += fac * (ck(T) @ coef)
            else:
                k = prof["k"]
                out += self._feature_amplitude(k) * (gegenbauer(k, T, self.d)[k] @ coef)
        return out

    def target_values(self, X) -> np.ndarray:
        out = np.zeros(len(X))
        if self.gaussian:
            r = np.linalg.norm(X, axis=1)
            Xh = X / r[:, None]
        for prof, U, coef, _, _ in self.groups:
            if prof["kind"] == "ridge":
                out += prof["g"](_inner(X, U)) @ coef
                continue
            k = prof["k"]
            T = np.clip(_inner(Xh if self.gaussian else X, U), -1.0, 1.0)
            logN = float(log_multiplicities(self.d, np.array([k]))[0])
            val = math.exp(0.5 * logN) * (gegenbauer(k, T, self.d)[k] @ coef)
            out += val * (r ** self.p / math.sqrt(self.m2p) if self.gaussian else 1.0)
        return out

    def amplitudes(self, K: int) -> np.ndarray:
        r"""``(K, groups)``: each group's amplitude per unit coefficient on degree ``k``
        (:math:`v_q c_k(g) \sqrt{N}` for ridges, :math:`\delta_{k k_0}` for harmonics)."""
        logN = np.asarray(log_multiplicities(self.d, np.arange(K)), dtype=float)
        cols = []
        for prof, *_ in self.groups:
            if prof["kind"] == "harm":
                cols.append((np.arange(K) == prof["k"]).astype(float))
                continue
            la, sg = coefficient_sequence(prof["g"], self.d).log_abs(K)
            la = np.asarray(la, dtype=float)
            sg = np.asarray(sg, dtype=float)
            with np.errstate(invalid="ignore", over="ignore"):
                cols.append(np.where(sg != 0, sg * np.exp(la + 0.5 * logN), 0.0)
                            * prof["v"])
        return np.stack(cols, axis=1)

    def cross_sums(self, W, a, K: int) -> np.ndarray:
        r"""``sum_i h_i(k) sum_l a_l P_k(<w_l, u_i>)`` for ``k < K`` (Gegenbauer
        recurrence on ``W U^T``, one group at a time)."""
        h = self.amplitudes(K)
        out = np.zeros(K)
        d = self.d
        for g, (prof, U, coef, _, _) in enumerate(self.groups):
            T = np.clip(_inner(W, U), -1.0, 1.0)
            if prof["kind"] == "harm":
                k = prof["k"]
                if k < K:
                    out[k] += h[k, g] * (a @ gegenbauer(k, T, d)[k] @ coef)
                continue
            prev, cur = np.ones_like(T), T.copy()
            out[0] += h[0, g] * (a.sum() * coef.sum())
            if K > 1:
                out[1] += h[1, g] * (a @ cur @ coef)
            for k in range(1, K - 1):
                prev, cur = cur, ((2 * k + d - 2) * T * cur - k * prev) / (k + d - 2)
                if h[k + 1, g] != 0:
                    out[k + 1] += h[k + 1, g] * (a @ cur @ coef)
        return out


class AtomDegreeSums(DegreeSums):
    r""":class:`DegreeSums` for a target of atoms: ``q_k`` as before, and ``r_k`` such
    that the simulator's :math:`X_k = \tilde c_k\sqrt{N}\, A_k r_k` with
    :math:`A_k = \sqrt{B_k}` (the bound target's amplitude): :math:`r_k =`
    :meth:`AtomTarget.cross_sums` / :math:`\sqrt{B_k}` (0 where :math:`B_k = 0`, where
    the target's degree-k part vanishes)."""

    def __init__(self, W, a, d, atoms: AtomTarget):
        super().__init__(W, a, d)
        self.atoms = atoms

    def extend(self, K: int):
        if K > self.K:
            self._grow(K)
            la, _ = self.atoms.family.bound_target.amplitudes(K)
            sqrtB = np.exp(np.asarray(la, dtype=float))
            x = self.atoms.cross_sums(self.W, self.a, K)
            with np.errstate(invalid="ignore", divide="ignore"):
                self.r = np.where(sqrtB > 0, x / np.where(sqrtB > 0, sqrtB, 1.0), 0.0)
        return self.q[:K], self.r[:K]


class GaussianFamily:
    """Gaussian random features in an eigenbasis (see the module docstring)."""

    kind = "gaussian"

    def __init__(self, lam, alpha, block, *, spectrum=None, omitted_trace=0.0,
                 omitted_target_energy=0.0):
        self.lam = np.asarray(lam, dtype=float)
        self.alpha = np.asarray(alpha, dtype=float)
        self.block = np.asarray(block, dtype=int)
        self.D = len(self.lam)
        self.spectrum = spectrum
        self._sqrt_lam = np.sqrt(self.lam)
        self._b_dir = self._sqrt_lam * self.alpha
        self.omitted_trace = float(omitted_trace)
        self.omitted_target_energy = float(omitted_target_energy)
        self.target_energy = float(self.alpha @ self.alpha) + self.omitted_target_energy
        self.kernel_trace = float(self.lam.sum())
        self.kernel_top = float(self.lam.max())
        self.error_bound = {"kernel": 0.0, "cross_kernels": 0.0}

    def describe(self) -> dict:
        out = {"family": self.kind, "dimension": self.D}
        if self.omitted_trace or self.omitted_target_energy:
            out.update({"omitted_kernel_trace": self.omitted_trace,
                        "omitted_target_energy": self.omitted_target_energy})
        return out

    def sample_weights(self, m: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((m, self.D))

    def gram(self, W, W2=None, out=None) -> np.ndarray:
        W2 = W if W2 is None else W2
        if out is None:
            out = np.empty((len(W), len(W2)))
        scaled = W2 * self.lam
        for lo, hi in _row_blocks(len(W), len(W2)):
            out[lo:hi] = W[lo:hi] @ scaled.T
        return out

    def gram_times(self, W, W2, vec) -> np.ndarray:
        return W @ (self.lam * (W2.T @ vec))

    def target_inner(self, W) -> np.ndarray:
        return W @ self._b_dir

    def coordinate_sums(self, W, a):
        """``(Z^T a)_i`` for the per-coordinate energies of the infinite student."""
        return W.T @ a

    # Inputs are the coordinates xi (n x D); when the target has energy beyond the D
    # simulated coordinates, one more column carries it: an independent N(0, 1)
    # coordinate along the omitted part, which no feature sees.
    def sample_inputs(self, n: int, rng: np.random.Generator) -> np.ndarray:
        extra = 1 if self.omitted_target_energy > 0 else 0
        return rng.standard_normal((n, self.D + extra))

    def coordinates(self, X) -> np.ndarray:
        """The ``D`` simulated coordinates of sampled inputs."""
        return X[:, :self.D]

    def features(self, X, W) -> np.ndarray:
        return self.coordinates(X) @ (W * self._sqrt_lam).T

    def target_values(self, X) -> np.ndarray:
        out = self.coordinates(X) @ self.alpha
        if X.shape[1] > self.D:
            out = out + math.sqrt(self.omitted_target_energy) * X[:, self.D]
        return out

    def kernel_values(self, X1, X2) -> np.ndarray:
        return (self.coordinates(X1) * self.lam) @ self.coordinates(X2).T


# --------------------------------------------------------------------------------------
# Construction


def default_truncation(spectrum: PowerLawSpectrum, scale_needed: float, cap: int) -> int:
    r"""Smallest ``D`` with omitted trace :math:`T_1(D) \le` ``scale_needed`` (at most
    ``cap``).

    The omitted coordinates add :math:`\approx T_1(D)\, I` to a Gram of ``m`` features,
    an implicit ridge :math:`T_1(D)/m` on ``G/m``: negligible when it is far below the
    teacher's effective regularization :math:`\nu` (the caller passes
    ``scale_needed = 0.01 m nu``).
    """
    lo, hi = 1, 2
    while _log_trace(spectrum, hi) > math.log(scale_needed) and hi < cap:
        lo, hi = hi, 2 * hi
    hi = min(hi, cap)
    if _log_trace(spectrum, hi) > math.log(scale_needed):
        return cap
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _log_trace(spectrum, mid) <= math.log(scale_needed):
            hi = mid
        else:
            lo = mid
    return hi


def _log_trace(spectrum, D):
    return float(spectrum.tail_moments(D, 1).log_mass)


def make_family(spectrum, bound_target, truncation: int | None = None):
    """The family of a spectrum; ``truncation`` is ``D`` for infinite non-sphere spectra."""
    if isinstance(spectrum, SphereSpectrum):
        return SphereFamily(spectrum, bound_target)
    if isinstance(spectrum, GaussianInputSpectrum):
        return GaussianInputFamily(spectrum, bound_target)
    if isinstance(spectrum, FiniteSpectrum):
        n = spectrum.n_blocks
        lam_b = np.array([float(v) for v in spectrum.eigenvalues])
        mult = np.array(spectrum.multiplicities, dtype=int)
        la, sg = bound_target.amplitudes(n)
        amp = np.asarray(sg, dtype=float) * np.exp(np.asarray(la, dtype=float))
        amp = np.where(np.asarray(sg) == 0, 0.0, amp)
        block = np.repeat(np.arange(n), mult)
        lam = lam_b[block]
        first = np.concatenate([[0], np.cumsum(mult)[:-1]])
        alpha = np.zeros(len(lam))
        alpha[first] = amp
        return GaussianFamily(lam, alpha, block, spectrum=spectrum)
    if isinstance(spectrum, PowerLawSpectrum):
        if truncation is None:
            raise InvalidArgument("truncation", "a power-law spectrum needs a truncation "
                                  "dimension for simulation")
        D = int(truncation)
        b = spectrum.blocks(D)
        lam = np.exp(np.asarray(b.log_lam, dtype=float))
        la, sg = bound_target.amplitudes(D)
        amp = np.asarray(sg, dtype=float) * np.exp(np.asarray(la, dtype=float))
        amp = np.where(np.asarray(sg) == 0, 0.0, amp)
        total = float(np.exp(float(bound_target.log_total_energy())))
        omitted_target = max(total - float(amp @ amp), 0.0)
        omitted_trace = float(np.exp(_log_trace(spectrum, D)))
        return GaussianFamily(lam, amp, np.arange(D), spectrum=spectrum,
                              omitted_trace=omitted_trace,
                              omitted_target_energy=omitted_target)
    raise InvalidArgument("spectrum", f"cannot simulate a {type(spectrum).__name__}")
