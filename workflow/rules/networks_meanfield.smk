# Random deep networks (issue 5): the figures whose theory needs the C-map, chi_1, the
# depth scales and the dropout variants of dltheory.meanfield (issue 4): correlations,
# Jacobians DW, gradients, depth scales and dropout.


FIGURE_IDS.extend(
    [
        "c_dynamics",
        "correlation_layers",
        "dw_spectrum",
        "gradient_histograms",
        "gradient_depth_scale",
        "depth_scales",
        "dropout_cmap",
    ]
)


rule networks_c_dynamics_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_c_dynamics_simulation.parquet",
    log:
        "results/logs/networks_c_dynamics_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["c_dynamics"],
        seed=config["seed"],
        offset=505,
    script:
        "../scripts/networks_correlation_simulation.py"


rule networks_c_dynamics_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_c_dynamics_theory.parquet",
    log:
        "results/logs/networks_c_dynamics_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["c_dynamics"],
    script:
        "../scripts/networks_correlation_theory.py"


rule c_dynamics:
    input:
        theory="results/data/networks_c_dynamics_theory.parquet",
        simulation="results/data/networks_c_dynamics_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("c_dynamics"),
    log:
        "results/logs/c_dynamics.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_c_dynamics.py"


rule networks_correlation_layers_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_correlation_layers_simulation.parquet",
    log:
        "results/logs/networks_correlation_layers_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["correlation_layers"],
        seed=config["seed"],
        offset=506,
    script:
        "../scripts/networks_correlation_simulation.py"


rule networks_correlation_layers_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_correlation_layers_theory.parquet",
    log:
        "results/logs/networks_correlation_layers_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["correlation_layers"],
    script:
        "../scripts/networks_correlation_theory.py"


rule correlation_layers:
    input:
        theory="results/data/networks_correlation_layers_theory.parquet",
        simulation="results/data/networks_correlation_layers_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("correlation_layers"),
    log:
        "results/logs/correlation_layers.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_correlation_layers.py"


rule networks_gradient_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        norms="results/data/networks_gradient_norms.parquet",
        samples="results/data/networks_gradient_samples.parquet",
    log:
        "results/logs/networks_gradient_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["gradients"],
        seed=config["seed"],
    script:
        "../scripts/networks_gradient_simulation.py"


rule networks_gradient_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_gradient_theory.parquet",
    log:
        "results/logs/networks_gradient_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["gradients"],
    script:
        "../scripts/networks_regime_theory.py"


rule gradient_histograms:
    input:
        theory="results/data/networks_gradient_theory.parquet",
        samples="results/data/networks_gradient_samples.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("gradient_histograms"),
    log:
        "results/logs/gradient_histograms.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_gradient_histograms.py"


rule gradient_depth_scale:
    input:
        theory="results/data/networks_gradient_theory.parquet",
        norms="results/data/networks_gradient_norms.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("gradient_depth_scale"),
    log:
        "results/logs/gradient_depth_scale.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_gradient_depth_scale.py"


rule networks_dw_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        traces="results/data/networks_dw_traces.parquet",
        singular_values="results/data/networks_dw_singular_values.parquet",
    log:
        "results/logs/networks_dw_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["dw"],
        seed=config["seed"],
    script:
        "../scripts/networks_dw_simulation.py"


rule networks_dw_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_dw_theory.parquet",
    log:
        "results/logs/networks_dw_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["dw"],
    script:
        "../scripts/networks_regime_theory.py"


rule dw_spectrum:
    input:
        theory="results/data/networks_dw_theory.parquet",
        traces="results/data/networks_dw_traces.parquet",
        singular_values="results/data/networks_dw_singular_values.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("dw_spectrum"),
    log:
        "results/logs/dw_spectrum.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_dw_spectrum.py"


rule networks_depth_scales_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        lengths="results/data/networks_depth_scales_lengths.parquet",
        correlations="results/data/networks_depth_scales_correlations.parquet",
    log:
        "results/logs/networks_depth_scales_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["depth_scales"],
        seed=config["seed"],
    script:
        "../scripts/networks_depth_scales_simulation.py"


rule networks_depth_scales_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/networks_depth_scales_theory.parquet",
    log:
        "results/logs/networks_depth_scales_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["depth_scales"],
    script:
        "../scripts/networks_depth_scales_theory.py"


rule networks_depth_scales_fit:
    input:
        lengths="results/data/networks_depth_scales_lengths.parquet",
        correlations="results/data/networks_depth_scales_correlations.parquet",
        code=pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_depth_scales_fit.parquet",
    log:
        "results/logs/networks_depth_scales_fit.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["depth_scales"],
    script:
        "../scripts/networks_depth_scales_fit.py"


rule depth_scales:
    input:
        theory="results/data/networks_depth_scales_theory.parquet",
        fit="results/data/networks_depth_scales_fit.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("depth_scales"),
    log:
        "results/logs/depth_scales.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["depth_scales"],
    script:
        "../scripts/networks_plot_depth_scales.py"


rule networks_dropout_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_dropout_simulation.parquet",
    log:
        "results/logs/networks_dropout_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["dropout"],
        seed=config["seed"],
    script:
        "../scripts/networks_dropout_simulation.py"


rule networks_dropout_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        iterates="results/data/networks_dropout_iterates.parquet",
        scales="results/data/networks_dropout_scales.parquet",
    log:
        "results/logs/networks_dropout_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["dropout"],
    script:
        "../scripts/networks_dropout_theory.py"


rule dropout_cmap:
    input:
        iterates="results/data/networks_dropout_iterates.parquet",
        scales="results/data/networks_dropout_scales.parquet",
        simulation="results/data/networks_dropout_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("dropout_cmap"),
    log:
        "results/logs/dropout_cmap.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["dropout"],
    script:
        "../scripts/networks_plot_dropout_cmap.py"
