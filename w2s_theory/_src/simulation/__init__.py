"""Exact and practitioner's simulations of the teacher and student (``THEORY.md`` s. 5).

* :func:`simulate` - many seeds in parallel, summarized, with the theory beside them;
* :mod:`.exact` - one draw of the weights, inputs integrated exactly;
* :mod:`.sampled` - the practitioner's simulation (sampled inputs, mini-batch SGD);
* :mod:`.families` - feature families (sphere activations, Gaussian features);
* :mod:`.linalg` - the symmetric eigensolver and the memory checks;
* :mod:`.runner` - seeds, process pool, BLAS threads.
"""

from .api import simulate
from .exact import TeacherFit, finite_student, fit_teacher, infinite_student
from .families import GaussianFamily, SphereFamily, make_family
from .linalg import SymmetricEigen
from .results import SeedRun, SimulationResult, Summary, summarize
from .runner import build_family, seed_streams, shutdown_pool
from .sampled import sampled_seed, train_teacher

__all__ = ["simulate", "SimulationResult", "SeedRun", "Summary", "summarize",
           "TeacherFit", "fit_teacher", "infinite_student", "finite_student",
           "SphereFamily", "GaussianFamily", "make_family", "SymmetricEigen", "build_family",
           "seed_streams", "shutdown_pool", "sampled_seed", "train_teacher"]
