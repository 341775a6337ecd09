# Trainability on real data (Schoenholz et al. 2017, Sec. 6; issue 11): accuracy of tanh
# networks trained from random initialisation over (sigma_w^2, depth L), against the
# mean-field bound L < 6 xi_c, without and with dropout. The sweep is one job per
# (keep probability, depth, group of seeds), each training every sigma_w^2 of its group
# together, so an interrupted sweep resumes and a cluster spreads it; a merge rule per
# figure collects the chunks. Intermediates in results/data/trainability/.


FIGURE_IDS.extend(["trainability", "trainability_dropout"])
ANSWER_PARTS.append("results/answers/trainability.parquet")

TRAINABILITY_VARIANTS = ["plain", "dropout"]
#: keys of config["trainability"] that change what a training job computes
TRAINABILITY_TRAINING_KEYS = [
    "data",
    "sigma_b2",
    "sigma_w2",
    "width",
    "batch",
    "steps",
    "optimizer",
    "lr",
]


def trainability_training_cfg():
    """The config slice a sweep chunk reads (depths and seeds come from its wildcards)."""
    return {k: config["trainability"][k] for k in TRAINABILITY_TRAINING_KEYS}


def trainability_grid(variant):
    """(keep probabilities, depths) of one figure's sweep."""
    cfg = config["trainability"]
    if variant == "plain":
        return [1.0], cfg["depths"]
    return cfg["dropout"]["keep_probs"], cfg["dropout"]["depths"]


def trainability_seed_groups():
    """Seeds 0..n_seeds-1 split into consecutive groups of seeds_per_job (one job each)."""
    n, per = config["trainability"]["n_seeds"], config["trainability"]["seeds_per_job"]
    return [list(range(i, min(i + per, n))) for i in range(0, n, per)]


def trainability_seeds(wildcards):
    return trainability_seed_groups()[int(wildcards.group)]


def trainability_chunks(wildcards):
    """Every chunk table of one figure's sweep (variant = plain or dropout)."""
    keep_probs, depths = trainability_grid(wildcards.variant)
    return [
        f"results/data/trainability/runs/keep{kp:g}_L{depth}_g{group}.parquet"
        for kp in keep_probs
        for depth in depths
        for group in range(len(trainability_seed_groups()))
    ]


def trainability_mem_mb(wildcards, attempt):
    """Peak memory of a chunk: parameters x 4 (values, gradients, RMSProp state, the
    initial draws) and the activations autograd keeps, float32, plus the interpreter."""
    cfg = config["trainability"]
    nets = len(cfg["sigma_w2"]) * len(trainability_seeds(wildcards))
    width, depth = cfg["width"], int(wildcards.depth)
    per_net = 784 * width + (depth - 1) * width**2 + (depth + 11) * width
    params = nets * per_net
    activations = nets * cfg["batch"] * width * (depth + 1) * 3
    # evaluation: no_grad passes over the data in blocks of 2048
    evaluation = nets * 2048 * width * 3
    return int(800 + 4 * (4 * params + activations + evaluation) / 2**20) * attempt


def trainability_runtime(wildcards, attempt):
    """Minutes for a chunk at 4 GFLOP/s per thread (6 B N^2 flops per layer and step;
    one free core does ~20, a shared one a quarter of that)."""
    cfg = config["trainability"]
    nets = len(cfg["sigma_w2"]) * len(trainability_seeds(wildcards))
    per_step = 6 * nets * cfg["batch"] * cfg["width"] ** 2 * int(wildcards.depth)
    seconds = per_step * cfg["steps"] / (4e9 * cfg["threads"])
    return int(10 + seconds / 60) * attempt


rule trainability_data_check:
    output:
        "results/data/trainability/data.parquet",
    log:
        "results/logs/trainability/data_check.log",
    resources:
        mem_mb=4000,
    params:
        cfg=config["trainability"]["data"],
        seed=config["seed"],
    script:
        "../scripts/trainability_data_check.py"


rule trainability_sweep:
    input:
        data=rules.trainability_data_check.output[0],
    output:
        "results/data/trainability/runs/keep{keep_prob}_L{depth}_g{group}.parquet",
    log:
        "results/logs/trainability/sweep_keep{keep_prob}_L{depth}_g{group}.log",
    wildcard_constraints:
        keep_prob=r"[0-9.]+",
        depth=r"\d+",
        group=r"\d+",
    threads: config["trainability"]["threads"]
    resources:
        mem_mb=trainability_mem_mb,
        runtime=trainability_runtime,
    params:
        cfg=trainability_training_cfg(),
        seeds=trainability_seeds,
        seed=config["seed"],
    script:
        "../scripts/trainability_sweep.py"


rule trainability_merge:
    input:
        chunks=trainability_chunks,
    output:
        "results/data/trainability/runs_{variant}.parquet",
    log:
        "results/logs/trainability/merge_{variant}.log",
    wildcard_constraints:
        variant="|".join(TRAINABILITY_VARIANTS),
    params:
        cfg=trainability_training_cfg(),
    script:
        "../scripts/trainability_merge.py"


rule trainability_theory:
    output:
        "results/data/trainability/theory.parquet",
    log:
        "results/logs/trainability/theory.log",
    params:
        cfg={
            "sigma_b2": config["trainability"]["sigma_b2"],
            "sigma_w2": config["trainability"]["sigma_w2"],
            "keep_probs": [1.0] + config["trainability"]["dropout"]["keep_probs"],
            "n_theory": config["trainability"]["n_theory"],
        },
    script:
        "../scripts/trainability_theory.py"


rule trainability:
    input:
        runs="results/data/trainability/runs_plain.parquet",
        theory=rules.trainability_theory.output[0],
    output:
        figure_outputs("trainability"),
    log:
        "results/logs/trainability/trainability.log",
    params:
        cfg=config["trainability"],
    script:
        "../scripts/trainability_plot.py"


use rule trainability as trainability_dropout with:
    input:
        runs="results/data/trainability/runs_dropout.parquet",
        theory=rules.trainability_theory.output[0],
    output:
        figure_outputs("trainability_dropout"),
    log:
        "results/logs/trainability/trainability_dropout.log",


rule answers_trainability:
    input:
        plain="results/data/trainability/runs_plain.parquet",
        dropout="results/data/trainability/runs_dropout.parquet",
        theory=rules.trainability_theory.output[0],
    output:
        "results/answers/trainability.parquet",
    log:
        "results/logs/trainability/answers.log",
    params:
        cfg=config["trainability"],
    script:
        "../scripts/trainability_answers.py"
