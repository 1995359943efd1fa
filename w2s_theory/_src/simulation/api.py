r"""``simulate``: the entry point of the simulators, with the theory beside every run.

>>> r = simulate(activation="relu", dim=6, target="degree:1", teacher_width=50,
...              student_width="inf", times=[0, 300], seeds=2, seed=1, workers=1)
>>> r.student_risk[0].mean                      # L_S(0) = ||f*||^2
1.0
>>> r.theory is not None and len(r.theory.student_risk) == 2
True
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from ..errors import InvalidArgument, check_int, check_real
from ..spectra import FiniteSpectrum, LinearGaussianSpectrum, PowerLawSpectrum
from ..targets import IrreducibleFloorWarning
from ..theory.curve import setting_of
from .exact import (K_MAX, draw_init, finite_student, fit_teacher, infinite_student,
                    init_variance)
from .families import default_truncation, make_family
from .linalg import check_width_fits, gram_bytes, memory_budget
from .results import SeedRun, SimulationResult, summarize
from .runner import build_family, cpu_count, picklable, run_seeds, seed_streams
from .sampled import SampledOptions, sampled_seed

__all__ = ["simulate", "exact_seed"]


def exact_seed(work, teacher_width, student_width, times, rtol, lr, init, batch,
               seed_seq):
    """One seed of the exact simulation (a picklable work item: ``work`` is the setting
    and the truncation, from which the worker builds the feature family; ``times`` are
    step counts when ``lr`` is given; ``init`` the setting's initial top layer)."""
    return _exact_with_family(build_family(*work), teacher_width, student_width, times,
                              rtol, lr, init, batch, seed_seq)


def _exact_with_family(family, teacher_width, student_width, times, rtol, lr, init, batch,
                       seed_seq):
    rng_T, rng_S, _ = seed_streams(seed_seq)
    t0 = time.perf_counter()
    W_T = family.sample_weights(teacher_width, rng_T)
    # the teacher, trained to convergence, is the projection whatever its initial top
    # layer (exact.py): nothing is drawn for it
    fit = fit_teacher(family, W_T)
    t1 = time.perf_counter()
    bounds = None
    if student_width is None:
        # drawn after everything else of the seed: a zero init changes no other draw
        risks, bounds, info = infinite_student(family, W_T, fit, times, rtol=rtol, lr=lr,
                                               init_var=init_variance(init, None),
                                               rng=rng_S, batch=batch)
        bounds = tuple(float(b) for b in bounds)
    else:
        W_S = family.sample_weights(student_width, rng_S)
        # online SGD (batch): the init enters in expectation, nothing is drawn
        a0 = None if init is None or batch is not None else \
            draw_init(init, student_width, rng_S)
        risks, info = finite_student(family, W_T, fit, W_S, times, lr=lr, a0=a0,
                                     batch=batch,
                                     init_var=init_variance(init, student_width))
    return SeedRun(teacher_risk=fit.teacher_risk,
                   student_risk=tuple(float(r) for r in risks),
                   teacher={"conditioning": fit.conditioning}, student=info, bound=bounds,
                   seconds={"teacher": t1 - t0, "student": time.perf_counter() - t1})


def _theory(setting, optimal_stopping=True):
    """The theory for the simulated setting (``None`` and a note where it has none)."""
    from ..theory import risk_curve

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IrreducibleFloorWarning)
            curve = risk_curve(setting, optimal_stopping=optimal_stopping)
    except (InvalidArgument, ArithmeticError) as exc:
        return None, str(exc)
    return curve, None


