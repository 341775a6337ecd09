# Signal propagation at initialisation (Poole et al. 2016; Problem Sheet 2): the length
# and correlation maps, their fixed points and phase diagrams, and random deep networks
# simulated against them. Intermediates in results/data/poole/.


ANSWER_PARTS.append("results/answers/meanfield.parquet")
ANSWER_PARTS.append("results/answers/networks.parquet")


rule qmap_theory:
    input:
        code=code_inputs("qmap_theory.py"),
    output:
        "results/data/poole/qmap_theory.parquet",
    log:
        "results/logs/poole/qmap_theory.log",
    benchmark:
        "results/benchmarks/poole/qmap_theory.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("qmap_theory", 1000, memory.qmap_theory),
    params:
        cfg=config_slice(
            "qmap", "activation", "sigma_w", "sigma_b", "q_max", "n_theory"
        ),
    script:
        "../scripts/qmap_theory.py"


rule qmap_simulation:
    input:
        code=code_inputs("qmap_simulation.py"),
    output:
        "results/data/poole/qmap_simulation.parquet",
    log:
        "results/logs/poole/qmap_simulation.log",
    benchmark:
        "results/benchmarks/poole/qmap_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("qmap_simulation", 2000, memory.qmap_simulation),
    params:
        cfg=config_slice(
            "qmap", "activation", "sigma_w", "sigma_b", "q_max", "n_sim", "width"
        ),
        seed=config["seed"],
    script:
        "../scripts/qmap_simulation.py"


rule qmap:
    input:
        caption=caption_template("qmap"),
        theory=rules.qmap_theory.output[0],
        simulation=rules.qmap_simulation.output[0],
        code=code_inputs("plot_qmap.py"),
    output:
        figure_outputs("qmap"),
    log:
        "results/logs/poole/qmap.log",
    benchmark:
        "results/benchmarks/poole/qmap.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/plot_qmap.py"


rule meanfield_phase_theory:
    input:
        code=code_inputs("meanfield_phase_theory.py"),
    output:
        "results/data/poole/meanfield_phase.parquet",
    log:
        "results/logs/poole/meanfield_phase_theory.log",
    benchmark:
        "results/benchmarks/poole/meanfield_phase_theory.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "meanfield_phase_theory", 2000, memory.meanfield_phase_theory
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "meanfield.phase_diagram",
            "activation",
            "sigma_w",
            "sigma_b",
            "q0",
            "tolerance",
            "max_depth",
        ),
    script:
        "../scripts/meanfield_phase_theory.py"


rule qstar_phase:
    input:
        caption=caption_template("qstar_phase"),
        data=rules.meanfield_phase_theory.output[0],
        code=code_inputs("meanfield_plot_phase.py"),
    output:
        figure_outputs("qstar_phase"),
    log:
        "results/logs/poole/qstar_phase.log",
    benchmark:
        "results/benchmarks/poole/qstar_phase.tsv"
    conda:
        CONDA_ENV
    params:
        which="qstar_phase",
        qmap=config_slice("qmap", "activation", "sigma_w", "sigma_b"),
    script:
        "../scripts/meanfield_plot_phase.py"


use rule qstar_phase as q_convergence_depth with:
    input:
        caption=caption_template("q_convergence_depth"),
        data=rules.meanfield_phase_theory.output[0],
        code=code_inputs("meanfield_plot_phase.py"),
    output:
        figure_outputs("q_convergence_depth"),
    log:
        "results/logs/poole/q_convergence_depth.log",
    benchmark:
        "results/benchmarks/poole/q_convergence_depth.tsv"
    params:
        which="q_convergence_depth",
        qmap=config_slice("qmap", "activation", "sigma_w", "sigma_b"),


use rule qstar_phase as cstar_phase with:
    input:
        caption=caption_template("cstar_phase"),
        data=rules.meanfield_phase_theory.output[0],
        code=code_inputs("meanfield_plot_phase.py"),
    output:
        figure_outputs("cstar_phase"),
    log:
        "results/logs/poole/cstar_phase.log",
    benchmark:
        "results/benchmarks/poole/cstar_phase.tsv"
    params:
        which="cstar_phase",
        qmap=config_slice("qmap", "activation", "sigma_w", "sigma_b"),


use rule qstar_phase as chi1_phase with:
    input:
        caption=caption_template("chi1_phase"),
        data=rules.meanfield_phase_theory.output[0],
        code=code_inputs("meanfield_plot_phase.py"),
    output:
        figure_outputs("chi1_phase"),
    log:
        "results/logs/poole/chi1_phase.log",
    benchmark:
        "results/benchmarks/poole/chi1_phase.tsv"
    params:
        which="chi1_phase",
        qmap=config_slice("qmap", "activation", "sigma_w", "sigma_b"),


