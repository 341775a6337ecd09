# Mean-field signal propagation (Poole et al. 2016): theory tables, one-layer
# simulations and their figures.


FIGURE_IDS.extend(
    [
        "qmap",
        "qstar_phase",
        "q_convergence_depth",
        "cstar_phase",
        "chi1_phase",
        "edge_of_chaos",
        "cmap",
        "activation_comparison",
    ]
)
ANSWER_PARTS.append("results/answers/meanfield.parquet")


rule qmap_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/qmap_theory.parquet",
    log:
        "results/logs/qmap_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["qmap"],
    script:
        "../scripts/qmap_theory.py"


rule qmap_simulation:
    input:
        pkg("networks", "activations", "io"),
    output:
        "results/data/qmap_simulation.parquet",
    log:
        "results/logs/qmap_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cfg=config["qmap"],
        seed=config["seed"],
    script:
        "../scripts/qmap_simulation.py"


rule qmap:
    input:
        theory="results/data/qmap_theory.parquet",
        simulation="results/data/qmap_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("qmap"),
    log:
        "results/logs/qmap.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/plot_qmap.py"


rule answers_meanfield:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/answers/meanfield.parquet",
    log:
        "results/logs/answers_meanfield.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["answers"],
    script:
        "../scripts/answers_meanfield.py"


rule meanfield_phase_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/meanfield_phase.parquet",
    log:
        "results/logs/meanfield_phase_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["meanfield"]["phase_diagram"],
    script:
        "../scripts/meanfield_phase_theory.py"


rule qstar_phase:
    input:
        data="results/data/meanfield_phase.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("qstar_phase"),
    log:
        "results/logs/qstar_phase.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="qstar_phase",
    script:
        "../scripts/meanfield_plot_phase.py"


rule q_convergence_depth:
    input:
        data="results/data/meanfield_phase.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("q_convergence_depth"),
    log:
        "results/logs/q_convergence_depth.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="q_convergence_depth",
    script:
        "../scripts/meanfield_plot_phase.py"


rule cstar_phase:
    input:
        data="results/data/meanfield_phase.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("cstar_phase"),
    log:
        "results/logs/cstar_phase.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="cstar_phase",
    script:
        "../scripts/meanfield_plot_phase.py"


rule chi1_phase:
    input:
        data="results/data/meanfield_phase.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("chi1_phase"),
    log:
        "results/logs/chi1_phase.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="chi1_phase",
    script:
        "../scripts/meanfield_plot_phase.py"


rule meanfield_edge_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/meanfield_edge.parquet",
    log:
        "results/logs/meanfield_edge_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["meanfield"]["edge_of_chaos"],
    script:
        "../scripts/meanfield_edge_theory.py"


rule edge_of_chaos:
    input:
        data="results/data/meanfield_edge.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("edge_of_chaos"),
    log:
        "results/logs/edge_of_chaos.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/meanfield_plot_edge.py"


rule meanfield_cmap_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/meanfield_cmap.parquet",
    log:
        "results/logs/meanfield_cmap_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["meanfield"]["cmap"],
        which="cmap",
    script:
        "../scripts/meanfield_cmap_theory.py"


rule cmap:
    input:
        data="results/data/meanfield_cmap.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("cmap"),
    log:
        "results/logs/cmap.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="cmap",
    script:
        "../scripts/meanfield_plot_maps.py"


rule meanfield_activation_comparison_theory:
    input:
        pkg("meanfield", "activations", "io"),
    output:
        "results/data/meanfield_activation_comparison.parquet",
    log:
        "results/logs/meanfield_activation_comparison_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["meanfield"]["activation_comparison"],
        which="activation_comparison",
    script:
        "../scripts/meanfield_cmap_theory.py"


rule activation_comparison:
    input:
        data="results/data/meanfield_activation_comparison.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("activation_comparison"),
    log:
        "results/logs/activation_comparison.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        which="activation_comparison",
    script:
        "../scripts/meanfield_plot_maps.py"
