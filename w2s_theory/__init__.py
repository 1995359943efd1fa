"""w2s_theory: a theory calculator for weak-to-strong generalization in random-feature
networks.

The implementation lives in the private package ``w2s_theory._src``; this module assembles
the public API from re-exports.

>>> import w2s_theory as w2s
>>> curve = w2s.risk_curve(activation="relu", dim=6, target="degree:1",
...                        teacher_width=100, times=[1000])
>>> bool(curve.student_risk[0] < curve.teacher_risk)      # weak-to-strong gain
True
"""

__version__ = "0.1.0"

from ._src.activations import (  # noqa: E402
    Activation,
    PiecewisePower,
    activation_names,
    get_activation,
    register_activation,
    relu_power_coefficient_expr,
)
from ._src.bounds import (  # noqa: E402
    StudentBound,
    alpha_from_time,
    gain_upper_bound,
    lower_bound_expr,
    optimal_operator,
    pgr_upper_bound,
    student_bound,
    student_lower_bound,
)
from ._src.bounds_series import lower_bound_series  # noqa: E402
from ._src.errors import InvalidArgument  # noqa: E402
from ._src.funk_hecke import funk_hecke_coefficients, funk_hecke_projection  # noqa: E402
from ._src.kernels import Kernel, cross_kernel, kernel, kernel_expr  # noqa: E402
from ._src.precision import Precision  # noqa: E402
from ._src.setting import Setting  # noqa: E402
from ._src.spectra import (  # noqa: E402
    FiniteSpectrum,
    GaussianInputSpectrum,
    LinearGaussianSpectrum,
    PowerLawSpectrum,
    Spectrum,
    SphereSpectrum,
    make_spectrum,
)
from ._src.sphere import (  # noqa: E402
    gegenbauer,
    log_multiplicities,
    multiplicities,
    multiplicity,
    sample_sphere,
    u_density,
)
from ._src.simulation.results import SeedRun, SimulationResult, Summary  # noqa: E402
from ._src.targets import (  # noqa: E402
    Degree,
    Energies,
    IrreducibleFloorWarning,
    Linear,
    Network,
    PowerLaw,
    SingleIndex,
    Target,
    parse_target,
)
from ._src.theory.exponent import ExponentPath, exponent_path  # noqa: E402
from ._src.theory.sample_curve import sample_curve  # noqa: E402
from ._src.theory import (  # noqa: E402
    GainGrid,
    RiskCurve,
    WidthAnswer,
    gain_grid,
    risk_curve,
    width_for_gain,
)


def __getattr__(name):
    """Names whose modules are heavy load on first use (issue 15): ``simulate`` brings
    scipy.linalg and the process pool; sympy loads only when an expression is built
    (``lower_bound_expr()``, ``kernel_expr()``, ...)."""
    if name == "simulate":
        from ._src.simulation.api import simulate

        globals()["simulate"] = simulate
        return simulate
    if name in ("open_sweep", "run_sweep"):           # sweeps: xarray, zarr, dask
        from ._src import sweep

        globals()[name] = getattr(sweep, name)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "__version__",
    "Activation", "PiecewisePower", "activation_names", "get_activation",
    "register_activation", "relu_power_coefficient_expr",
    "StudentBound", "alpha_from_time", "gain_upper_bound", "lower_bound_expr",
    "lower_bound_series", "optimal_operator", "pgr_upper_bound", "student_bound",
    "student_lower_bound",
    "InvalidArgument", "Precision", "Setting", "Kernel", "cross_kernel", "kernel",
    "kernel_expr",
    "funk_hecke_coefficients", "funk_hecke_projection",
    "FiniteSpectrum", "GaussianInputSpectrum", "LinearGaussianSpectrum",
    "PowerLawSpectrum", "Spectrum",
    "SphereSpectrum", "make_spectrum",
    "gegenbauer", "log_multiplicities", "multiplicities", "multiplicity", "sample_sphere",
    "u_density",
    "IrreducibleFloorWarning", "Target", "parse_target", "Degree", "Energies",
    "SingleIndex", "PowerLaw", "Linear", "Network",
    "RiskCurve", "risk_curve", "WidthAnswer", "width_for_gain", "GainGrid", "gain_grid",
    "ExponentPath", "exponent_path", "sample_curve",
    "SeedRun", "SimulationResult", "Summary", "simulate",
    "open_sweep", "run_sweep",
]
