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
# the keys of each panel the theory reads (the 1/N coefficients do not depend on the
# simulated widths, network counts or sampler; the exact ReLU curves do on the widths)
FINITE_WIDTH_THEORY_KEYS = {
    "fluctuations": ["activation", "sigma_w", "sigma_b", "depth"],
    "relu": ["widths", "depth_over_width"],
    "shift": ["activation", "sigma_w", "sigma_b", "depth"],
    "correlation": ["activation", "sigma_w", "sigma_b", "c0", "depth"],
}


# the finite_width keys the theory reads: q0 and each panel's theory keys
FINITE_WIDTH_THEORY_CFG = provenance.ConfigSlice(
    {
        **config_slice("finite_width", "q0"),
        **{
            panel: dict(config_slice(f"finite_width.{panel}", *keys))
            for panel, keys in FINITE_WIDTH_THEORY_KEYS.items()
        },
    },
    "finite_width",
)


rule finite_width_simulation:
    input:
        code=code_inputs("finite_width_simulation.py"),
    output:
        "results/data/finite_width/{panel}_N{width}.parquet",
    log:
        "results/logs/finite_width/simulation_{panel}_N{width}.log",
    benchmark:
        "results/benchmarks/finite_width/simulation_{panel}_N{width}.tsv"
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
        # q0 and this panel's keys only: another panel's change reruns none of its jobs
        cfg=lambda wc: config_slice("finite_width", "q0", wc.panel),
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
    benchmark:
        "results/benchmarks/finite_width/theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=FINITE_WIDTH_THEORY_CFG,
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
    benchmark:
        "results/benchmarks/finite_width/figure.tsv"
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
    benchmark:
        "results/benchmarks/finite_width/answers.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("finite_width", "q0", "answer"),
        fluctuations=config_slice("finite_width.fluctuations", "activation"),
    script:
        "../scripts/finite_width_answers.py"
