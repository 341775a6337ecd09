# Trainability on real data (Schoenholz et al. 2017, Sec. 6): accuracy of tanh
# networks trained from random initialisation over (sigma_w^2, depth L), against the
# mean-field bound L < 6 xi_c, without and with dropout. The sweep is one job per
# (keep probability, depth, group of seeds), each training every sigma_w^2 of its group
# together, so an interrupted sweep resumes and a cluster spreads it; a merge rule per
# figure collects the chunks. Intermediates in results/data/trainability/.


from dltheory import training_data

ANSWER_PARTS.append("results/answers/trainability.parquet")

TRAINABILITY = config["trainability"]
TRAINABILITY_VARIANTS = ["plain", "dropout"]
# the keys of `trainability` a sweep chunk reads (its depth, keep probability and seeds
# come from the wildcards, its sigma_w^2 from the plan): adding seeds reruns no
# finished chunk
TRAINABILITY_TRAINING_KEYS = [
    "data",
    "sigma_b2",
    "width",
    "batch",
    "steps",
    "optimizer",
    "lr",
]


# the IDX files the data are read from (none for the bundled digits): inputs of the
# rules that read the data
TRAINABILITY_DATA_FILES = training_data.idx_input_files(TRAINABILITY["data"])
# file name -> SHA-256 of each IDX file ({} for the digits): a param of every rule that
# reads the data, so that replacing a file reruns the data check and everything
# downstream; the chunks record it, and the merge (same param) refuses other data
TRAINABILITY_DATA = {
    Path(path).name: provenance.file_digest(path) for path in TRAINABILITY_DATA_FILES
}

# seeds 0..n_seeds-1 in consecutive groups of seeds_per_job, one job each
TRAINABILITY_SEED_GROUPS = [
    list(range(i, min(i + TRAINABILITY["seeds_per_job"], TRAINABILITY["n_seeds"])))
    for i in range(0, TRAINABILITY["n_seeds"], TRAINABILITY["seeds_per_job"])
]
# (keep probabilities, depths) of each figure's sweep
TRAINABILITY_GRID = {
    "plain": ([1.0], TRAINABILITY["depths"]),
    "dropout": (
        TRAINABILITY["dropout"]["keep_probs"],
        TRAINABILITY["dropout"]["depths"],
    ),
}
# every chunk table of each figure's sweep
TRAINABILITY_CHUNKS = {
    variant: [
        f"results/data/trainability/runs/keep{kp:g}_L{depth}_g{group}.parquet"
        for kp in keep_probs
        for depth in depths
        for group in range(len(TRAINABILITY_SEED_GROUPS))
    ]
    for variant, (keep_probs, depths) in TRAINABILITY_GRID.items()
}
# per depth, for the largest seed group: float32 parameters x 4 (values, gradients,
# RMSProp state, initial draws), activations kept by autograd, the no_grad evaluation in
# blocks of 2048, plus 800 MB for the interpreter (mem_mb); and minutes at 4 GFLOP/s per
# thread, 6 B N^2 flops per layer and step (one free core does ~20, a shared one less).
# A sweep job asks for this estimate itself (times the attempt), so its mem_mb grows with
# the config and needs no MEMORY.budget check against a fixed value.
TRAINABILITY_NETS = len(TRAINABILITY["sigma_w2"]) * TRAINABILITY["seeds_per_job"]
TRAINABILITY_MEM_MB = {
    depth: 800
    + 4
    * TRAINABILITY_NETS
    * (
        4
        * (784 + (depth - 1) * TRAINABILITY["width"] + depth + 11)
        * TRAINABILITY["width"]
        + 3 * (TRAINABILITY["batch"] * (depth + 1) + 2048) * TRAINABILITY["width"]
    )
    // 2**20
    for depth in TRAINABILITY["depths"] + TRAINABILITY["dropout"]["depths"]
}
TRAINABILITY_RUNTIME = {
    depth: 10
    + 6
    * TRAINABILITY_NETS
    * TRAINABILITY["batch"]
    * TRAINABILITY["width"] ** 2
    * depth
    * TRAINABILITY["steps"]
    // (4e9 * TRAINABILITY["threads"] * 60)
    for depth in TRAINABILITY["depths"] + TRAINABILITY["dropout"]["depths"]
}


rule trainability_data_check:
    input:
        idx=TRAINABILITY_DATA_FILES,
        code=code_inputs("trainability_data_check.py"),
    output:
        "results/data/trainability/data.parquet",
    log:
        "results/logs/trainability/data_check.log",
    benchmark:
        "results/benchmarks/trainability/data_check.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=MEMORY.budget(
            "trainability_data_check", 4000, memory.trainability_data_check
        ),
    params:
        cfg=config_slice("trainability.data"),
        data=TRAINABILITY_DATA,
        seed=config["seed"],
    script:
        "../scripts/trainability_data_check.py"


