# Beyond mean field: finite-width (1/N) corrections to the length map
# (Roberts, Yaida and Hanin 2022, chs. 4-5), many narrow random networks against the
# 1/N theory. One simulation job per panel and width. Intermediates in
# results/data/finite_width/.


ANSWER_PARTS.append("results/answers/finite_width.parquet")

FINITE_WIDTH_PANELS = ["fluctuations", "relu", "shift", "correlation"]
# every (panel, width) simulation table of figure `finite_width`
FINITE_WIDTH_CHUNKS = [
    f"results/data/finite_width/{panel}_N{width}.parquet"
    for panel in FINITE_WIDTH_PANELS
    for width in config["finite_width"][panel]["widths"]
]


rule finite_width_simulation:
    input:
        code=code_inputs("finite_width_simulation.py"),
    output:
        "results/data/finite_width/{panel}_N{width}.parquet",
    log:
        "results/logs/finite_width/simulation_{panel}_N{width}.log",
    wildcard_constraints:
        panel="|".join(FINITE_WIDTH_PANELS),
        width=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "finite_width_simulation", 2000, memory.finite_width_simulation
        ),
        runtime=120,
    params:
        cfg=config_slice("finite_width"),
        seed=config["seed"],
    script:
        "../scripts/finite_width_simulation.py"


rule finite_width_theory:
    input:
        code=code_inputs("finite_width_theory.py"),
    output:
        "results/data/finite_width/theory.parquet",
    log:
        "results/logs/finite_width/theory.log",
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("finite_width"),
    script:
        "../scripts/finite_width_theory.py"


rule finite_width:
    input:
        caption=caption_template("finite_width"),
        simulation=FINITE_WIDTH_CHUNKS,
        theory=rules.finite_width_theory.output[0],
        code=code_inputs("finite_width_plot.py"),
    output:
        figure_outputs("finite_width"),
    log:
        "results/logs/finite_width/figure.log",
    conda:
        CONDA_ENV
    script:
        "../scripts/finite_width_plot.py"


rule answers_finite_width:
    input:
        simulation=FINITE_WIDTH_CHUNKS,
        theory=rules.finite_width_theory.output[0],
        code=code_inputs("finite_width_answers.py"),
    output:
        "results/answers/finite_width.parquet",
    log:
        "results/logs/finite_width/answers.log",
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("finite_width"),
    script:
        "../scripts/finite_width_answers.py"
