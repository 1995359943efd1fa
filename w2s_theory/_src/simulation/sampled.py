r"""The practitioner's simulation: sampled inputs, mini-batch SGD, held-out risk.

What an experimenter would run to check the theory, with nothing integrated exactly:

1. **Teacher** (width ``M_T``): :math:`f_T(x) = \phi_T(x)^T\theta` (the parametrization
   :math:`\theta = a/\sqrt{m}` of ``THEORY.md`` section 1, so that one unit of time is
   the same as in the theory), from :math:`\theta = 0`, by mini-batch gradient descent
   on the square loss with a **fresh batch** of ``batch_size`` inputs at every step:
   :math:`\theta \leftarrow \theta - \frac{\eta}{m} \frac1B \Phi_B^T(\Phi_B\theta - y_B)`.
   **Stopping rule**: training proceeds in windows of doubling length (50, 100, 200, ...
   steps); the loss of each fresh batch *before* its step is an unbiased estimate of the
   population loss, so each window gives a mean loss and its standard error. Training
   stops at the end of the first window whose mean loss improves on the previous
   window's by less than ``max(2 x standard error of the difference, rtol x loss)``
   (``rtol = 1%`` by default): on a doubling time scale the loss no longer moves
   measurably. A cap of ``max_steps`` is reported as ``converged = False``.
2. **Student** trained the same way on the teacher's outputs :math:`y = f_T(x)`, for the
   requested times: each interval between consecutive times is covered by equal steps of
   at most the teacher-rule step, so the elapsed time :math:`\sum\eta` hits every
   requested time exactly. Finite width: explicit features. **Infinite width: the kernel
   directly** (functional SGD, :math:`f \leftarrow f - \frac{\eta}{B}\sum_b
   K(\cdot, x_b)(f(x_b) - y_b)`, keeping every input seen as a centre: the exact
   infinite-width limit of the same algorithm, with no finite-width bias; for Gaussian
   families the kernel is finite-rank and the same update acts on its ``D`` coordinates).
3. **Risk** of teacher and student on a held-out sample of ``test_size`` inputs drawn
   once per seed: the mean of :math:`(f - f^*)^2` and its standard error.
4. **Finite-sample variant** (``n``): the student sees only ``n`` fixed inputs labelled by
   the teacher, in shuffled mini-batches (epochs); the teacher is still trained on fresh
   batches. This is outside the theory: it shows where the theory stops.

**A practitioner's fixed schedule** (the setting's ``lr`` and ``steps``, ``init``, the
options ``teacher_step``/``teacher_steps``): the student runs SGD with exactly the step
``lr`` (in the theory's units, the loss with 1/2: ``Setting.half_loss`` has doubled a
``loss = "mse"`` rate) for the given step counts on fresh batches of
``student_batch_size``; the teacher, with ``teacher_step``, runs that step for
``teacher_steps`` steps instead of the stopping rule; both start from initial output
weights drawn from ``init`` (:func:`.exact.draw_init`; the infinite-width student of a
Gaussian family from the Gaussian process of covariance ``v K`` on its coordinates;
refused on the sphere, whose kernel student keeps input centres).

Step size: :math:`\eta = \mathrm{lr}/(\hat\lambda_{max} + \hat\tau/B)`, with
:math:`\hat\lambda_{max}` the top eigenvalue of :math:`\Phi_P^T\Phi_P/(Pm)` on a pilot
batch of ``P = 2048`` inputs (power iteration) and :math:`\hat\tau = \mathrm{mean}
\|\phi\|^2/m` (the mean-square stability condition of SGD for least squares); the same
rule for teacher and student, from their own features (or the fixed sample). The
teacher uses ``lr = 0.5`` and batches of 256: only its end point matters. The student's
*trajectory* is compared with gradient flow, and ``n`` steps of size ``eta`` contract an
eigendirection by :math:`(1-\eta\lambda)^{t/\eta} = e^{-t\lambda(1 + \eta\lambda/2 +
\dots)}`: a relative error :math:`\eta\lambda/2` in every exponent. So the student uses
``student_lr = 0.02`` (error below 1%) and smaller batches (``student_batch_size = 32``:
the SGD noise of the function grows like :math:`\eta/B`, which stays below the
teacher's).
"""

from __future__ import annotations

import math

import numpy as np

from .exact import draw_init, init_variance
from .results import SeedRun
from .runner import build_family, seed_streams

__all__ = ["SampledOptions", "sampled_seed", "train_teacher", "step_size"]

_PILOT = 2048
_CHUNK_ROWS = 1 << 20      # entries per chunk of feature evaluations


