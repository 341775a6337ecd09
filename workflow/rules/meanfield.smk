# Mean-field signal propagation (Poole et al. 2016): theory tables, one-layer
# simulations and their figures.


FIGURE_IDS.extend(["qmap"])
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
