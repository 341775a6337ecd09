"""dltheory: theory of deep networks at and after initialisation.

Subject modules: :mod:`dltheory.activations`, :mod:`dltheory.meanfield`,
:mod:`dltheory.networks`, :mod:`dltheory.io`, :mod:`dltheory.style`.
"""

__version__ = "0.1.0"
