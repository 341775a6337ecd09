"""C-map at q* for several sigma_w (figure `cmap`) and the comparison q-maps."""

import numpy as np
import pandas as pd

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import meanfield

        log = job.log
        cfg = job.cfg
        which = job.params.which
        if which == "cmap":
            c = np.linspace(-1.0, 1.0, cfg["n_theory"])
            rows = []
            for sw in cfg["sigma_w"]:
                out = meanfield.c_map(c, sw, cfg["sigma_b"], cfg["activation"])
                cs = meanfield.c_star(sw, cfg["sigma_b"], cfg["activation"])
                x1 = meanfield.chi1(sw, cfg["sigma_b"], cfg["activation"])
                rows.append(
                    pd.DataFrame({"sigma_w": sw, "c_in": c, "c_out": out, "c_star": cs, "chi1": x1})
                )
                log.info("sigma_w=%g: c*=%.10f chi1=%.10f", sw, cs, x1)
            frame = pd.concat(rows, ignore_index=True).assign(
                sigma_b=cfg["sigma_b"], activation=cfg["activation"]
            )
        else:
            q = np.linspace(0.0, cfg["q_max"], cfg["n_theory"])
            rows = []
            for act in cfg["activations"]:
                out = meanfield.q_map(q, cfg["sigma_w"], cfg["sigma_b"], act)
                qs = meanfield.q_star(cfg["sigma_w"], cfg["sigma_b"], act)
                rows.append(
                    pd.DataFrame({"activation": act, "q_in": q, "q_out": out, "q_star": qs})
                )
                log.info("%s: q*=%.10f", act, qs)
            frame = pd.concat(rows, ignore_index=True).assign(
                sigma_w=cfg["sigma_w"], sigma_b=cfg["sigma_b"]
            )
        io.write_table(frame, job.output[0], params=job.params)
