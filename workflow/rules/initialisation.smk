# Initialisation of deep, recurrent and residual networks (TTIC 31230 "Highways" sheet):
# Problem 1 (one layer, figure init_variance), Problem 2 (UGRNN, ugrnn_gradcheck),
# Problem 3 (residual convolutions, resnet_variance and resnet_small_sigma_grad).


FIGURE_IDS.extend(
    ["init_variance", "ugrnn_gradcheck", "resnet_variance", "resnet_small_sigma_grad"]
)
ANSWER_PARTS.append("results/answers/initialisation.parquet")


rule init_unit_theory:
    input:
        pkg("initialisation", "io"),
    output:
        curves="results/data/init_unit_theory.parquet",
        required="results/data/init_unit_required.parquet",
    log:
        "results/logs/init_unit_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cfg=config["initialisation"]["unit"],
    script:
        "../scripts/init_unit_theory.py"


rule init_unit_simulation:
    input:
        pkg("initialisation", "io"),
    output:
        "results/data/init_unit_simulation.parquet",
    log:
        "results/logs/init_unit_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        cfg=config["initialisation"]["unit"],
        seed=config["seed"],
    script:
        "../scripts/init_unit_simulation.py"


rule init_variance:
    input:
        theory="results/data/init_unit_theory.parquet",
        required="results/data/init_unit_required.parquet",
        simulation="results/data/init_unit_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("init_variance"),
    log:
        "results/logs/init_variance.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/init_plot_variance.py"


rule ugrnn_gradcheck_data:
    input:
        pkg("ugrnn", "io"),
    output:
        "results/data/ugrnn_gradcheck.parquet",
    log:
        "results/logs/ugrnn_gradcheck_data.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cfg=config["initialisation"]["ugrnn"],
        seed=config["seed"],
    script:
        "../scripts/ugrnn_gradcheck_data.py"


rule ugrnn_gradcheck:
    input:
        data="results/data/ugrnn_gradcheck.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("ugrnn_gradcheck"),
    log:
        "results/logs/ugrnn_gradcheck.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/ugrnn_plot_gradcheck.py"


rule resnet_variance_theory:
    input:
        pkg("resnet", "io"),
    output:
        layers="results/data/resnet_variance_theory.parquet",
        border="results/data/resnet_border_theory.parquet",
    log:
        "results/logs/resnet_variance_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cfg=config["initialisation"]["resnet"],
    script:
        "../scripts/resnet_variance_theory.py"


rule resnet_variance_simulation:
    input:
        pkg("resnet", "io"),
    output:
        layers="results/data/resnet_variance_simulation.parquet",
        border="results/data/resnet_border_simulation.parquet",
    log:
        "results/logs/resnet_variance_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=15,
    params:
        cfg=config["initialisation"]["resnet"],
        seed=config["seed"],
    script:
        "../scripts/resnet_variance_simulation.py"


rule resnet_variance:
    input:
        theory="results/data/resnet_variance_theory.parquet",
        border_theory="results/data/resnet_border_theory.parquet",
        simulation="results/data/resnet_variance_simulation.parquet",
        border_simulation="results/data/resnet_border_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("resnet_variance"),
    log:
        "results/logs/resnet_variance.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/resnet_plot_variance.py"


rule resnet_small_sigma_grad_data:
    input:
        pkg("resnet", "io"),
    output:
        "results/data/resnet_small_sigma_grad.parquet",
    log:
        "results/logs/resnet_small_sigma_grad_data.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        cfg=config["initialisation"]["small_sigma"],
        seed=config["seed"],
    script:
        "../scripts/resnet_small_sigma_grad_data.py"


rule resnet_small_sigma_grad:
    input:
        data="results/data/resnet_small_sigma_grad.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("resnet_small_sigma_grad"),
    log:
        "results/logs/resnet_small_sigma_grad.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/resnet_plot_small_sigma_grad.py"


rule answers_initialisation:
    input:
        unit="results/data/init_unit_simulation.parquet",
        ugrnn="results/data/ugrnn_gradcheck.parquet",
        resnet="results/data/resnet_variance_simulation.parquet",
        border="results/data/resnet_border_simulation.parquet",
        small_sigma="results/data/resnet_small_sigma_grad.parquet",
        code=pkg("initialisation", "resnet", "ugrnn", "answers", "io"),
    output:
        "results/answers/initialisation.parquet",
    log:
        "results/logs/answers_initialisation.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        unit=config["initialisation"]["unit"],
        resnet=config["initialisation"]["resnet"],
        small_sigma=config["initialisation"]["small_sigma"],
    script:
        "../scripts/answers_initialisation.py"
