# Learning dynamics of deep linear networks (Saxe et al. 2014): Exercise 1 (Euler and
# analytic mode dynamics) and Exercise 2 (deep linear / ReLU nets on hierarchical data).


FIGURE_IDS.extend(
    [
        "saxe_svd_dynamics",
        "saxe_analytic",
        "saxe_deep_linear_tree",
        "saxe_relu_tree",
        "saxe_depth",
    ]
)
ANSWER_PARTS.append("results/answers/saxe.parquet")


rule saxe_exercise1:
    input:
        pkg("saxe", "io"),
    output:
        "results/data/saxe_exercise1.parquet",
    log:
        "results/logs/saxe_exercise1.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["saxe"]["exercise1"],
        seed=config["seed"],
    script:
        "../scripts/saxe_exercise1.py"


rule saxe_svd_dynamics:
    input:
        data="results/data/saxe_exercise1.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("saxe_svd_dynamics"),
    log:
        "results/logs/saxe_svd_dynamics.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/saxe_plot_svd_dynamics.py"


rule saxe_analytic:
    input:
        data="results/data/saxe_exercise1.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("saxe_analytic"),
    log:
        "results/logs/saxe_analytic.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        a0=config["saxe"]["exercise1"]["a0"],
    script:
        "../scripts/saxe_plot_analytic.py"


rule saxe_tree_simulation:
    input:
        pkg("saxe", "io"),
    output:
        curves="results/data/saxe_tree_curves.parquet",
        theory="results/data/saxe_tree_theory.parquet",
    log:
        "results/logs/saxe_tree_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg={
            "tree": config["saxe"]["tree"],
            "network": config["saxe"]["network"],
        },
        seed=config["seed"],
    script:
        "../scripts/saxe_tree_simulation.py"


rule saxe_deep_linear_tree:
    input:
        curves="results/data/saxe_tree_curves.parquet",
        theory="results/data/saxe_tree_theory.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("saxe_deep_linear_tree"),
    log:
        "results/logs/saxe_deep_linear_tree.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        variant="linear",
        hidden=config["saxe"]["network"]["hidden_units"],
    script:
        "../scripts/saxe_plot_tree.py"


rule saxe_relu_tree:
    input:
        curves="results/data/saxe_tree_curves.parquet",
        theory="results/data/saxe_tree_theory.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("saxe_relu_tree"),
    log:
        "results/logs/saxe_relu_tree.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        variant="relu",
        hidden=config["saxe"]["network"]["hidden_units"],
    script:
        "../scripts/saxe_plot_tree.py"


rule saxe_depth_simulation:
    input:
        pkg("saxe", "io"),
    output:
        "results/data/saxe_depth.parquet",
    log:
        "results/logs/saxe_depth_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg={
            "tree": config["saxe"]["tree"],
            "depth": config["saxe"]["depth"],
        },
        seed=config["seed"],
    script:
        "../scripts/saxe_depth_simulation.py"


rule saxe_depth:
    input:
        data="results/data/saxe_depth.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("saxe_depth"),
    log:
        "results/logs/saxe_depth.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/saxe_plot_depth.py"


rule saxe_answers:
    input:
        exercise1="results/data/saxe_exercise1.parquet",
        tree="results/data/saxe_tree_theory.parquet",
        code=pkg("saxe", "answers", "io"),
    output:
        "results/answers/saxe.parquet",
    log:
        "results/logs/saxe_answers.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # only the slices the answers read, so other Saxe settings do not rerun them
        cfg={key: config["saxe"][key] for key in ("exercise1", "tree")},
    script:
        "../scripts/saxe_answers.py"
