# Initialisation of deep, recurrent and residual networks (TTIC 31230 "Highways" sheet):
# Problem 1 (one layer, init_variance), Problem 2 (UGRNN, ugrnn_gradcheck), Problem 3
# (residual convolutions, resnet_variance and resnet_small_sigma_grad).
# Intermediates in results/data/ttic/.


ANSWER_PARTS.append("results/answers/initialisation.parquet")


rule init_unit_theory:
    input:
        code=code_inputs("init_unit_theory.py"),
    output:
        curves="results/data/ttic/init_unit_theory.parquet",
        required="results/data/ttic/init_unit_required.parquet",
    log:
        "results/logs/ttic/init_unit_theory.log",
    benchmark:
        "results/benchmarks/ttic/init_unit_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("initialisation.unit", "d_x", "n_theory"),
    script:
        "../scripts/init_unit_theory.py"


rule init_unit_simulation:
    input:
        code=code_inputs("init_unit_simulation.py"),
    output:
        "results/data/ttic/init_unit_simulation.parquet",
    log:
        "results/logs/ttic/init_unit_simulation.log",
    benchmark:
        "results/benchmarks/ttic/init_unit_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget("init_unit_simulation", 2000, memory.init_unit_simulation),
    params:
        cfg=config_slice("initialisation.unit", "d_x", "sigma_dx", "n_samples"),
        seed=config["seed"],
    script:
        "../scripts/init_unit_simulation.py"


rule init_variance:
    input:
        caption=caption_template("init_variance"),
        theory=rules.init_unit_theory.output.curves,
        required=rules.init_unit_theory.output.required,
        simulation=rules.init_unit_simulation.output[0],
        code=code_inputs("init_plot_variance.py"),
    output:
        figure_outputs("init_variance"),
    log:
        "results/logs/ttic/init_variance.log",
    benchmark:
        "results/benchmarks/ttic/init_variance.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/init_plot_variance.py"


rule ugrnn_gradcheck_data:
    input:
        code=code_inputs("ugrnn_gradcheck_data.py"),
    output:
        "results/data/ttic/ugrnn_gradcheck.parquet",
    log:
        "results/logs/ttic/ugrnn_gradcheck_data.log",
    benchmark:
        "results/benchmarks/ttic/ugrnn_gradcheck_data.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("initialisation.ugrnn", "n_in", "n_hidden", "steps", "batch"),
        seed=config["seed"],
    script:
        "../scripts/ugrnn_gradcheck_data.py"


rule ugrnn_gradcheck:
    input:
        caption=caption_template("ugrnn_gradcheck"),
        data=rules.ugrnn_gradcheck_data.output[0],
        code=code_inputs("ugrnn_plot_gradcheck.py"),
    output:
        figure_outputs("ugrnn_gradcheck"),
    log:
        "results/logs/ttic/ugrnn_gradcheck.log",
    benchmark:
        "results/benchmarks/ttic/ugrnn_gradcheck.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/ugrnn_plot_gradcheck.py"


rule resnet_variance_theory:
    input:
        code=code_inputs("resnet_variance_theory.py"),
    output:
        layers="results/data/ttic/resnet_variance_theory.parquet",
        border="results/data/ttic/resnet_border_theory.parquet",
    log:
        "results/logs/ttic/resnet_variance_theory.log",
    benchmark:
        "results/benchmarks/ttic/resnet_variance_theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "initialisation.resnet",
            "n_layers",
            "n_filter",
            "channels",
            "image",
            "sigma_w",
        ),
    script:
        "../scripts/resnet_variance_theory.py"


rule resnet_variance_simulation:
    input:
        code=code_inputs("resnet_variance_simulation.py"),
    output:
        layers="results/data/ttic/resnet_variance_simulation.parquet",
        border="results/data/ttic/resnet_border_simulation.parquet",
    log:
        "results/logs/ttic/resnet_variance_simulation.log",
    benchmark:
        "results/benchmarks/ttic/resnet_variance_simulation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "resnet_variance_simulation", 3000, memory.resnet_variance_simulation
        ),
        runtime=15,
    params:
        cfg=config_slice(
            "initialisation.resnet",
            "n_layers",
            "n_filter",
            "channels",
            "image",
            "batch",
            "n_networks",
            "sigma_w",
        ),
        seed=config["seed"],
    script:
        "../scripts/resnet_variance_simulation.py"


rule resnet_variance:
    input:
        caption=caption_template("resnet_variance"),
        theory=rules.resnet_variance_theory.output.layers,
        border_theory=rules.resnet_variance_theory.output.border,
        simulation=rules.resnet_variance_simulation.output.layers,
        border_simulation=rules.resnet_variance_simulation.output.border,
        code=code_inputs("resnet_plot_variance.py"),
    output:
        figure_outputs("resnet_variance"),
    log:
        "results/logs/ttic/resnet_variance.log",
    benchmark:
        "results/benchmarks/ttic/resnet_variance.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/resnet_plot_variance.py"


rule resnet_small_sigma_grad_data:
    input:
        code=code_inputs("resnet_small_sigma_grad_data.py"),
    output:
        "results/data/ttic/resnet_small_sigma_grad.parquet",
    log:
        "results/logs/ttic/resnet_small_sigma_grad_data.log",
    benchmark:
        "results/benchmarks/ttic/resnet_small_sigma_grad_data.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "initialisation.small_sigma",
            "n_layers",
            "channels",
            "n_filter",
            "image",
            "batch",
            "sigma_w",
        ),
        seed=config["seed"],
    script:
        "../scripts/resnet_small_sigma_grad_data.py"


rule resnet_small_sigma_grad:
    input:
        caption=caption_template("resnet_small_sigma_grad"),
        data=rules.resnet_small_sigma_grad_data.output[0],
        code=code_inputs("resnet_plot_small_sigma_grad.py"),
    output:
        figure_outputs("resnet_small_sigma_grad"),
    log:
        "results/logs/ttic/resnet_small_sigma_grad.log",
    benchmark:
        "results/benchmarks/ttic/resnet_small_sigma_grad.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/resnet_plot_small_sigma_grad.py"


rule answers_initialisation:
    input:
        unit=rules.init_unit_simulation.output[0],
        ugrnn=rules.ugrnn_gradcheck_data.output[0],
        resnet=rules.resnet_variance_simulation.output.layers,
        border=rules.resnet_variance_simulation.output.border,
        small_sigma=rules.resnet_small_sigma_grad_data.output[0],
        code=code_inputs("answers_initialisation.py"),
    output:
        "results/answers/initialisation.parquet",
    log:
        "results/logs/ttic/answers_initialisation.log",
    benchmark:
        "results/benchmarks/ttic/answers_initialisation.tsv"
    conda:
        CONDA_ENV
    params:
        unit=config_slice("initialisation.unit", "d_x", "n_samples"),
        resnet=config_slice(
            "initialisation.resnet", "n_layers", "n_filter", "channels", "image"
        ),
        small_sigma=config_slice(
            "initialisation.small_sigma", "channels", "n_filter", "n_layers"
        ),
    script:
        "../scripts/answers_initialisation.py"
