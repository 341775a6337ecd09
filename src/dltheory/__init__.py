"""dltheory: theory of deep networks at and after initialisation.

Subject modules: :mod:`dltheory.activations`, :mod:`dltheory.meanfield`,
:mod:`dltheory.networks`, :mod:`dltheory.isometry`, :mod:`dltheory.saxe`,
:mod:`dltheory.initialisation`, :mod:`dltheory.resnet`, :mod:`dltheory.ugrnn`,
:mod:`dltheory.answers`, :mod:`dltheory.io`, :mod:`dltheory.seeds`, :mod:`dltheory.style`.

Importing the package changes no global state; a workflow script sets itself up with
one explicit call, :func:`dltheory.io.job`.
"""

__version__ = "0.1.0"