rule meanfield_edge_theory:
    input:
        code=code_inputs("meanfield_edge_theory.py"),
    output:
        "results/data/poole/meanfield_edge.parquet",
    log:
        "results/logs/poole/meanfield_edge_theory.log",
    benchmark:
        "results/benchmarks/poole/meanfield_edge_theory.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "meanfield_edge_theory", 1000, memory.meanfield_edge_theory
        ),
    params:
        cfg=config_slice("meanfield.edge_of_chaos", "q_star", "activations"),
    script:
        "../scripts/meanfield_edge_theory.py"


rule edge_of_chaos:
    input:
        caption=caption_template("edge_of_chaos"),
        data=rules.meanfield_edge_theory.output[0],
        code=code_inputs("meanfield_plot_edge.py"),
    output:
        figure_outputs("edge_of_chaos"),
    log:
        "results/logs/poole/edge_of_chaos.log",
    benchmark:
        "results/benchmarks/poole/edge_of_chaos.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/meanfield_plot_edge.py"


rule meanfield_cmap_theory:
    input:
        code=code_inputs("meanfield_cmap_theory.py"),
    output:
        "results/data/poole/meanfield_cmap.parquet",
    log:
        "results/logs/poole/meanfield_cmap_theory.log",
    benchmark:
        "results/benchmarks/poole/meanfield_cmap_theory.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "meanfield_cmap_theory", 1000, memory.meanfield_cmap_theory
        ),
    params:
        cfg=config_slice(
            "meanfield.cmap", "activation", "sigma_w", "sigma_b", "n_theory"
        ),
        which="cmap",
    script:
        "../scripts/meanfield_cmap_theory.py"


rule cmap:
    input:
        caption=caption_template("cmap"),
        data=rules.meanfield_cmap_theory.output[0],
        code=code_inputs("meanfield_plot_maps.py"),
    output:
        figure_outputs("cmap"),
    log:
        "results/logs/poole/cmap.log",
    benchmark:
        "results/benchmarks/poole/cmap.tsv"
    conda:
        CONDA_ENV
    params:
        which="cmap",
    script:
        "../scripts/meanfield_plot_maps.py"


use rule meanfield_cmap_theory as meanfield_activation_comparison_theory with:
    output:
        "results/data/poole/meanfield_activation_comparison.parquet",
    log:
        "results/logs/poole/meanfield_activation_comparison_theory.log",
    benchmark:
        "results/benchmarks/poole/meanfield_activation_comparison_theory.tsv"
    resources:
        mem_mb=MEMORY.budget(
            "meanfield_activation_comparison_theory",
            1000,
            memory.meanfield_activation_comparison_theory,
        ),
    params:
        cfg=config_slice(
            "meanfield.activation_comparison",
            "activations",
            "sigma_w",
            "sigma_b",
            "q_max",
            "n_theory",
        ),
        which="activation_comparison",


use rule cmap as activation_comparison with:
    input:
        caption=caption_template("activation_comparison"),
        data=rules.meanfield_activation_comparison_theory.output[0],
        code=code_inputs("meanfield_plot_maps.py"),
    output:
        figure_outputs("activation_comparison"),
    log:
        "results/logs/poole/activation_comparison.log",
    benchmark:
        "results/benchmarks/poole/activation_comparison.tsv"
    params:
        which="activation_comparison",


rule networks_qstar_simulation:
    input:
        code=code_inputs("networks_qstar_simulation.py"),
    output:
        "results/data/poole/networks_qstar_simulation.parquet",
    log:
        "results/logs/poole/networks_qstar_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_qstar_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_qstar_simulation", 2000, memory.networks_qstar_simulation
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.qstar_empirical",
            "activation",
            "sigma_w",
            "sigma_b",
            "widths",
            "depth",
            "q0",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_qstar_simulation.py"


rule qstar_empirical:
    input:
        caption=caption_template("qstar_empirical"),
        simulation=rules.networks_qstar_simulation.output[0],
        code=code_inputs("networks_plot_qstar_empirical.py"),
    output:
        figure_outputs("qstar_empirical"),
    log:
        "results/logs/poole/qstar_empirical.log",
    benchmark:
        "results/benchmarks/poole/qstar_empirical.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.qstar_empirical", "activation", "sigma_w", "sigma_b", "layer_min"
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_plot_qstar_empirical.py"


