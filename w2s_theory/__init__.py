"""w2s_theory: a theory calculator for weak-to-strong generalization in random-feature
networks.

The implementation lives in the private package ``w2s_theory._src``; this module assembles
the public API from re-exports.
"""

__version__ = "0.1.0"

from ._src.errors import InvalidArgument  # noqa: E402
from ._src.precision import Precision  # noqa: E402
from ._src.sphere import (  # noqa: E402
    gegenbauer,
    log_multiplicities,
    multiplicities,
    multiplicity,
    u_density,
)

__all__ = [
    "__version__",
    "InvalidArgument",
    "Precision",
    "gegenbauer",
    "log_multiplicities",
    "multiplicities",
    "multiplicity",
    "u_density",
]
