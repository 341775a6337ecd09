# Depth scales (Schoenholz et al. 2017): xi_q, xi_c and xi_grad in theory and fitted
# from simulations, and the C-map with dropout. Intermediates in results/data/schoenholz/.


#: the keys of networks.depth_scales each script reads: the simulation (and the merge of its
#: chunks) no theory-only key, the theory no simulation-only key, so that changing one reruns
#: only the jobs that use it; sigmas_per_job changes no number and is in no table's params
DEPTH_SCALES_SIMULATION_KEYS = [
    "activation",
    "sigma_b2",
    "sigma_w2",
    "q0_factor",
    "c0_ordered",
    "c0_chaotic",
    "n_inputs",
    "width",
    "depth",
    "n_seeds",
]
DEPTH_SCALES_THEORY_KEYS = ["activation", "sigma_b2", "theory_range", "n_theory"]
#: the sigma_w^2 indices of each simulation job
DEPTH_SCALES_CHUNKS = chunk_indices(
    len(config["networks"]["depth_scales"]["sigma_w2"]),
    config["networks"]["depth_scales"]["sigmas_per_job"],
)
#: the keys of networks.dropout the simulation and the theory read
DROPOUT_SIMULATION_KEYS = [
    "activation",
    "sigma_w",
    "sigma_b",
    "rho",
    "c0",
    "width",
    "depth",
    "n_seeds",
]
DROPOUT_THEORY_KEYS = [
    "activation",
    "sigma_w",
    "sigma_b",
    "rho",
    "c0",
    "depth",
    "theory_range",
    "n_theory",
]


rule gradient_depth_scale:
    input:
        caption=caption_template("gradient_depth_scale"),
        theory=rules.networks_gradient_theory.output[0],
        norms=rules.networks_gradient_simulation.output.norms,
        code=code_inputs("networks_plot_gradient_depth_scale.py"),
    output:
        figure_outputs("gradient_depth_scale"),
    log:
        "results/logs/schoenholz/gradient_depth_scale.log",
    benchmark:
        "results/benchmarks/schoenholz/gradient_depth_scale.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_gradient_depth_scale.py"


rule networks_depth_scales_simulation:
    input:
        code=code_inputs("networks_depth_scales_simulation.py"),
    output:
        lengths="results/data/schoenholz/depth_scales_chunks/lengths_{chunk}.parquet",
        correlations="results/data/schoenholz/depth_scales_chunks/correlations_{chunk}.parquet",
    log:
        "results/logs/schoenholz/networks_depth_scales_simulation_{chunk}.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_depth_scales_simulation_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_depth_scales_simulation",
            2000,
            memory.networks_depth_scales_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice("networks.depth_scales", *DEPTH_SCALES_SIMULATION_KEYS),
        sigma_indices=lambda wildcards: DEPTH_SCALES_CHUNKS[int(wildcards.chunk)],
        seed=config["seed"],
    script:
        "../scripts/networks_depth_scales_simulation.py"


rule networks_depth_scales_merge:
    input:
        lengths=expand(
            rules.networks_depth_scales_simulation.output.lengths,
            chunk=range(len(DEPTH_SCALES_CHUNKS)),
        ),
        correlations=expand(
            rules.networks_depth_scales_simulation.output.correlations,
            chunk=range(len(DEPTH_SCALES_CHUNKS)),
        ),
        code=code_inputs("networks_depth_scales_merge.py"),
    output:
        lengths="results/data/schoenholz/networks_depth_scales_lengths.parquet",
        correlations="results/data/schoenholz/networks_depth_scales_correlations.parquet",
    log:
        "results/logs/schoenholz/networks_depth_scales_merge.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_depth_scales_merge.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.depth_scales", *DEPTH_SCALES_SIMULATION_KEYS),
        seed=config["seed"],
    script:
        "../scripts/networks_depth_scales_merge.py"


rule networks_depth_scales_theory:
    input:
        code=code_inputs("networks_depth_scales_theory.py"),
    output:
        "results/data/schoenholz/networks_depth_scales_theory.parquet",
    log:
        "results/logs/schoenholz/networks_depth_scales_theory.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_depth_scales_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.depth_scales", *DEPTH_SCALES_THEORY_KEYS),
    script:
        "../scripts/networks_depth_scales_theory.py"


rule networks_depth_scales_fit:
    input:
        lengths=rules.networks_depth_scales_merge.output.lengths,
        correlations=rules.networks_depth_scales_merge.output.correlations,
        code=code_inputs("networks_depth_scales_fit.py"),
    output:
        "results/data/schoenholz/networks_depth_scales_fit.parquet",
    log:
        "results/logs/schoenholz/networks_depth_scales_fit.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_depth_scales_fit.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.depth_scales", "activation", "sigma_b2", "sigma_w2"),
    script:
        "../scripts/networks_depth_scales_fit.py"


rule depth_scales:
    input:
        caption=caption_template("depth_scales"),
        theory=rules.networks_depth_scales_theory.output[0],
        fit=rules.networks_depth_scales_fit.output[0],
        lengths=rules.networks_depth_scales_merge.output.lengths,
        correlations=rules.networks_depth_scales_merge.output.correlations,
        code=code_inputs("networks_plot_depth_scales.py"),
    output:
        figure_outputs("depth_scales"),
    log:
        "results/logs/schoenholz/depth_scales.log",
    benchmark:
        "results/benchmarks/schoenholz/depth_scales.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.depth_scales", "activation", "sigma_b2"),
    script:
        "../scripts/networks_plot_depth_scales.py"


rule networks_dropout_simulation:
    input:
        code=code_inputs("networks_dropout_simulation.py"),
    output:
        "results/data/schoenholz/networks_dropout_simulation.parquet",
    log:
        "results/logs/schoenholz/networks_dropout_simulation.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_dropout_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_dropout_simulation", 2000, memory.networks_dropout_simulation
        ),
        runtime=30,
    params:
        cfg=config_slice("networks.dropout", *DROPOUT_SIMULATION_KEYS),
        seed=config["seed"],
    script:
        "../scripts/networks_dropout_simulation.py"


rule networks_dropout_theory:
    input:
        code=code_inputs("networks_dropout_theory.py"),
    output:
        iterates="results/data/schoenholz/networks_dropout_iterates.parquet",
        scales="results/data/schoenholz/networks_dropout_scales.parquet",
    log:
        "results/logs/schoenholz/networks_dropout_theory.log",
    benchmark:
        "results/benchmarks/schoenholz/networks_dropout_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.dropout", *DROPOUT_THEORY_KEYS),
    script:
        "../scripts/networks_dropout_theory.py"


rule dropout_cmap:
    input:
        caption=caption_template("dropout_cmap"),
        iterates=rules.networks_dropout_theory.output.iterates,
        scales=rules.networks_dropout_theory.output.scales,
        simulation=rules.networks_dropout_simulation.output[0],
        code=code_inputs("networks_plot_dropout_cmap.py"),
    output:
        figure_outputs("dropout_cmap"),
    log:
        "results/logs/schoenholz/dropout_cmap.log",
    benchmark:
        "results/benchmarks/schoenholz/dropout_cmap.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.dropout", "activation", "sigma_w", "sigma_b"),
    script:
        "../scripts/networks_plot_dropout_cmap.py"
