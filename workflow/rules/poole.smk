# Signal propagation at initialisation (Poole et al. 2016; Problem Sheet 2): the length
# and correlation maps, their fixed points and phase diagrams, and random deep networks
# simulated against them. Intermediates in results/data/poole/.


FIGURE_IDS.extend(
    [
        "qmap",
        "q_dynamics",
        "qstar_phase",
        "q_convergence_depth",
        "cmap",
        "c_dynamics",
        "cstar_phase",
        "chi1_phase",
        "edge_of_chaos",
        "qstar_empirical",
        "correlation_layers",
        "dw_spectrum",
        "gradient_histograms",
        "activation_comparison",
    ]
)
ANSWER_PARTS.append("results/answers/meanfield.parquet")
ANSWER_PARTS.append("results/answers/networks.parquet")


rule qmap_theory:
    output:
        "results/data/poole/qmap_theory.parquet",
    log:
        "results/logs/poole/qmap_theory.log",
    params:
        cfg=config["qmap"],
    script:
        "../scripts/qmap_theory.py"


rule qmap_simulation:
    output:
        "results/data/poole/qmap_simulation.parquet",
    log:
        "results/logs/poole/qmap_simulation.log",
    resources:
        mem_mb=2000,
    params:
        cfg=config["qmap"],
        seed=config["seed"],
    script:
        "../scripts/qmap_simulation.py"


rule qmap:
    input:
        theory=rules.qmap_theory.output[0],
        simulation=rules.qmap_simulation.output[0],
    output:
        figure_outputs("qmap"),
    log:
        "results/logs/poole/qmap.log",
    script:
        "../scripts/plot_qmap.py"


rule meanfield_phase_theory:
    output:
        "results/data/poole/meanfield_phase.parquet",
    log:
        "results/logs/poole/meanfield_phase_theory.log",
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["meanfield"]["phase_diagram"],
    script:
        "../scripts/meanfield_phase_theory.py"


rule qstar_phase:
    input:
        data=rules.meanfield_phase_theory.output[0],
    output:
        figure_outputs("qstar_phase"),
    log:
        "results/logs/poole/qstar_phase.log",
    params:
        which="qstar_phase",
        qmap=config["qmap"],
    script:
        "../scripts/meanfield_plot_phase.py"


use rule qstar_phase as q_convergence_depth with:
    output:
        figure_outputs("q_convergence_depth"),
    log:
        "results/logs/poole/q_convergence_depth.log",
    params:
        which="q_convergence_depth",
        qmap=config["qmap"],


use rule qstar_phase as cstar_phase with:
    output:
        figure_outputs("cstar_phase"),
    log:
        "results/logs/poole/cstar_phase.log",
    params:
        which="cstar_phase",
        qmap=config["qmap"],


use rule qstar_phase as chi1_phase with:
    output:
        figure_outputs("chi1_phase"),
    log:
        "results/logs/poole/chi1_phase.log",
    params:
        which="chi1_phase",
        qmap=config["qmap"],


rule meanfield_edge_theory:
    output:
        "results/data/poole/meanfield_edge.parquet",
    log:
        "results/logs/poole/meanfield_edge_theory.log",
    params:
        cfg=config["meanfield"]["edge_of_chaos"],
    script:
        "../scripts/meanfield_edge_theory.py"


rule edge_of_chaos:
    input:
        data=rules.meanfield_edge_theory.output[0],
    output:
        figure_outputs("edge_of_chaos"),
    log:
        "results/logs/poole/edge_of_chaos.log",
    script:
        "../scripts/meanfield_plot_edge.py"


rule meanfield_cmap_theory:
    output:
        "results/data/poole/meanfield_cmap.parquet",
    log:
        "results/logs/poole/meanfield_cmap_theory.log",
    params:
        cfg=config["meanfield"]["cmap"],
        which="cmap",
    script:
        "../scripts/meanfield_cmap_theory.py"


rule cmap:
    input:
        data=rules.meanfield_cmap_theory.output[0],
    output:
        figure_outputs("cmap"),
    log:
        "results/logs/poole/cmap.log",
    params:
        which="cmap",
    script:
        "../scripts/meanfield_plot_maps.py"


use rule meanfield_cmap_theory as meanfield_activation_comparison_theory with:
    output:
        "results/data/poole/meanfield_activation_comparison.parquet",
    log:
        "results/logs/poole/meanfield_activation_comparison_theory.log",
    params:
        cfg=config["meanfield"]["activation_comparison"],
        which="activation_comparison",


use rule cmap as activation_comparison with:
    input:
        data=rules.meanfield_activation_comparison_theory.output[0],
    output:
        figure_outputs("activation_comparison"),
    log:
        "results/logs/poole/activation_comparison.log",
    params:
        which="activation_comparison",


rule networks_qstar_simulation:
    output:
        "results/data/poole/networks_qstar_simulation.parquet",
    log:
        "results/logs/poole/networks_qstar_simulation.log",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["qstar_empirical"],
        seed=config["seed"],
    script:
        "../scripts/networks_qstar_simulation.py"


rule qstar_empirical:
    input:
        simulation=rules.networks_qstar_simulation.output[0],
    output:
        figure_outputs("qstar_empirical"),
    log:
        "results/logs/poole/qstar_empirical.log",
    params:
        cfg=config["networks"]["qstar_empirical"],
        seed=config["seed"],
    script:
        "../scripts/networks_plot_qstar_empirical.py"


