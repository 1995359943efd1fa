"""Private implementation of w2s_theory; the public API is re-exported by ``w2s_theory``.

Layers, each importing only those below it::

    errors, precision, series            (numerical utilities)
    sphere                               (sphere geometry)
    activations, kernels, spectra        (spectra: activations on the sphere, other families)
    targets
    theory                               (deterministic-equivalent risks)
    bounds
    symbolic                             (sympy registry, LaTeX)
    simulation
    cli, report                          (command line and reports)
"""