rule networks_q_dynamics_simulation:
    input:
        code=code_inputs("networks_q_dynamics_simulation.py"),
    output:
        "results/data/poole/networks_q_dynamics_simulation.parquet",
    log:
        "results/logs/poole/networks_q_dynamics_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_q_dynamics_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_q_dynamics_simulation",
            2000,
            memory.networks_q_dynamics_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.q_dynamics",
            "activation",
            "sigma_w",
            "sigma_b",
            "width",
            "depth",
            "q0",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_q_dynamics_simulation.py"


rule networks_q_dynamics_theory:
    input:
        code=code_inputs("networks_q_dynamics_theory.py"),
    output:
        "results/data/poole/networks_q_dynamics_theory.parquet",
    log:
        "results/logs/poole/networks_q_dynamics_theory.log",
    benchmark:
        "results/benchmarks/poole/networks_q_dynamics_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.q_dynamics", "activation", "sigma_w", "sigma_b", "depth", "q0"
        ),
    script:
        "../scripts/networks_q_dynamics_theory.py"


rule q_dynamics:
    input:
        caption=caption_template("q_dynamics"),
        theory=rules.networks_q_dynamics_theory.output[0],
        simulation=rules.networks_q_dynamics_simulation.output[0],
        code=code_inputs("networks_plot_q_dynamics.py"),
    output:
        figure_outputs("q_dynamics"),
    log:
        "results/logs/poole/q_dynamics.log",
    benchmark:
        "results/benchmarks/poole/q_dynamics.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_q_dynamics.py"


rule networks_c_dynamics_simulation:
    input:
        code=code_inputs("networks_correlation_simulation.py"),
    output:
        "results/data/poole/networks_c_dynamics_simulation.parquet",
    log:
        "results/logs/poole/networks_c_dynamics_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_c_dynamics_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_c_dynamics_simulation",
            2000,
            memory.networks_c_dynamics_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.c_dynamics",
            "activation",
            "sigma_w",
            "sigma_b",
            "c0",
            "width",
            "depth",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_correlation_simulation.py"


rule networks_c_dynamics_theory:
    input:
        code=code_inputs("networks_correlation_theory.py"),
    output:
        "results/data/poole/networks_c_dynamics_theory.parquet",
    log:
        "results/logs/poole/networks_c_dynamics_theory.log",
    benchmark:
        "results/benchmarks/poole/networks_c_dynamics_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.c_dynamics", "activation", "sigma_w", "sigma_b", "c0", "depth"
        ),
    script:
        "../scripts/networks_correlation_theory.py"


rule c_dynamics:
    input:
        caption=caption_template("c_dynamics"),
        theory=rules.networks_c_dynamics_theory.output[0],
        simulation=rules.networks_c_dynamics_simulation.output[0],
        code=code_inputs("networks_plot_c_dynamics.py"),
    output:
        figure_outputs("c_dynamics"),
    log:
        "results/logs/poole/c_dynamics.log",
    benchmark:
        "results/benchmarks/poole/c_dynamics.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_c_dynamics.py"


use rule networks_c_dynamics_simulation as networks_correlation_layers_simulation with:
    output:
        "results/data/poole/networks_correlation_layers_simulation.parquet",
    log:
        "results/logs/poole/networks_correlation_layers_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_correlation_layers_simulation.tsv"
    resources:
        mem_mb=MEMORY.budget(
            "networks_correlation_layers_simulation",
            2000,
            memory.networks_correlation_layers_simulation,
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.correlation_layers",
            "activation",
            "sigma_w_factor",
            "sigma_b",
            "c0",
            "width",
            "depth",
            "n_seeds",
        ),
        seed=config["seed"],


use rule networks_c_dynamics_theory as networks_correlation_layers_theory with:
    output:
        "results/data/poole/networks_correlation_layers_theory.parquet",
    log:
        "results/logs/poole/networks_correlation_layers_theory.log",
    benchmark:
        "results/benchmarks/poole/networks_correlation_layers_theory.tsv"
    params:
        cfg=config_slice(
            "networks.correlation_layers",
            "activation",
            "sigma_w_factor",
            "sigma_b",
            "c0",
            "depth",
        ),


rule correlation_layers:
    input:
        caption=caption_template("correlation_layers"),
        theory=rules.networks_correlation_layers_theory.output[0],
        simulation=rules.networks_correlation_layers_simulation.output[0],
        code=code_inputs("networks_plot_correlation_layers.py"),
    output:
        figure_outputs("correlation_layers"),
    log:
        "results/logs/poole/correlation_layers.log",
    benchmark:
        "results/benchmarks/poole/correlation_layers.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_correlation_layers.py"