rule networks_q_dynamics_simulation:
    output:
        "results/data/poole/networks_q_dynamics_simulation.parquet",
    log:
        "results/logs/poole/networks_q_dynamics_simulation.log",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["q_dynamics"],
        seed=config["seed"],
    script:
        "../scripts/networks_q_dynamics_simulation.py"


rule networks_q_dynamics_theory:
    output:
        "results/data/poole/networks_q_dynamics_theory.parquet",
    log:
        "results/logs/poole/networks_q_dynamics_theory.log",
    params:
        cfg=config["networks"]["q_dynamics"],
    script:
        "../scripts/networks_q_dynamics_theory.py"


rule q_dynamics:
    input:
        theory=rules.networks_q_dynamics_theory.output[0],
        simulation=rules.networks_q_dynamics_simulation.output[0],
    output:
        figure_outputs("q_dynamics"),
    log:
        "results/logs/poole/q_dynamics.log",
    script:
        "../scripts/networks_plot_q_dynamics.py"


rule networks_c_dynamics_simulation:
    output:
        "results/data/poole/networks_c_dynamics_simulation.parquet",
    log:
        "results/logs/poole/networks_c_dynamics_simulation.log",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["c_dynamics"],
        seed=config["seed"],
    script:
        "../scripts/networks_correlation_simulation.py"


rule networks_c_dynamics_theory:
    output:
        "results/data/poole/networks_c_dynamics_theory.parquet",
    log:
        "results/logs/poole/networks_c_dynamics_theory.log",
    params:
        cfg=config["networks"]["c_dynamics"],
    script:
        "../scripts/networks_correlation_theory.py"


rule c_dynamics:
    input:
        theory=rules.networks_c_dynamics_theory.output[0],
        simulation=rules.networks_c_dynamics_simulation.output[0],
    output:
        figure_outputs("c_dynamics"),
    log:
        "results/logs/poole/c_dynamics.log",
    script:
        "../scripts/networks_plot_c_dynamics.py"


use rule networks_c_dynamics_simulation as networks_correlation_layers_simulation with:
    output:
        "results/data/poole/networks_correlation_layers_simulation.parquet",
    log:
        "results/logs/poole/networks_correlation_layers_simulation.log",
    params:
        cfg=config["networks"]["correlation_layers"],
        seed=config["seed"],


use rule networks_c_dynamics_theory as networks_correlation_layers_theory with:
    output:
        "results/data/poole/networks_correlation_layers_theory.parquet",
    log:
        "results/logs/poole/networks_correlation_layers_theory.log",
    params:
        cfg=config["networks"]["correlation_layers"],


rule correlation_layers:
    input:
        theory=rules.networks_correlation_layers_theory.output[0],
        simulation=rules.networks_correlation_layers_simulation.output[0],
    output:
        figure_outputs("correlation_layers"),
    log:
        "results/logs/poole/correlation_layers.log",
    script:
        "../scripts/networks_plot_correlation_layers.py"


rule networks_gradient_simulation:
    output:
        norms="results/data/poole/networks_gradient_norms.parquet",
        samples="results/data/poole/networks_gradient_samples.parquet",
    log:
        "results/logs/poole/networks_gradient_simulation.log",
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
    output:
        "results/data/poole/networks_gradient_theory.parquet",
    log:
        "results/logs/poole/networks_gradient_theory.log",
    params:
        cfg=config["networks"]["gradients"],
    script:
        "../scripts/networks_regime_theory.py"


rule gradient_histograms:
    input:
        theory=rules.networks_gradient_theory.output[0],
        samples=rules.networks_gradient_simulation.output.samples,
    output:
        figure_outputs("gradient_histograms"),
    log:
        "results/logs/poole/gradient_histograms.log",
    script:
        "../scripts/networks_plot_gradient_histograms.py"


rule networks_dw_simulation:
    output:
        traces="results/data/poole/networks_dw_traces.parquet",
        singular_values="results/data/poole/networks_dw_singular_values.parquet",
    log:
        "results/logs/poole/networks_dw_simulation.log",
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["dw"],
        seed=config["seed"],
    script:
        "../scripts/networks_dw_simulation.py"


use rule networks_gradient_theory as networks_dw_theory with:
    output:
        "results/data/poole/networks_dw_theory.parquet",
    log:
        "results/logs/poole/networks_dw_theory.log",
    params:
        cfg=config["networks"]["dw"],


rule dw_spectrum:
    input:
        theory=rules.networks_dw_theory.output[0],
        traces=rules.networks_dw_simulation.output.traces,
        singular_values=rules.networks_dw_simulation.output.singular_values,
    output:
        figure_outputs("dw_spectrum"),
    log:
        "results/logs/poole/dw_spectrum.log",
    script:
        "../scripts/networks_plot_dw_spectrum.py"


rule answers_meanfield:
    output:
        "results/answers/meanfield.parquet",
    log:
        "results/logs/poole/answers_meanfield.log",
    params:
        cfg=config["answers"],
    script:
        "../scripts/answers_meanfield.py"


rule answers_networks:
    input:
        qstar=rules.networks_qstar_simulation.output[0],
        dw_traces=rules.networks_dw_simulation.output.traces,
        dw_theory=rules.networks_dw_theory.output[0],
    output:
        "results/answers/networks.parquet",
    log:
        "results/logs/poole/answers_networks.log",
    params:
        cfg=config["networks"]["qstar_empirical"],
    script:
        "../scripts/networks_answers.py"