class SampledOptions(dict):
    """Options of the practitioner's simulation (a plain dict, picklable)."""

    DEFAULTS = {"batch_size": 256, "test_size": 4096, "lr": 0.5, "rtol": 0.01,
                "first_window": 50, "max_steps": 200_000, "max_centres": 1 << 17,
                "student_lr": 0.02, "student_batch_size": 32, "student_step": None,
                "teacher_step": None, "teacher_steps": None, "init": None}

    def __init__(self, **kw):
        super().__init__(self.DEFAULTS)
        self.update({k: v for k, v in kw.items() if v is not None})


# --------------------------------------------------------------------------------------
# Helpers


def _top_eigenvalue(Phi, scale, iters=30, rng=None):
    """Top eigenvalue of ``Phi^T Phi * scale`` by power iteration."""
    v = (rng or np.random.default_rng(0)).standard_normal(Phi.shape[1])
    lam = 0.0
    for _ in range(iters):
        w = Phi.T @ (Phi @ v) * scale
        nrm = float(np.linalg.norm(w))
        if nrm == 0:
            return 0.0
        lam = nrm / float(np.linalg.norm(v))
        v = w / nrm
    return lam


def step_size(Phi, m, batch, lr):
    """``lr / (lambda_max + tau / B)`` from features ``Phi`` of a pilot sample."""
    P = len(Phi)
    lam = _top_eigenvalue(Phi, 1.0 / (P * m))
    tau = float(np.mean(np.sum(Phi * Phi, axis=1))) / m
    return lr / (lam + tau / batch), lam, tau