def _simulate_samples(setting, seeds, seed, truncation, progress, threads,
                      optimal_stopping):
    """Teacher and student fitted on samples (``simulation/samples.py``), with the
    finite-sample theory beside them, as a :class:`SimulationResult`."""
    from .samples import simulate_samples

    seeds = check_int("seeds", seeds, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    t0 = time.perf_counter()
    if progress:
        progress(0, seeds)
    # the loss without 1/2: the fits run at the half loss's times (Setting.half_loss);
    # the points are reported in the caller's units (penalties are unchanged)
    out = simulate_samples(setting.half_loss(), seeds=seeds, seed=seed,
                           truncation=truncation, threads=threads or 1)
    if setting.student_ridge is None:
        out["points"] = [x / setting.time_factor() for x in out["points"]]
    if progress:
        progress(seeds, seeds)
    theory, note = _theory(setting, optimal_stopping)
    LT, LS = out["teacher_risk"], out["student_risk"]
    runs = tuple(SeedRun(teacher_risk=float(a), student_risk=tuple(float(x) for x in b))
                 for a, b in zip(LT, LS))
    diag = {"workers": 1, "seconds": time.perf_counter() - t0,
            "training": out["training"], "points": [float(x) for x in out["points"]]}
    if note:
        diag["theory_note"] = note
    ts = [float(x) for x in out["points"]]
    return SimulationResult(
        method="exact", setting=setting, times=tuple(ts), teacher_risk=summarize(LT),
        student_risk=tuple(summarize(LS[:, i]) for i in range(len(ts))), theory=theory,
        theory_teacher_risk=None if theory is None else theory.teacher_risk, seeds=seeds,
        seed=seed, runs=runs, diagnostics=diag)


def _workers(requested, seeds, need_bytes, heavy):
    if requested is not None:
        w = check_int("workers", requested, minimum=1)
    else:
        w = min(cpu_count(), seeds) if heavy else 1
    w = max(1, min(w, seeds))
    while w > 1 and need_bytes > memory_budget(w):
        w -= 1
    return w


def simulate(spectrum=None, target=None, teacher_width=None, student_width=None,
             times=None, *, setting=None, method="exact", seeds=10, seed=0, n=None,
             workers=None, progress=None, truncation=None, rtol=1e-6, batch_size=None,
             test_size=None, teacher_lr=None, stop_rtol=None, max_steps=None,
             student_lr=None,
             student_batch_size=None, blas_threads=1, optimal_stopping=True,
             teacher_step=None, teacher_steps=None, **keywords):
    r"""Simulate teacher and student over ``seeds`` draws of the weights.

    Parameters
    ----------
    spectrum, target, teacher_width, student_width, times, setting, keywords
        The setting, as for :func:`~w2s_theory._src.theory.risk_curve` (a
        :class:`~w2s_theory._src.setting.Setting`, or its keys); ``student_width`` is an
        integer, or ``None``/``"inf"`` for the infinite-width student.
    method : ``"exact"`` or ``"sampled"``
        Exact in the inputs (:mod:`.exact`), or the practitioner's simulation
        (:mod:`.sampled`; ``n`` inputs for the finite-sample variant).
    seeds, seed
        Number of independent draws, and the root seed (``SeedSequence`` spawning).
    workers
        Processes (default: the cores, for jobs worth it; memory permitting).
    progress
        ``progress(done, total)`` called as seeds complete.
    truncation
        Coordinates kept for power-law spectra (default: omitted kernel trace below 1%
        of ``M_T nu``, memory and time permitting; reported).
    rtol
        Relative accuracy of the infinite-width student's degree sums (exact method).
    teacher_lr, stop_rtol, max_steps, student_lr, batch_size, student_batch_size, test_size
        The practitioner's simulation: its relative step sizes (default: from the
        kernel's top eigenvalue), stopping rule, batch sizes and held-out inputs. The
        setting's ``lr`` and ``steps`` are gradient descent of the student: exact
        (population gradient) in the exact method, SGD with that step on fresh batches
        of ``student_batch_size`` in the sampled one; the setting's ``init`` starts both
        models (:mod:`.exact`, :mod:`.sampled`).
    teacher_step, teacher_steps
        The sampled teacher's fixed schedule (the setting's loss convention, like
        ``lr``): that SGD step for that many steps on batches of ``batch_size``,
        instead of the stopping rule (the seed paper's teacher: ``lr = 0.1`` on the
        loss without 1/2, 1,000 steps, batches of 1,024).
    optimal_stopping
        Passed to the theory (:func:`risk_curve`): ``False`` skips its search for the
        optimal stopping time (the theory's ``optimal_time`` is then ``None``).
    blas_threads
        BLAS threads of an in-process run (``workers = 1``; ``None`` leaves the library's
        default). Workers always use one. Multithreaded OpenBLAS on busy cores can be
        far slower than one thread, hence the default.
    """
    setting = setting_of(setting, spectrum=spectrum, target=target,
                         teacher_width=teacher_width, times=times, **keywords,
                         **({"student_width": student_width}
                            if student_width is not None else {}))
    spectrum, bt = setting.spectrum, setting.bound_target
    M_T, M_S = setting.teacher_width, setting.student_width
    if setting.has_samples:
        # fits on sampled inputs, population risks exact (docs/finite_samples.md)
        if method != "exact":
            raise InvalidArgument("method", "a setting with sample sizes is simulated by "
                                  "the exact method (fits on sampled inputs, risks "
                                  "computed exactly)")
        return _simulate_samples(setting, seeds, seed, truncation, progress,
                                 blas_threads, optimal_stopping)
    if not setting.times and not setting.steps:
        raise InvalidArgument("times", "give at least one time")
    if setting.batch is not None:
        # the setting's online-SGD batch is the student's batch of both simulators
        if student_batch_size is not None and int(student_batch_size) != setting.batch:
            raise InvalidArgument("student_batch_size", f"the setting's batch is "
                                  f"{setting.batch}; give one of the two (or the same)")
        student_batch_size = setting.batch
    # the loss without 1/2 is the theory's loss at times 2t or rate 2 lr
    # (Setting.half_loss): the simulators run that; results are in the caller's times
    run = setting.half_loss()
    # gradient descent: the simulators take step counts, results are at lr * steps
    lr = None if run.lr is None else float(run.lr)
    points = [float(k) for k in (run.steps if lr is not None else run.times)]
    ts = [float(t) for t in setting.training_times()]
    run_ts = [float(t) for t in run.training_times()]
    seeds = check_int("seeds", seeds, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if method not in ("exact", "sampled"):
        raise InvalidArgument("method", f"must be 'exact' or 'sampled', got {method!r}")
    if n is not None:
        n = check_int("n", n, minimum=1)
        if method != "sampled":
            raise InvalidArgument("n", "a student trained on n samples needs the sampled "
                                  "method (the exact method integrates the inputs)")
    if method == "sampled" and any(math.isinf(t) for t in ts):
        raise InvalidArgument("times", "the sampled simulation needs finite times")
    rtol = float(check_real("rtol", rtol, minimum=0, strict_min=True))
    if blas_threads is not None:
        blas_threads = check_int("blas_threads", blas_threads, minimum=1)
    opts = _sampled_options(batch_size=batch_size, test_size=test_size, lr=teacher_lr,
                            rtol=stop_rtol, max_steps=max_steps, student_lr=student_lr,
                            # the exact method's online SGD takes any batch >= 1
                            student_batch_size=student_batch_size
                            if method == "sampled" else None)
    if method == "sampled":
        # the practitioner's fixed schedule: SGD at the setting's rate (theory units)
        opts["student_step"] = lr
        opts["init"] = setting.init
        if (teacher_step is None) != (teacher_steps is None):
            raise InvalidArgument("teacher_steps" if teacher_steps is None else
                                  "teacher_step", "teacher_step and teacher_steps go "
                                  "together")
        if teacher_step is not None:
            opts["teacher_step"] = setting.time_factor() * float(check_real(
                "teacher_step", teacher_step, minimum=0, strict_min=True))
            opts["teacher_steps"] = check_int("teacher_steps", teacher_steps, minimum=1)
    elif teacher_step is not None or teacher_steps is not None:
        raise InvalidArgument("teacher_step", "a fixed teacher schedule goes with the "
                              "sampled method (the exact teacher is the projection)")
    # the exact method with a student batch size: online SGD's exact expectation
    # (Gaussian features only: exact.sgd_excess)
    sgd_batch = None
    if method == "exact" and student_batch_size is not None:
        sgd_batch = check_int("student_batch_size", student_batch_size, minimum=1)
        if lr is None:
            raise InvalidArgument("student_batch_size", "online SGD in the exact method "
                                  "needs a learning rate and steps (lr, steps)")
        if not isinstance(spectrum, (LinearGaussianSpectrum, FiniteSpectrum,
                                     PowerLawSpectrum)):
            raise InvalidArgument("student_batch_size", "the exact expectation of online "
                                  "SGD needs Gaussian features (variances, eigenvalues or "
                                  "power_law): activation features are not Gaussian, "
                                  "their fourth moments do not close; use the sampled "
                                  "method")
        if any(math.isinf(k) for k in points):
            raise InvalidArgument("steps", "online SGD needs finite step counts")
    _check_memory(method, M_T, M_S, n, opts)          # before anything is allocated

    theory, theory_note = _theory(setting, optimal_stopping)
    theory_teacher = None if theory is None else theory.teacher_risk
    if isinstance(spectrum, PowerLawSpectrum):
        truncation = _truncation(spectrum, truncation, M_T, M_S,
                                 None if theory is None else float(theory.nu_teacher))
    elif truncation is not None:
        raise InvalidArgument("truncation", "goes with a power-law spectrum")
    work = (setting, truncation)
    shipped = picklable(work)
    family = build_family(*work) if shipped else make_family(spectrum, bt, truncation)
    if hasattr(family, "D") and 8 * family.D * (M_T + (M_S or 0)) > memory_budget():
        raise InvalidArgument("truncation", f"{family.D} coordinates for widths {M_T} and "
                              f"{M_S} do not fit in memory")
    widest = max(M_T, M_S or 0)
    # worth a pool: more than about a second of work
    heavy = (method == "sampled" or seeds * widest ** 3 >= 2e9
             or seeds * M_T ** 2 * 64 >= 2e9)
    w = _workers(workers, seeds, gram_bytes(widest, M_T), heavy) if shipped else 1
    t0 = time.perf_counter()
    if method == "exact":
        if shipped:
            rows = run_seeds(exact_seed, (work, M_T, M_S, tuple(points), rtol, lr,
                                          setting.init, sgd_batch),
                             seeds, seed, w, progress, blas_threads, isolate=heavy)
        else:                       # user callables: in-process, same seed streams
            rows = run_seeds(_exact_with_family, (family, M_T, M_S, tuple(points), rtol,
                                                  lr, setting.init, sgd_batch), seeds,
                                                 seed, 1,
                             progress,
                             blas_threads)
    else:
        if not shipped:
            raise InvalidArgument("activation", "the sampled method needs a registered "
                                  "activation or a picklable callable")
        rows = run_seeds(sampled_seed, (work, M_T, M_S, tuple(points if lr is not None
                                                              else run_ts), n, dict(opts)),
                         seeds, seed, w, progress, blas_threads, isolate=heavy)
    wall = time.perf_counter() - t0
    return _assemble(method, setting, family, ts, n, seeds, seed, rows, theory,
                     theory_teacher, theory_note, w, wall)


def _sampled_options(**kw):
    opts = SampledOptions(**kw)
    for key in ("batch_size", "test_size", "student_batch_size"):
        opts[key] = check_int(key, opts[key], minimum=2)
    opts["max_steps"] = check_int("max_steps", opts["max_steps"], minimum=1)
    for key, name in (("lr", "teacher_lr"), ("student_lr", "student_lr"),
                      ("rtol", "stop_rtol")):
        opts[key] = float(check_real(name, opts[key], minimum=0, strict_min=True))
    return opts


def _check_memory(method, M_T, M_S, n, opts):
    """Refuse widths (and samples) that cannot fit, naming what would."""
    check_width_fits("teacher_width", M_T)
    if M_S is not None and method == "exact":
        check_width_fits("student_width", M_S, other=M_T)
    budget = memory_budget()
    if M_S is not None and method == "sampled":
        rows = opts["test_size"] + 2048 + (n or 0)
        if 8 * M_S * rows > budget:
            raise InvalidArgument(
                "student_width", f"the sampled student's feature matrices ({rows} inputs "
                f"x {M_S}) do not fit in memory; at most {budget // (8 * rows)} fits in "
                "the memory available")
    if n is not None and M_S is None and 8 * n * n > budget:
        raise InvalidArgument("n", f"the infinite-width student on n inputs needs an n x n "
                              f"kernel matrix: at most {int(math.sqrt(budget / 8))} fits "
                              "in memory")


def _truncation(spectrum, truncation, M_T, M_S, nu):
    """Coordinates simulated for a power-law spectrum (see :func:`default_truncation`)."""
    if truncation is None:
        widest = max(M_T, M_S or 0)
        cap = max(4 * widest, min(int(2e10 / widest ** 2),
                                  memory_budget() // (8 * 4 * widest)))
        scale = 0.01 * M_T * nu if nu else 0.0
        truncation = cap if scale <= 0 else max(default_truncation(spectrum, scale, cap),
                                                2 * widest)
    return check_int("truncation", truncation, minimum=1)


def _assemble(method, setting, family, ts, n, seeds, seed, rows, theory, theory_teacher,
              theory_note, workers, wall):
    M_S = setting.student_width
    teacher = summarize([r.teacher_risk for r in rows])
    student = tuple(summarize([r.student_risk[i] for r in rows])
                    for i in range(len(ts)))
    diag = {"workers": workers, "seconds": wall, "error_bound": family.error_bound,
            "family": family.describe()}
    if theory_note:
        diag["theory_note"] = theory_note
    if method == "exact":
        cond = [r.teacher["conditioning"] for r in rows]
        diag["teacher_conditioning"] = {
            "max_condition": max(c["condition"] for c in cond),
            "discarded": max(c["discarded"] for c in cond)}
        if M_S is None:
            diag["truncation_bound"] = [max(r.bound[i] for r in rows)
                                        for i in range(len(ts))]
            diag["degrees"] = max(r.student["degrees"] for r in rows)
            diag["bound_met"] = all(r.student.get("bound_met", True) for r in rows)
            diag["degree_cap"] = K_MAX
        else:
            diag["student_ceiling_risk"] = summarize(
                [r.student["ceiling_risk"] for r in rows]).to_dict(values=False)
            diag["student_seconds"] = {
                k: float(np.mean([r.student[f"seconds_{k}"] for r in rows]))
                for k in ("gram", "eigen", "total")}
            diag["student_conditioning"] = {
                "max_condition": max(r.student["conditioning"]["condition"]
                                     for r in rows),
                "discarded": max(r.student["conditioning"]["discarded"] for r in rows)}
    else:
        diag["heldout_stderr"] = {
            "teacher": float(np.mean([r.teacher_stderr for r in rows])),
            "student": [float(np.mean([r.student_stderr[i] for r in rows]))
                        for i in range(len(ts))]}
        diag["teacher_training"] = {
            "converged": sum(bool(r.teacher["converged"]) for r in rows),
            "mean_steps": float(np.mean([r.teacher["steps"] for r in rows])),
            "mean_time": float(np.mean([r.teacher["time"] for r in rows])),
            "step_size": float(np.mean([r.teacher["step_size"] for r in rows]))}
        diag["student_step_size"] = float(np.mean([r.student["step_size"]
                                                   for r in rows]))
    return SimulationResult(
        method=method, setting=setting, times=tuple(ts), teacher_risk=teacher,
        student_risk=student, theory=theory if n is None else None,
        theory_teacher_risk=theory_teacher, seeds=seeds, seed=seed, n=n,
        runs=tuple(rows), diagnostics=diag)