rule networks_gradient_simulation:
    input:
        code=code_inputs("networks_gradient_simulation.py"),
    output:
        norms="results/data/poole/networks_gradient_norms.parquet",
        samples="results/data/poole/networks_gradient_samples.parquet",
    log:
        "results/logs/poole/networks_gradient_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_gradient_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_gradient_simulation", 2000, memory.networks_gradient_simulation
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.gradients",
            "activation",
            "sigma_w_factor",
            "sigma_b",
            "width",
            "depth",
            "batch",
            "n_seeds",
            "n_sample",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_gradient_simulation.py"


rule networks_gradient_theory:
    input:
        code=code_inputs("networks_regime_theory.py"),
    output:
        "results/data/poole/networks_gradient_theory.parquet",
    log:
        "results/logs/poole/networks_gradient_theory.log",
    benchmark:
        "results/benchmarks/poole/networks_gradient_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.gradients", "activation", "sigma_w_factor", "sigma_b"
        ),
    script:
        "../scripts/networks_regime_theory.py"


rule gradient_histograms:
    input:
        caption=caption_template("gradient_histograms"),
        theory=rules.networks_gradient_theory.output[0],
        samples=rules.networks_gradient_simulation.output.samples,
        code=code_inputs("networks_plot_gradient_histograms.py"),
    output:
        figure_outputs("gradient_histograms"),
    log:
        "results/logs/poole/gradient_histograms.log",
    benchmark:
        "results/benchmarks/poole/gradient_histograms.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_gradient_histograms.py"


rule networks_dw_simulation:
    input:
        code=code_inputs("networks_dw_simulation.py"),
    output:
        traces="results/data/poole/networks_dw_traces.parquet",
        singular_values="results/data/poole/networks_dw_singular_values.parquet",
    log:
        "results/logs/poole/networks_dw_simulation.log",
    benchmark:
        "results/benchmarks/poole/networks_dw_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "networks_dw_simulation", 2000, memory.networks_dw_simulation
        ),
        runtime=30,
    params:
        cfg=config_slice(
            "networks.dw",
            "activation",
            "sigma_w_factor",
            "sigma_b",
            "width",
            "depth",
            "n_seeds",
        ),
        seed=config["seed"],
    script:
        "../scripts/networks_dw_simulation.py"


use rule networks_gradient_theory as networks_dw_theory with:
    output:
        "results/data/poole/networks_dw_theory.parquet",
    log:
        "results/logs/poole/networks_dw_theory.log",
    benchmark:
        "results/benchmarks/poole/networks_dw_theory.tsv"
    params:
        cfg=config_slice("networks.dw", "activation", "sigma_w_factor", "sigma_b"),


rule dw_spectrum:
    input:
        caption=caption_template("dw_spectrum"),
        theory=rules.networks_dw_theory.output[0],
        traces=rules.networks_dw_simulation.output.traces,
        singular_values=rules.networks_dw_simulation.output.singular_values,
        code=code_inputs("networks_plot_dw_spectrum.py"),
    output:
        figure_outputs("dw_spectrum"),
    log:
        "results/logs/poole/dw_spectrum.log",
    benchmark:
        "results/benchmarks/poole/dw_spectrum.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/networks_plot_dw_spectrum.py"


rule answers_meanfield:
    input:
        code=code_inputs("answers_meanfield.py"),
    output:
        "results/answers/meanfield.parquet",
    log:
        "results/logs/poole/answers_meanfield.log",
    benchmark:
        "results/benchmarks/poole/answers_meanfield.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("answers.qstar", "sigma_w", "sigma_b", "activation"),
    script:
        "../scripts/answers_meanfield.py"


rule answers_networks:
    input:
        qstar=rules.networks_qstar_simulation.output[0],
        dw_traces=rules.networks_dw_simulation.output.traces,
        dw_theory=rules.networks_dw_theory.output[0],
        code=code_inputs("networks_answers.py"),
    output:
        "results/answers/networks.parquet",
    log:
        "results/logs/poole/answers_networks.log",
    benchmark:
        "results/benchmarks/poole/answers_networks.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "networks.qstar_empirical",
            "activation",
            "sigma_w",
            "sigma_b",
            "layer_min",
            "depth",
        ),
    script:
        "../scripts/networks_answers.py"
