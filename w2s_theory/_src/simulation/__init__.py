"""Exact and practitioner's simulations of the teacher and student (``THEORY.md`` s. 5).

* :func:`simulate` - many seeds in parallel, summarized, with the theory beside them;
* :mod:`.exact` - one draw of the weights, inputs integrated exactly;
* :mod:`.sampled` - the practitioner's simulation (sampled inputs, mini-batch SGD);
* :mod:`.families` - feature families (sphere activations, Gaussian features);
* :mod:`.linalg` - the symmetric eigensolver and the memory checks;
* :mod:`.runner` - seeds, process pool, BLAS threads.

The names below are imported from their modules on first use (issue 15): importing the
package loads neither scipy.linalg nor the process-pool machinery.
"""

import importlib

_NAMES = {
    "simulate": "api",
    "TeacherFit": "exact", "finite_student": "exact", "fit_teacher": "exact",
    "infinite_student": "exact",
    "GaussianFamily": "families", "SphereFamily": "families", "make_family": "families",
    "SymmetricEigen": "linalg",
    "SeedRun": "results", "SimulationResult": "results", "Summary": "results",
    "summarize": "results",
    "build_family": "runner", "seed_streams": "runner", "shutdown_pool": "runner",
    "sampled_seed": "sampled", "train_teacher": "sampled",
}

__all__ = ["simulate", "SimulationResult", "SeedRun", "Summary", "summarize",
           "TeacherFit", "fit_teacher", "infinite_student", "finite_student",
           "SphereFamily", "GaussianFamily", "make_family", "SymmetricEigen", "build_family",
           "seed_streams", "shutdown_pool", "sampled_seed", "train_teacher"]


def __getattr__(name):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
