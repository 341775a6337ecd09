"""dltheory: theory of deep networks at and after initialisation.

Subject modules: :mod:`dltheory.activations`, :mod:`dltheory.meanfield`,
:mod:`dltheory.networks`, :mod:`dltheory.isometry`, :mod:`dltheory.saxe`,
:mod:`dltheory.initialisation`, :mod:`dltheory.resnet`, :mod:`dltheory.ugrnn`,
:mod:`dltheory.answers`, :mod:`dltheory.io`, :mod:`dltheory.style`.
"""

import sys as _sys

__version__ = "0.1.0"


def _log_failures_of_snakemake_script() -> None:
    """Inside a Snakemake ``script:`` job, append any uncaught traceback to its log.

    :func:`dltheory.io.job` sets up the full logging; this covers what can fail before
    it runs (importing a subject module), so that no failed job leaves an empty log.
    """
    smk = getattr(_sys.modules.get("__main__"), "snakemake", None)
    logs = getattr(smk, "log", None)
    if not logs:
        return
    path, previous = str(logs[0]), _sys.excepthook

    def hook(exc_type, exc, tb):
        import traceback

        try:
            with open(path, "a") as fh:
                fh.write("".join(traceback.format_exception(exc_type, exc, tb)))
        finally:
            previous(exc_type, exc, tb)

    _sys.excepthook = hook


_log_failures_of_snakemake_script()
