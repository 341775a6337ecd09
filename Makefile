# dltheory: two commands on a fresh clone, `make run` and `make test`.
# Both bootstrap .venv from the pinned lock file first.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.dltheory-installed
CORES  ?= all
CONFIG ?= config.yaml
# the memory (MB) that running jobs may claim together on this machine (not on a cluster)
MEM_MB ?= 20000
# figures to put in the report (default: everything rule `all` builds); after a partial
# run name what was built: make report TARGETS="qmap cmap". The report refuses figures and
# answers made under another config than CONFIG unless ALLOW_MIXED=1.
TARGETS ?=
PYTEST_WORKERS ?= 2
# one file per worker, in the order tests/conftest.py gives (the tiny build first)
PYTEST_DIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

export MPLBACKEND := Agg
export PYTHONHASHSEED := 0
# A run starts a Python process per job, each importing the package: with
# PYTHONDONTWRITEBYTECODE set (some machines set it for everything) each would compile the
# package's sources again, about 0.6 s of CPU per job. Our commands write the bytecode.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-long test-fast venv lint bench profile report book clean-results help

help:
	@echo "make run       - bootstrap .venv, then build every figure and results/answers.md"
	@echo "make test      - bootstrap .venv, then run the test suite"
	@echo "make test-long - every figure under two other configs, every config key changed, references recomputed"
	@echo "make test-fast - the quick tests: no Snakemake, no Slurm, nothing slow (edit-test loop)"
	@echo "make venv      - only create/refresh .venv from requirements.lock"
	@echo "make lint      - ruff, snakemake --lint, snakefmt --check"
	@echo "make bench     - speed benchmarks (ratios against baselines timed in the same run)"
	@echo "make profile   - after a run: jobs by CPU time, rules, start-up share, critical path"
	@echo "make report    - results/report.zip and results/report.html after a run"
	@echo "make book      - results/solutions.html: every question with its answers and figures"

venv: $(STAMP)

# The lock pins every package (torch==2.13.0 without a local label, so it resolves to
# whatever wheel the machine's index offers for that release), so pip installs it as it
# is, without resolving dependencies (--no-deps); `pip check` then fails the bootstrap if
# the lock ever misses a dependency. Nothing is byte-compiled here (--no-compile): of the
# 12,000 modules installed the jobs import a few thousand, and Python writes their
# bytecode on first import (`make` unexports PYTHONDONTWRITEBYTECODE and the Snakefile
# drops it for its jobs); compiling everything took 25 s on 2 cores.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q --no-compile --no-deps -r requirements.lock
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check --disable-pip-version-check
	@touch $@

# The config files are read strictly first (dltheory.preflight): a key given twice and a
# syntax error are named with their file and line, which Snakemake's own reader does not.
run: $(STAMP)
	@$(PY) -m dltheory.preflight config $(CONFIG)
	$(VENV)/bin/snakemake --cores $(CORES) --resources mem_mb=$(MEM_MB) --configfile $(CONFIG)

# The Snakemake report of a finished run: every figure with its caption, by problem sheet,
# and the answers table; the zip and one self-contained HTML file. Without TARGETS every
# figure of rule all must exist: after a partial run the check names the missing ones and
# the TARGETS= of the figures that were built.
report: $(STAMP)
	@$(PY) -m dltheory.preflight config $(CONFIG)
	@$(PY) -m dltheory.preflight report workflow/catalogue.yaml $(TARGETS)
	$(PY) -m dltheory.provenance --configfile $(CONFIG) $(if $(ALLOW_MIXED),--allow-mixed) results
	$(VENV)/bin/snakemake $(TARGETS) --configfile $(CONFIG) --report results/report.zip
	$(VENV)/bin/snakemake $(TARGETS) --configfile $(CONFIG) --report results/report.html

# The solutions book: one self-contained HTML file (figures embedded, MathML), building
# whatever it needs first; after a partial run, `snakemake book_available` makes it from
# what exists.
book: $(STAMP)
	$(VENV)/bin/snakemake --cores $(CORES) --resources mem_mb=$(MEM_MB) book --configfile $(CONFIG)

test: $(STAMP)
	@$(PY) -m pytest $(PYTEST_DIST) -m "not long"; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as failure"; fi; \
	  exit $$rc

# The long checks: every figure under two alternative configs, every config key changed
# in turn, and the stored mpmath references recomputed (about half an hour on 2 cores).
test-long: $(STAMP)
	@$(PY) -m pytest $(PYTEST_DIST) -m long; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as failure"; fi; \
	  exit $$rc

# The edit-test loop: no Snakemake subprocess, no Slurm (tests/conftest.py marks those).
test-fast: $(STAMP)
	@$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not workflow and not slurm and not slow and not long"; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as failure"; fi; \
	  exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests workflow/scripts benchmarks
	$(VENV)/bin/snakemake --lint
	$(VENV)/bin/snakefmt --check Snakefile workflow/rules

bench: $(STAMP)
	@set -e; for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b; done

# Where a run's time went, from its benchmark files and logs (results/benchmarks/,
# results/logs/) and the DAG of CONFIG: the jobs by CPU time, the rules, the start-up
# share, the critical path and the least wall time on CORES cores (the machine's with
# CORES=all); PROFILE_ARGS="--estimate" scales the jobs not yet measured.
profile: $(STAMP)
	$(PY) benchmarks/profile.py --configfile $(CONFIG) $(if $(filter-out all,$(CORES)),--cores $(CORES)) $(PROFILE_ARGS)

# Refused while a Snakemake run holds this directory's lock (.snakemake/locks): deleting
# its inputs and outputs under it would leave a run that ends "successfully" without them.
clean-results:
	@if [ -n "$$(ls -A .snakemake/locks 2>/dev/null)" ]; then \
	  echo "make clean-results: refused, nothing deleted: a Snakemake run holds the lock" \
	    "of this directory ($$(ls .snakemake/locks | tr '\n' ' ')in .snakemake/locks)." >&2; \
	  echo "Let it finish (or stop it) first. To check whether one runs here:" \
	    "ps -ef | grep '[s]nakemake'. If none does, a killed run left the lock:" \
	    "$(VENV)/bin/snakemake --unlock, then make clean-results again." >&2; \
	  exit 1; \
	fi
	rm -rf results/figures results/data results/answers results/answers.md results/answers.parquet results/logs
