"""Independent reference formulas shared by several test modules.

They are written from the literature, not from the package, so the tests can compare
the package with them.
"""

import mpmath


def e_pk(p: int, k: int, d: int):
    """E_u[u_+^p P_k(u)] (mpmath, current precision).

    k <= p:  Gamma(d/2) p! Gamma((p-k+1)/2) / (sqrt(pi) 2^(k+1) (p-k)! Gamma((p+k+d)/2));
    k > p, k-p odd: (-1)^((k-p-1)/2) p! Gamma(d/2) Gamma((k-p)/2)
                    / (2^(p+1) pi Gamma((k+p+d)/2));
    k > p, k-p even: 0.  (Bach 2017, JMLR 18, App. D.2, for general p.)
    """
    G, dd = mpmath.gamma, mpmath.mpf(d)
    if k <= p:
        return (G(dd / 2) * mpmath.factorial(p) * G(mpmath.mpf(p - k + 1) / 2)
                / (mpmath.sqrt(mpmath.pi) * 2 ** (k + 1) * mpmath.factorial(p - k)
                   * G((p + k + dd) / 2)))
    if (k - p) % 2 == 0:
        return mpmath.mpf(0)
    return ((-1) ** ((k - p - 1) // 2) * mpmath.factorial(p) * G(dd / 2)
            * G(mpmath.mpf(k - p) / 2) / (2 ** (p + 1) * mpmath.pi * G((k + p + dd) / 2)))


def abs_moment(d: int, n: int):
    """E|u|^n (Beta integral): Gamma(d/2) Gamma((n+1)/2) / (sqrt(pi) Gamma((n+d)/2))."""
    G = mpmath.gamma
    return G(mpmath.mpf(d) / 2) * G(mpmath.mpf(n + 1) / 2) / (
        mpmath.sqrt(mpmath.pi) * G(mpmath.mpf(n + d) / 2))
