# Expressivity and dynamical isometry (Raghu et al. 2017, Price et al. 2019; Pennington
# et al. 2017): trajectory length through depth and the input-output Jacobian's
# singular values. Intermediates in results/data/pennington_raghu/.


rule networks_trajectory_simulation:
    input:
        code=code_inputs("networks_trajectory_simulation.py"),
    output:
        "results/data/pennington_raghu/networks_trajectory_simulation.parquet",
    log:
        "results/logs/pennington_raghu/networks_trajectory_simulation.log",
    benchmark:
        "results/benchmarks/pennington_raghu/networks_trajectory_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_trajectory_simulation",
            2000,
            memory.networks_trajectory_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.trajectory_length",
            "activations",
            "sigma_w",
            "sigma_b",
            "width",
            "depth",
            "n_points",
            "q0",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_trajectory_simulation.py"


rule networks_trajectory_theory:
    input:
        code=code_inputs("networks_trajectory_theory.py"),
    output:
        "results/data/pennington_raghu/networks_trajectory_theory.parquet",
    log:
        "results/logs/pennington_raghu/networks_trajectory_theory.log",
    benchmark:
        "results/benchmarks/pennington_raghu/networks_trajectory_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.trajectory_length",
            "activations",
            "sigma_w",
            "sigma_b",
            "width",
            "depth",
            "q0",
        ),
    script:
        "../scripts/networks_trajectory_theory.py"


rule trajectory_length:
    input:
        caption=caption_template("trajectory_length"),
        theory=rules.networks_trajectory_theory.output[0],
        simulation=rules.networks_trajectory_simulation.output[0],
        code=code_inputs("networks_plot_trajectory_length.py"),
    output:
        figure_outputs("trajectory_length"),
    log:
        "results/logs/pennington_raghu/trajectory_length.log",
    benchmark:
        "results/benchmarks/pennington_raghu/trajectory_length.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("networks.trajectory_length", "q0", "width", "n_points"),
    script:
        "../scripts/networks_plot_trajectory_length.py"


rule networks_jacobian_simulation:
    input:
        code=code_inputs("networks_jacobian_simulation.py"),
    output:
        "results/data/pennington_raghu/networks_jacobian_simulation.parquet",
    log:
        "results/logs/pennington_raghu/networks_jacobian_simulation.log",
    benchmark:
        "results/benchmarks/pennington_raghu/networks_jacobian_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_jacobian_simulation", 4000, memory.networks_jacobian_simulation
        ),
        runtime=60,
    params:
        cfg=config_slice(
            "networks.jacobian_spectrum",
            "activations",
            "q_star",
            "weights",
            "depths",
            "width",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_jacobian_simulation.py"


rule networks_jacobian_theory:
    input:
        code=code_inputs("networks_jacobian_theory.py"),
    output:
        moments="results/data/pennington_raghu/networks_jacobian_theory.parquet",
        density="results/data/pennington_raghu/networks_jacobian_density.parquet",
    log:
        "results/logs/pennington_raghu/networks_jacobian_theory.log",
    benchmark:
        "results/benchmarks/pennington_raghu/networks_jacobian_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.jacobian_spectrum", "activations", "q_star", "weights", "depths"
        ),
    script:
        "../scripts/networks_jacobian_theory.py"


rule jacobian_spectrum:
    input:
        caption=caption_template("jacobian_spectrum"),
        theory=rules.networks_jacobian_theory.output.moments,
        density=rules.networks_jacobian_theory.output.density,
        simulation=rules.networks_jacobian_simulation.output[0],
        code=code_inputs("networks_plot_jacobian_spectrum.py"),
    output:
        figure_outputs("jacobian_spectrum"),
    log:
        "results/logs/pennington_raghu/jacobian_spectrum.log",
    benchmark:
        "results/benchmarks/pennington_raghu/jacobian_spectrum.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_jacobian_spectrum.py"
