"""Figure `finite_width`: many random networks of one width for one panel.

Writes per setting and layer the mean of q^l over networks, the variance over networks
and their standard errors (the delta method for the variance, see
:func:`dltheory.finite_width.variance_with_se`). For the ``correlation`` panel the same
columns describe the measured correlation c^l = q_ab / sqrt(q_aa q_bb) of two inputs
(``c0`` their input correlation; NaN in the other panels).
"""

import pandas as pd
import pyarrow as pa

from dltheory import io, seeds

SCHEMA = pa.schema(
    [
        ("panel", pa.string()),
        ("sampler", pa.string()),
        ("activation", pa.string()),
        ("sigma_w", pa.float64()),
        ("sigma_b", pa.float64()),
        ("q0", pa.float64()),
        ("c0", pa.float64()),
        ("width", pa.int64()),
        ("n_networks", pa.int64()),
        ("layer", pa.int64()),
        ("mean", pa.float64()),
        ("mean_se", pa.float64()),
        ("var", pa.float64()),
        ("var_se", pa.float64()),
    ]
)


def simulate(cfg, panel, width, base_seed, log):
    """The rows of one panel and width; setting ``index`` draws the stream
    ``(base_seed, "finite_width", panel, "width", width, "setting", index)``, independent of
    which other jobs run."""
    sub = cfg[panel]
    frames = []
    for index, s in enumerate(finite_width.panel_settings(cfg, panel, width)):
        args = (s["sigma_w"], s["sigma_b"], width, s["depth"], int(sub["n_networks"]))
        kwargs = {
            "activation": s["activation"],
            "q0": s["q0"],
            "seed": seeds.derive(
                base_seed, "finite_width", panel, "width", width, "setting", index
            ),
            "sampler": sub["sampler"],
        }
        if panel == "correlation":
            qa, qb, qab = finite_width.simulate_pairs(*args, c0=s["c0"], **kwargs)
            q = qab / (qa * qb) ** 0.5  # the measured correlation c^l per network
        else:
            q = finite_width.simulate_lengths(*args, **kwargs)
        stats = finite_width.summarise_lengths(q)
        frames.append(
            pd.DataFrame(
                {
                    "panel": panel,
                    "sampler": sub["sampler"],
                    **{k: s[k] for k in ("activation", "sigma_w", "sigma_b", "q0")},
                    "c0": s.get("c0", float("nan")),
                    "width": width,
                    "n_networks": q.shape[0],
                    "layer": range(1, s["depth"] + 1),
                    **stats,
                }
            )
        )
        log.info(
            "%s N=%d %s sigma_w=%.4f sigma_b=%g: %d nets x %d layers (%s)",
            panel, width, s["activation"], s["sigma_w"], s["sigma_b"], q.shape[0],
            s["depth"], sub["sampler"],
        )  # fmt: skip
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import finite_width

        panel, width = job.wildcards.panel, int(job.wildcards.width)
        table = simulate(job.cfg, panel, width, job.base_seed, job.log)
        io.write_table(table, job.output[0], schema=SCHEMA, params=job.params)