# which (sigma_w^2, depth) cells each figure's sweep trains: those near the predicted
# boundary L = 6 xi_c, the shallowest depth everywhere, the deepest where it should train
rule trainability_plan:
    input:
        code=code_inputs("trainability_plan.py"),
    output:
        "results/data/trainability/plan.parquet",
    log:
        "results/logs/trainability/plan.log",
    benchmark:
        "results/benchmarks/trainability/plan.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice(
            "trainability", "sigma_b2", "sigma_w2", "depths", "sample_within"
        ),
        dropout=config_slice("trainability.dropout", "keep_probs", "depths"),
    script:
        "../scripts/trainability_plan.py"


rule trainability_sweep:
    input:
        data=rules.trainability_data_check.output[0],
        plan=rules.trainability_plan.output[0],
        idx=TRAINABILITY_DATA_FILES,
        code=code_inputs("trainability_sweep.py"),
    output:
        "results/data/trainability/runs/keep{keep_prob}_L{depth}_g{group}.parquet",
    log:
        "results/logs/trainability/sweep_keep{keep_prob}_L{depth}_g{group}.log",
    benchmark:
        "results/benchmarks/trainability/sweep_keep{keep_prob}_L{depth}_g{group}.tsv"
    wildcard_constraints:
        keep_prob=r"[0-9.]+",
        depth=r"\d+",
        group=r"\d+",
    conda:
        CONDA_ENV
    threads: TRAINABILITY["threads"]
    resources:
        mem_mb=lambda wc, attempt: TRAINABILITY_MEM_MB[int(wc.depth)] * attempt,
        runtime=lambda wc, attempt: int(TRAINABILITY_RUNTIME[int(wc.depth)]) * attempt,
    params:
        cfg=config_slice("trainability", *TRAINABILITY_TRAINING_KEYS),
        data=TRAINABILITY_DATA,
        seeds=lambda wc: TRAINABILITY_SEED_GROUPS[int(wc.group)],
        seed=config["seed"],
    script:
        "../scripts/trainability_sweep.py"


rule trainability_merge:
    input:
        chunks=lambda wc: TRAINABILITY_CHUNKS[wc.variant],
        code=code_inputs("trainability_merge.py"),
    output:
        "results/data/trainability/runs_{variant}.parquet",
    log:
        "results/logs/trainability/merge_{variant}.log",
    benchmark:
        "results/benchmarks/trainability/merge_{variant}.tsv"
    wildcard_constraints:
        variant="|".join(TRAINABILITY_VARIANTS),
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("trainability", *TRAINABILITY_TRAINING_KEYS),
        # the same digests: the merge refuses a chunk trained on other data
        data=TRAINABILITY_DATA,
    script:
        "../scripts/trainability_merge.py"


rule trainability_theory:
    input:
        code=code_inputs("trainability_theory.py"),
    output:
        "results/data/trainability/theory.parquet",
    log:
        "results/logs/trainability/theory.log",
    benchmark:
        "results/benchmarks/trainability/theory.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("trainability", "sigma_b2", "sigma_w2", "n_theory"),
        # the curves of keep probability 1 (no dropout) and of each dropout keep probability
        dropout=config_slice("trainability.dropout", "keep_probs"),
    script:
        "../scripts/trainability_theory.py"


rule trainability:
    input:
        caption=caption_template("trainability"),
        runs="results/data/trainability/runs_plain.parquet",
        plan=rules.trainability_plan.output[0],
        data=rules.trainability_data_check.output[0],
        theory=rules.trainability_theory.output[0],
        code=code_inputs("trainability_plot.py"),
    output:
        figure_outputs("trainability"),
    log:
        "results/logs/trainability/trainability.log",
    benchmark:
        "results/benchmarks/trainability/trainability.tsv"
    conda:
        CONDA_ENV
    script:
        "../scripts/trainability_plot.py"


use rule trainability as trainability_dropout with:
    input:
        caption=caption_template("trainability_dropout"),
        runs="results/data/trainability/runs_dropout.parquet",
        plan=rules.trainability_plan.output[0],
        data=rules.trainability_data_check.output[0],
        theory=rules.trainability_theory.output[0],
        code=code_inputs("trainability_plot.py"),
    output:
        figure_outputs("trainability_dropout"),
    log:
        "results/logs/trainability/trainability_dropout.log",
    benchmark:
        "results/benchmarks/trainability/trainability_dropout.tsv"


rule answers_trainability:
    input:
        plain="results/data/trainability/runs_plain.parquet",
        dropout="results/data/trainability/runs_dropout.parquet",
        plan=rules.trainability_plan.output[0],
        theory=rules.trainability_theory.output[0],
        code=code_inputs("trainability_answers.py"),
    output:
        "results/answers/trainability.parquet",
    log:
        "results/logs/trainability/answers.log",
    benchmark:
        "results/benchmarks/trainability/answers.tsv"
    conda:
        CONDA_ENV
    params:
        cfg=config_slice("trainability", "sigma_b2"),
    script:
        "../scripts/trainability_answers.py"
