"""dltheory: theory of deep networks at and after initialisation.

Subject modules:

* activations and mean-field theory: :mod:`dltheory.activations` (the activation
  objects), :mod:`dltheory.meanfield` (the public facade of :mod:`dltheory.quadrature`,
  :mod:`dltheory.fixed_points`, :mod:`dltheory.kernel`, :mod:`dltheory.depth`),
  :mod:`dltheory.finite_width`;
* random networks: :mod:`dltheory.networks` (with :mod:`dltheory.network_fits`),
  :mod:`dltheory.isometry`;
* deep linear dynamics: :mod:`dltheory.saxe` (with :mod:`dltheory.saxe_dynamics`,
  :mod:`dltheory.saxe_trees`, :mod:`dltheory.saxe_nets`);
* initialisation: :mod:`dltheory.initialisation`, :mod:`dltheory.resnet`,
  :mod:`dltheory.ugrnn`;
* trainability: :mod:`dltheory.trainability`, :mod:`dltheory.training`,
  :mod:`dltheory.training_data`;
* the workflow's support: :mod:`dltheory.io`, :mod:`dltheory.seeds` (the one seed
  scheme), :mod:`dltheory.validation`, :mod:`dltheory.memory`, :mod:`dltheory.pipeline`,
  :mod:`dltheory.answers`, :mod:`dltheory.style`.

Importing the package changes no global state; a workflow script sets itself up with
one explicit call, :func:`dltheory.io.job`.
"""

__version__ = "0.1.0"
