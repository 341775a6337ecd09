# Learning dynamics of deep linear networks (Saxe et al. 2014; the Saxe exercises):
# Euler dynamics and the analytic solution, SGD on hierarchical tree data, depth.
# Intermediates in results/data/saxe/.


ANSWER_PARTS.append("results/answers/saxe.parquet")


rule saxe_exercise1:
    input:
        code=code_inputs("saxe_exercise1.py"),
    output:
        "results/data/saxe/saxe_exercise1.parquet",
    log:
        "results/logs/saxe/saxe_exercise1.log",
    benchmark:
        "results/benchmarks/saxe/saxe_exercise1.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "saxe.exercise1",
            "sigma_x",
            "sigma_yx",
            "hidden",
            "eta",
            "dt",
            "t_max",
            "init_var",
            "a0",
        ),
        seed=config["seed"],
    script:
        "../scripts/saxe_exercise1.py"


rule saxe_svd_dynamics:
    input:
        caption=caption_template("saxe_svd_dynamics"),
        data=rules.saxe_exercise1.output[0],
        code=code_inputs("saxe_plot_svd_dynamics.py"),
    output:
        figure_outputs("saxe_svd_dynamics"),
    log:
        "results/logs/saxe/saxe_svd_dynamics.log",
    benchmark:
        "results/benchmarks/saxe/saxe_svd_dynamics.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/saxe_plot_svd_dynamics.py"


rule saxe_analytic:
    input:
        caption=caption_template("saxe_analytic"),
        data=rules.saxe_exercise1.output[0],
        code=code_inputs("saxe_plot_analytic.py"),
    output:
        figure_outputs("saxe_analytic"),
    log:
        "results/logs/saxe/saxe_analytic.log",
    benchmark:
        "results/benchmarks/saxe/saxe_analytic.tsv"
    conda:
        CONDA_ENV
    params:
        exercise1=config_slice("saxe.exercise1", "a0"),
    script:
        "../scripts/saxe_plot_analytic.py"


rule saxe_tree_simulation:
    input:
        code=code_inputs("saxe_tree_simulation.py"),
    output:
        curves="results/data/saxe/saxe_tree_curves.parquet",
        theory="results/data/saxe/saxe_tree_theory.parquet",
    log:
        "results/logs/saxe/saxe_tree_simulation.log",
    benchmark:
        "results/benchmarks/saxe/saxe_tree_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("saxe_tree_simulation", 2000, memory.saxe_tree_simulation),
        runtime=30,
    params:
        tree=config_slice("saxe.tree", "depth", "branching", "n_features", "epsilon"),
        network=config_slice(
            "saxe.network",
            "hidden_units",
            "variants",
            "n_seeds",
            "init_std",
            "epochs",
            "lr",
        ),
        seed=config["seed"],
    script:
        "../scripts/saxe_tree_simulation.py"


# The wide tree (config saxe.tree_wide): its own job, so the branching-2 data stay as they
# are; its rate is a fraction of the largest stable one, found by a scan in the job.
use rule saxe_tree_simulation as saxe_tree_wide_simulation with:
    output:
        curves="results/data/saxe/saxe_tree_wide_curves.parquet",
        theory="results/data/saxe/saxe_tree_wide_theory.parquet",
        lr_search="results/data/saxe/saxe_tree_wide_lr_search.parquet",
    log:
        "results/logs/saxe/saxe_tree_wide_simulation.log",
    benchmark:
        "results/benchmarks/saxe/saxe_tree_wide_simulation.tsv"
    resources:
        # measured peak 1.4 GB (1001 epochs x 10 nets x 64 x 100 maps)
        mem_mb=MEMORY.budget(
            "saxe_tree_wide_simulation", 2000, memory.saxe_tree_wide_simulation
        ),
        runtime=30,
    params:
        # the tree and nets of saxe_tree_simulation (the figures check that they agree),
        # with tree_wide's branching, seeds, epochs and rate
        tree=config_slice("saxe.tree", "depth", "n_features", "epsilon"),
        network=config_slice("saxe.network", "hidden_units", "variants", "init_std"),
        tree_wide=config_slice(
            "saxe.tree_wide",
            "branching",
            "n_seeds",
            "epochs",
            "lr_fraction",
            "lr_search",
        ),
        seed=config["seed"],


