# Geometry of random networks against the mean-field recursions: the covariance of the
# back-propagated gradients of two inputs on the xi_c scale (Schoenholz et al. 2017,
# Sec. 4) and a great circle's length, curvature and Grassmannian length (Poole et al.
# 2016, Figs. 3-4). The simulations are one job per group of settings
# (settings_per_job, sigmas_per_job); each setting draws its own seeded stream, so the
# tables do not depend on the grouping. Intermediates in results/data/geometry/.


ANSWER_PARTS.append("results/answers/geometry.parquet")

GEOMETRY = config["geometry"]
#: the slices without their job sizes (they change no number, so no table's params carry
#: them)
GRADIENT_COVARIANCE_CFG = config_slice(
    "geometry.gradient_covariance",
    *(k for k in GEOMETRY["gradient_covariance"] if k != "settings_per_job"),
)
CURVATURE_CFG = config_slice(
    "geometry.curvature", *(k for k in GEOMETRY["curvature"] if k != "sigmas_per_job")
)
# the simulated settings in the order of dltheory.gradient_covariance.settings: every
# sigma_w2 at every width, then the sweep; consecutive groups of settings_per_job
GRADIENT_COVARIANCE_CHUNKS = chunk_indices(
    len(GRADIENT_COVARIANCE_CFG["sigma_w2"]) * len(GRADIENT_COVARIANCE_CFG["widths"])
    + len(GRADIENT_COVARIANCE_CFG["sweep"]["sigma_w2"]),
    GEOMETRY["gradient_covariance"]["settings_per_job"],
)
CURVATURE_CHUNKS = chunk_indices(
    len(CURVATURE_CFG["sigma_w"]), GEOMETRY["curvature"]["sigmas_per_job"]
)
GRADIENT_COVARIANCE_SIMULATIONS = expand(
    "results/data/geometry/gradient_covariance_simulation_{chunk}.parquet",
    chunk=range(len(GRADIENT_COVARIANCE_CHUNKS)),
)
CURVATURE_SIMULATIONS = expand(
    "results/data/geometry/curvature_simulation_{chunk}.parquet",
    chunk=range(len(CURVATURE_CHUNKS)),
)


rule gradient_covariance_theory:
    input:
        code=code_inputs("gradient_covariance_theory.py"),
    output:
        layers="results/data/geometry/gradient_covariance_theory.parquet",
        scales="results/data/geometry/gradient_covariance_scales.parquet",
    log:
        "results/logs/geometry/gradient_covariance_theory.log",
    benchmark:
        "results/benchmarks/geometry/gradient_covariance_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "geometry.gradient_covariance",
            "activation",
            "sigma_b2",
            "c0",
            "sigma_w2",
            "depth",
            "theory_range",
            "n_theory",
        ),
        sweep=config_slice("geometry.gradient_covariance.sweep", "sigma_w2", "depth"),
    script:
        "../scripts/gradient_covariance_theory.py"


rule gradient_covariance_simulation:
    input:
        code=code_inputs("gradient_covariance_simulation.py"),
    output:
        "results/data/geometry/gradient_covariance_simulation_{chunk}.parquet",
    log:
        "results/logs/geometry/gradient_covariance_simulation_{chunk}.log",
    benchmark:
        "results/benchmarks/geometry/gradient_covariance_simulation_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "gradient_covariance_simulation",
            2000,
            memory.gradient_covariance_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "geometry.gradient_covariance",
            "activation",
            "sigma_b2",
            "c0",
            "sigma_w2",
            "widths",
            "depth",
            "n_nets",
            "n_errors",
            "sampler",
            "sweep",
        ),
        indices=lambda wildcards: GRADIENT_COVARIANCE_CHUNKS[int(wildcards.chunk)],
        seed=config["seed"],
    script:
        "../scripts/gradient_covariance_simulation.py"


