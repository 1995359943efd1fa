"""Spectra of random-feature kernels: eigenvalues, multiplicities and summable tails."""

from .base import Blocks, Spectrum, TailMoments
from .gaussian import GaussianInputSpectrum
from .other import FiniteSpectrum, LinearGaussianSpectrum, PowerLawSpectrum
from .sphere import SphereSpectrum, coefficient_sequence

__all__ = ["Blocks", "Spectrum", "TailMoments", "SphereSpectrum", "LinearGaussianSpectrum",
           "FiniteSpectrum", "PowerLawSpectrum", "GaussianInputSpectrum",
           "coefficient_sequence", "make_spectrum"]


def make_spectrum(activation=None, dim=None, *, variances=None, eigenvalues=None,
                  multiplicities=None):
    """A spectrum from the usual descriptions (the entry point of the CLI)."""
    from ..errors import InvalidArgument

    given = [x is not None for x in (activation, variances, eigenvalues)]
    if sum(given) != 1:
        raise InvalidArgument("activation", "give exactly one of an activation (with dim), "
                              "variances (linear features), or eigenvalues")
    if activation is not None:
        if dim is None:
            raise InvalidArgument("dim", "the sphere dimension is required")
        return SphereSpectrum(activation, dim)
    if variances is not None:
        return LinearGaussianSpectrum(variances)
    return FiniteSpectrum(eigenvalues, multiplicities)