class _Stream:
    """Fresh inputs with their feature rows and target values, generated in chunks."""

    def __init__(self, family, rng, batch, feats):
        self.family, self.rng, self.batch, self.feats = family, rng, batch, feats
        # entries per input: its coordinates and its feature values
        cols = sum(W.shape[0] + W.shape[1] for W in feats if W is not None)
        self.per_chunk = max(1, _CHUNK_ROWS // (batch * max(cols, 1)))
        self._buf, self._i = None, 0

    def next(self):
        if self._buf is None or self._i >= self.per_chunk:
            n = self.batch * self.per_chunk
            X = self.family.sample_inputs(n, self.rng)
            self._buf = (X, [None if W is None else self.family.features(X, W)
                             for W in self.feats], self.family.target_values(X))
            self._i = 0
        X, F, y = self._buf
        s = slice(self._i * self.batch, (self._i + 1) * self.batch)
        self._i += 1
        return X[s], [None if f is None else f[s] for f in F], y[s]


class _Epochs:
    """Minibatch indices into ``n`` fixed inputs: shuffled epochs, a new permutation
    whenever fewer than ``B`` indices are left in the current one."""

    def __init__(self, n, B, rng):
        self.n, self.B, self.rng = n, B, rng
        self.order, self.pos = None, 0

    def next(self):
        if self.order is None or self.pos + self.B > len(self.order):
            self.order, self.pos = self.rng.permutation(self.n), 0
        idx = self.order[self.pos:self.pos + self.B]
        self.pos += self.B
        return idx


def _mse(pred, y):
    e = (pred - y) ** 2
    return float(np.mean(e)), float(np.std(e, ddof=1) / math.sqrt(len(e)))


def _time_steps(times, eta):
    """``[(t, number of steps, step size)]`` covering each interval between times."""
    out, now = [], 0.0
    for t in times:
        dt = t - now
        k = int(math.ceil(dt / eta - 1e-12)) if dt > 0 else 0
        out.append((t, k, dt / k if k else 0.0))
        now = t
    return out


# --------------------------------------------------------------------------------------
# Teacher


def train_teacher(family, W, rng, opts, theta0=None):
    """``(theta, info)``: mini-batch SGD on fresh batches until the loss stops improving
    (or, with ``opts["teacher_step"]``, that step for ``opts["teacher_steps"]`` steps),
    from ``theta0`` (default zero)."""
    m = len(W)
    B = int(opts["batch_size"])
    theta = np.zeros(m) if theta0 is None else np.array(theta0, dtype=float)
    if opts.get("teacher_step") is not None:
        eta, n_steps = float(opts["teacher_step"]), int(opts["teacher_steps"])
        stream = _Stream(family, rng, B, [W])
        losses = np.empty(max(n_steps, 1))
        for j in range(n_steps):
            _, (F,), y = stream.next()
            r = F @ theta - y
            losses[j] = r @ r / B
            theta -= (eta / (m * B)) * (F.T @ r)
        return theta, {"steps": n_steps, "time": n_steps * eta, "step_size": eta,
                       "converged": True, "final_loss": float(losses[-1]),
                       "min_loss": float(losses[:max(n_steps, 1)].min())}
    pilot = family.features(family.sample_inputs(_PILOT, rng), W)
    eta, lam, tau = step_size(pilot, m, B, opts["lr"])
    stream = _Stream(family, rng, B, [W])
    window, steps, prev = int(opts["first_window"]), 0, None
    converged, history = False, []
    while steps < opts["max_steps"]:
        losses = np.empty(window)
        for j in range(window):
            _, (F,), y = stream.next()
            r = F @ theta - y
            losses[j] = r @ r / B
            theta -= (eta / (m * B)) * (F.T @ r)
        steps += window
        mean, se = float(losses.mean()), float(losses.std(ddof=1) / math.sqrt(window))
        history.append((steps, mean, se))
        if prev is not None:
            gain = prev[0] - mean
            if gain < max(2 * math.hypot(se, prev[1]), opts["rtol"] * mean):
                converged = True
                break
        prev = (mean, se)
        window *= 2
    return theta, {"steps": steps, "time": steps * eta, "step_size": eta,
                   "converged": converged, "final_loss": history[-1][1]}


# --------------------------------------------------------------------------------------
# Students


def _plan(times, eta, opts):
    """The student's schedule: ``_time_steps`` for times, or (``student_step``) the step
    counts ``times`` at that fixed step."""
    if opts.get("student_step") is None:
        return _time_steps(times, eta)
    h, out, now = float(opts["student_step"]), [], 0
    for k in times:
        out.append((k, int(k) - now, h))
        now = int(k)
    return out


def _finite_student(family, W_S, label, X_test, y_test, times, rng, opts, sample,
                    theta0=None):
    """Explicit features; fresh batches (``sample is None``) or a fixed sample."""
    m = len(W_S)
    B = int(opts["student_batch_size"])
    fixed = opts.get("student_step") is not None
    Fn = None
    if sample is not None:
        Xn, yn = sample
        Fn = family.features(Xn, W_S)
        B = min(B, len(Xn))
    if fixed:
        eta = float(opts["student_step"])
    else:
        pilot = family.features(family.sample_inputs(_PILOT, rng), W_S) if \
            sample is None else Fn
        eta, _, _ = step_size(pilot, m, B, opts["student_lr"])
    F_test = family.features(X_test, W_S)
    theta = np.zeros(m) if theta0 is None else np.array(theta0, dtype=float)
    stream = _Stream(family, rng, B, [W_S]) if sample is None else None
    epochs = _Epochs(len(Xn), B, rng) if sample is not None else None
    risks = []
    for t, k, h in _plan(times, eta, opts):
        for _ in range(k):
            if sample is None:
                X, (F,), _ = stream.next()
                y = label(X)
            else:
                idx = epochs.next()
                F, y = Fn[idx], yn[idx]
            r = F @ theta - y
            theta -= (h / (m * len(r))) * (F.T @ r)
        risks.append(_mse(F_test @ theta, y_test))
    return risks, {"step_size": eta}


def _kernel_student(family, label, X_test, y_test, times, rng, opts, sample,
                    init_var=0.0):
    """Infinite width through the kernel (functional SGD), see the module docstring."""
    B = int(opts["student_batch_size"])
    psi = getattr(family, "lam", None)
    if init_var > 0 and psi is None:
        from ..errors import InvalidArgument

        raise InvalidArgument("init", "the sampled infinite-width student on the sphere "
                              "keeps its inputs as kernel centres and starts from zero: "
                              "give a finite student width for a random initial top "
                              "layer, or use the exact method")
    if sample is None:
        pilot = family.sample_inputs(_PILOT, rng)
    else:
        Xn, yn = sample
        pilot = Xn[:_PILOT]
        B = min(B, len(Xn))
    Kp = family.kernel_values(pilot, pilot) / len(pilot)
    v = np.random.default_rng(0).standard_normal(len(pilot))
    for _ in range(30):                     # power iteration: top eigenvalue of K/P
        w = Kp @ v
        lam = float(np.linalg.norm(w) / np.linalg.norm(v))
        v = w / np.linalg.norm(w)
    tau = float(np.mean(np.diag(Kp))) * len(pilot)
    eta = opts["student_lr"] / (lam + tau / B)
    if opts.get("student_step") is not None:
        eta = float(opts["student_step"])
    plan = _plan(times, eta, opts)
    total_steps = sum(k for _, k, _ in plan)
    if psi is None and sample is None and total_steps * B > opts["max_centres"]:
        from ..errors import InvalidArgument

        raise InvalidArgument(
            "student_width", f"the sampled infinite-width student keeps every input it "
            f"sees as a kernel centre: {total_steps * B} at t = {times[-1]:g}, above the "
            f"limit of {opts['max_centres']}; use a finite student width, smaller times "
            f"or the exact method")
    risks = []
    if psi is not None:                    # finite-rank kernel: act on the coordinates
        v = np.zeros(family.D)
        if init_var > 0:                   # f_0 ~ GP(0, v K) on the coordinates
            v = np.sqrt(init_var * psi) * rng.standard_normal(family.D)
        epochs = _Epochs(len(Xn), B, rng) if sample is not None else None
        for t, k, h in plan:
            for _ in range(k):
                if sample is None:
                    X = family.sample_inputs(B, rng)
                    y = label(X)
                else:
                    idx = epochs.next()
                    X, y = Xn[idx], yn[idx]
                Xc = family.coordinates(X)
                r = Xc @ v - y
                v -= (h / len(r)) * psi * (Xc.T @ r)
            risks.append(_mse(family.coordinates(X_test) @ v, y_test))
        return risks, {"step_size": eta}
    if sample is not None:                  # coefficients on the n fixed inputs
        n = len(Xn)
        Knn = family.kernel_values(Xn, Xn)
        c = np.zeros(n)
        epochs = _Epochs(n, B, rng)
        for t, k, h in plan:
            for _ in range(k):
                idx = epochs.next()
                r = Knn[idx] @ c - yn[idx]
                c[idx] -= (h / len(idx)) * r
            risks.append(_mse(_kernel_apply(family, X_test, Xn, c), y_test))
        return risks, {"step_size": eta}
    n_c = total_steps * B
    centres = np.empty((n_c, pilot.shape[1]))
    coefs = np.empty(n_c)
    used = 0
    f_test = np.zeros(len(X_test))
    for t, k, h in plan:
        for _ in range(k):
            X = family.sample_inputs(B, rng)
            y = label(X)
            f = family.kernel_values(X, centres[:used]) @ coefs[:used] if used else \
                np.zeros(B)
            centres[used:used + B] = X
            coefs[used:used + B] = -(h / B) * (f - y)
            used += B
        # f on the held-out inputs: the centres added since the last time
        new = slice(used - k * B, used)
        if k:
            f_test += _kernel_apply(family, X_test, centres[new], coefs[new])
        risks.append(_mse(f_test, y_test))
    return risks, {"step_size": eta, "centres": n_c}


def _kernel_apply(family, X, C, c, rows=2048):
    out = np.empty(len(X))
    for lo in range(0, len(X), rows):
        out[lo:lo + rows] = family.kernel_values(X[lo:lo + rows], C) @ c
    return out


# --------------------------------------------------------------------------------------
# One seed


def sampled_seed(work, teacher_width, student_width, times, n, opts, seed_seq):
    """One seed of the practitioner's simulation (a picklable work item)."""
    family = build_family(*work)
    rng_T, rng_S, rng_X = seed_streams(seed_seq)
    W_T = family.sample_weights(teacher_width, rng_T)
    W_S = None if student_width is None else family.sample_weights(student_width, rng_S)
    init = opts.get("init")
    # initial top layers (theta = a / sqrt(m)); nothing is drawn for a zero init
    theta0_T = theta0_S = None
    if init is not None:
        theta0_T = draw_init(init, teacher_width, rng_T) / math.sqrt(teacher_width)
        if W_S is not None:
            theta0_S = draw_init(init, student_width, rng_S) / math.sqrt(student_width)
    X_test = family.sample_inputs(int(opts["test_size"]), rng_X)
    y_test = family.target_values(X_test)
    theta_T, tinfo = train_teacher(family, W_T, rng_X, opts, theta0_T)

    def label(X):
        return family.features(X, W_T) @ theta_T

    L_T, se_T = _mse(label(X_test), y_test)
    order = np.argsort(times, kind="stable")      # train along increasing times
    times = [float(times[i]) for i in order]
    sample = None
    if n is not None:
        Xn = family.sample_inputs(int(n), rng_X)
        sample = (Xn, label(Xn))
    if W_S is None:
        risks, sinfo = _kernel_student(family, label, X_test, y_test, times, rng_S, opts,
                                       sample, init_variance(init, None))
    else:
        risks, sinfo = _finite_student(family, W_S, label, X_test, y_test, times, rng_S,
                                       opts, sample, theta0_S)
    back = np.empty(len(order), dtype=int)
    back[order] = np.arange(len(order))            # results in the caller's order
    risks = [risks[i] for i in back]
    return SeedRun(teacher_risk=L_T, student_risk=tuple(r for r, _ in risks),
                   teacher=tinfo, student=sinfo, teacher_stderr=se_T,
                   student_stderr=tuple(s for _, s in risks))