rule gradient_covariance_fit:
    input:
        simulation=GRADIENT_COVARIANCE_SIMULATIONS,
        layers=rules.gradient_covariance_theory.output.layers,
        code=code_inputs("gradient_covariance_fit.py"),
    output:
        "results/data/geometry/gradient_covariance_fit.parquet",
    log:
        "results/logs/geometry/gradient_covariance_fit.log",
    benchmark:
        "results/benchmarks/geometry/gradient_covariance_fit.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("geometry.gradient_covariance", "noise_factor", "fit_layers"),
    script:
        "../scripts/gradient_covariance_fit.py"


rule gradient_covariance:
    input:
        caption=caption_template("gradient_covariance"),
        layers=rules.gradient_covariance_theory.output.layers,
        scales=rules.gradient_covariance_theory.output.scales,
        simulation=GRADIENT_COVARIANCE_SIMULATIONS,
        fit=rules.gradient_covariance_fit.output[0],
        code=code_inputs("gradient_covariance_plot.py"),
    output:
        figure_outputs("gradient_covariance"),
    log:
        "results/logs/geometry/gradient_covariance.log",
    benchmark:
        "results/benchmarks/geometry/gradient_covariance.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "geometry.gradient_covariance",
            "activation",
            "c0",
            "noise_factor",
            "fit_layers",
        ),
    script:
        "../scripts/gradient_covariance_plot.py"


rule curvature_theory:
    input:
        code=code_inputs("curvature_theory.py"),
    output:
        "results/data/geometry/curvature_theory.parquet",
    log:
        "results/logs/geometry/curvature_theory.log",
    benchmark:
        "results/benchmarks/geometry/curvature_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "geometry.curvature", "activation", "sigma_w", "sigma_b", "depth"
        ),
    script:
        "../scripts/curvature_theory.py"


rule curvature_simulation:
    input:
        code=code_inputs("curvature_simulation.py"),
    output:
        "results/data/geometry/curvature_simulation_{chunk}.parquet",
    log:
        "results/logs/geometry/curvature_simulation_{chunk}.log",
    benchmark:
        "results/benchmarks/geometry/curvature_simulation_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("curvature_simulation", 2000, memory.curvature_simulation),
        runtime=30,
    params:
        cfg=config_slice(
            "geometry.curvature",
            "activation",
            "sigma_w",
            "sigma_b",
            "width",
            "depth",
            "n_points",
            "n_exact",
            "n_seeds",
        ),
        indices=lambda wildcards: CURVATURE_CHUNKS[int(wildcards.chunk)],
        seed=config["seed"],
    script:
        "../scripts/curvature_simulation.py"


rule curvature:
    input:
        caption=caption_template("curvature"),
        theory=rules.curvature_theory.output[0],
        simulation=CURVATURE_SIMULATIONS,
        code=code_inputs("curvature_plot.py"),
    output:
        figure_outputs("curvature"),
    log:
        "results/logs/geometry/curvature.log",
    benchmark:
        "results/benchmarks/geometry/curvature.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "geometry.curvature", "activation", "resolution_tolerance", "n_exact"
        ),
    script:
        "../scripts/curvature_plot.py"


rule answers_geometry:
    input:
        fit=rules.gradient_covariance_fit.output[0],
        curvature_theory=rules.curvature_theory.output[0],
        curvature_simulation=CURVATURE_SIMULATIONS,
        code=code_inputs("geometry_answers.py"),
    output:
        "results/answers/geometry.parquet",
    log:
        "results/logs/geometry/answers.log",
    benchmark:
        "results/benchmarks/geometry/answers.tsv"
    conda:
        CONDA_ENV
    params:
        gradient_covariance=config_slice(
            "geometry.gradient_covariance", "activation", "sigma_b2"
        ),
        curvature=config_slice(
            "geometry.curvature", "activation", "sigma_b", "resolution_tolerance"
        ),
    script:
        "../scripts/geometry_answers.py"