rule saxe_deep_linear_tree:
    input:
        caption=caption_template("saxe_deep_linear_tree"),
        curves=rules.saxe_tree_simulation.output.curves,
        theory=rules.saxe_tree_simulation.output.theory,
        wide_curves=rules.saxe_tree_wide_simulation.output.curves,
        wide_theory=rules.saxe_tree_wide_simulation.output.theory,
        wide_lr_search=rules.saxe_tree_wide_simulation.output.lr_search,
        code=code_inputs("saxe_plot_tree.py"),
    output:
        figure_outputs("saxe_deep_linear_tree"),
    log:
        "results/logs/saxe/saxe_deep_linear_tree.log",
    benchmark:
        "results/benchmarks/saxe/saxe_deep_linear_tree.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("saxe_deep_linear_tree", 2000, memory.saxe_tree_figure),
    params:
        variant="linear",
        network=config_slice("saxe.network", "hidden_units"),
    script:
        "../scripts/saxe_plot_tree.py"


use rule saxe_deep_linear_tree as saxe_relu_tree with:
    input:
        caption=caption_template("saxe_relu_tree"),
        curves=rules.saxe_tree_simulation.output.curves,
        theory=rules.saxe_tree_simulation.output.theory,
        wide_curves=rules.saxe_tree_wide_simulation.output.curves,
        wide_theory=rules.saxe_tree_wide_simulation.output.theory,
        wide_lr_search=rules.saxe_tree_wide_simulation.output.lr_search,
        code=code_inputs("saxe_plot_tree.py"),
    output:
        figure_outputs("saxe_relu_tree"),
    log:
        "results/logs/saxe/saxe_relu_tree.log",
    benchmark:
        "results/benchmarks/saxe/saxe_relu_tree.tsv"
    params:
        variant="relu",
        network=config_slice("saxe.network", "hidden_units"),


rule saxe_depth_simulation:
    input:
        code=code_inputs("saxe_depth_simulation.py"),
    output:
        "results/data/saxe/saxe_depth.parquet",
    log:
        "results/logs/saxe/saxe_depth_simulation.log",
    benchmark:
        "results/benchmarks/saxe/saxe_depth_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "saxe_depth_simulation", 2000, memory.saxe_depth_simulation
        ),
        runtime=30,
    params:
        tree=config_slice("saxe.tree", "depth", "branching", "n_features", "epsilon"),
        depth=config_slice(
            "saxe.depth",
            "hidden_layers",
            "width",
            "inits",
            "a0",
            "n_seeds",
            "epochs",
            "lr",
            "lr_scaling",
        ),
        seed=config["seed"],
    script:
        "../scripts/saxe_depth_simulation.py"


rule saxe_depth:
    input:
        caption=caption_template("saxe_depth"),
        data=rules.saxe_depth_simulation.output[0],
        code=code_inputs("saxe_plot_depth.py"),
    output:
        figure_outputs("saxe_depth"),
    log:
        "results/logs/saxe/saxe_depth.log",
    benchmark:
        "results/benchmarks/saxe/saxe_depth.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/saxe_plot_depth.py"


rule saxe_answers:
    input:
        exercise1=rules.saxe_exercise1.output[0],
        tree=rules.saxe_tree_simulation.output.theory,
        code=code_inputs("saxe_answers.py"),
    output:
        "results/answers/saxe.parquet",
    log:
        "results/logs/saxe/saxe_answers.log",
    benchmark:
        "results/benchmarks/saxe/saxe_answers.tsv"
    conda:
        CONDA_ENV
    params:
        # only the keys the answers read, so other Saxe settings do not rerun them
        exercise1=config_slice("saxe.exercise1", "sigma_yx", "eta", "dt", "t_max", "a0"),
        tree=config_slice("saxe.tree", "depth", "branching", "n_features", "epsilon"),
    script:
        "../scripts/saxe_answers.py"
