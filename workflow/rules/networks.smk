# Random deep networks in PyTorch (issue 5): simulated signal propagation against the
# mean-field theory (Poole et al. 2016, Sheet 2) and free probability (Pennington 2017).


FIGURE_IDS.extend(
    ["q_dynamics", "qstar_empirical", "trajectory_length", "jacobian_spectrum"]
)
ANSWER_PARTS.append("results/answers/networks.parquet")


rule networks_qstar_simulation:
    input:
        pkg("networks", "activations", "io"),
    output:
        "results/data/networks_qstar_simulation.parquet",
    log:
        "results/logs/networks_qstar_simulation.log",
    conda:
        "../../envs/science.yaml"
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
        simulation="results/data/networks_qstar_simulation.parquet",
        code=pkg("meanfield", "networks", "style", "io"),
    output:
        figure_outputs("qstar_empirical"),
    log:
        "results/logs/qstar_empirical.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["qstar_empirical"],
    script:
        "../scripts/networks_plot_qstar_empirical.py"


rule networks_q_dynamics_simulation:
    input:
        pkg("networks", "activations", "io"),
    output:
        "results/data/networks_q_dynamics_simulation.parquet",
    log:
        "results/logs/networks_q_dynamics_simulation.log",
    conda:
        "../../envs/science.yaml"
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
    input:
        pkg("meanfield", "networks", "activations", "io"),
    output:
        "results/data/networks_q_dynamics_theory.parquet",
    log:
        "results/logs/networks_q_dynamics_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["q_dynamics"],
    script:
        "../scripts/networks_q_dynamics_theory.py"


rule q_dynamics:
    input:
        theory="results/data/networks_q_dynamics_theory.parquet",
        simulation="results/data/networks_q_dynamics_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("q_dynamics"),
    log:
        "results/logs/q_dynamics.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_q_dynamics.py"


rule networks_trajectory_simulation:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_trajectory_simulation.parquet",
    log:
        "results/logs/networks_trajectory_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cfg=config["networks"]["trajectory_length"],
        seed=config["seed"],
    script:
        "../scripts/networks_trajectory_simulation.py"


rule networks_trajectory_theory:
    input:
        pkg("networks", "meanfield", "activations", "io"),
    output:
        "results/data/networks_trajectory_theory.parquet",
    log:
        "results/logs/networks_trajectory_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["trajectory_length"],
    script:
        "../scripts/networks_trajectory_theory.py"


rule trajectory_length:
    input:
        theory="results/data/networks_trajectory_theory.parquet",
        simulation="results/data/networks_trajectory_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("trajectory_length"),
    log:
        "results/logs/trajectory_length.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["trajectory_length"],
    script:
        "../scripts/networks_plot_trajectory_length.py"


rule networks_jacobian_simulation:
    input:
        pkg("networks", "isometry", "meanfield", "activations", "io"),
    output:
        "results/data/networks_jacobian_simulation.parquet",
    log:
        "results/logs/networks_jacobian_simulation.log",
    conda:
        "../../envs/science.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        cfg=config["networks"]["jacobian_spectrum"],
        seed=config["seed"],
    script:
        "../scripts/networks_jacobian_simulation.py"


rule networks_jacobian_theory:
    input:
        pkg("isometry", "meanfield", "activations", "io"),
    output:
        "results/data/networks_jacobian_theory.parquet",
    log:
        "results/logs/networks_jacobian_theory.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["jacobian_spectrum"],
    script:
        "../scripts/networks_jacobian_theory.py"


rule jacobian_spectrum:
    input:
        theory="results/data/networks_jacobian_theory.parquet",
        simulation="results/data/networks_jacobian_simulation.parquet",
        code=pkg("style", "io"),
    output:
        figure_outputs("jacobian_spectrum"),
    log:
        "results/logs/jacobian_spectrum.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/networks_plot_jacobian_spectrum.py"


rule answers_networks:
    input:
        qstar="results/data/networks_qstar_simulation.parquet",
        dw_traces="results/data/networks_dw_traces.parquet",
        dw_theory="results/data/networks_dw_theory.parquet",
        code=pkg("meanfield", "networks", "answers", "io"),
    output:
        "results/answers/networks.parquet",
    log:
        "results/logs/answers_networks.log",
    conda:
        "../../envs/science.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        cfg=config["networks"]["qstar_empirical"],
    script:
        "../scripts/networks_answers.py"
