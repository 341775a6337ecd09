"""Exercise 2.3/2.4: deep linear and ReLU nets on hierarchical tree data, all seeds batched.

Rule saxe_tree_simulation trains at ``network.lr``; rule saxe_tree_wide_simulation also
passes ``tree_wide`` (and no ``tree.branching``, ``network.n_seeds``, ``network.epochs`` or
``network.lr``): its branching, seeds and epochs take their place, and it trains at
``tree_wide.lr_fraction`` times the largest stable rate (scan from below,
:func:`dltheory.saxe.largest_stable_lr`), writing the probes to ``lr_search``.
"""

import time

import numpy as np

from dltheory import io, seeds

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import saxe

        log = job.log
        tree, net = dict(job.params.tree), dict(job.params.network)
        wide = job.params.get("tree_wide")
        if wide is not None:
            tree["branching"] = wide["branching"]
            net.update(n_seeds=wide["n_seeds"], epochs=wide["epochs"])
        nets = dict(
            depth=tree["depth"],
            branching=tree["branching"],
            n_features=tree["n_features"],
            epsilon=tree["epsilon"],
            hidden_units=net["hidden_units"],
            variants=net["variants"],
            n_seeds=net["n_seeds"],
            init_std=net["init_std"],
            # the stream "saxe_tree": the same tree data as saxe_depth_simulation
            seed=seeds.derive(job.base_seed, "saxe_tree"),
        )
        if wide is None:
            lr = net["lr"]
        else:
            search = wide["lr_search"]
            start = time.perf_counter()
            limit, probes = saxe.largest_stable_lr(
                **nets,
                lr_low=search["low"],
                lr_high=search["high"],
                step=search["step"],
                epochs=search["epochs"],
            )
            lr = wide["lr_fraction"] * limit
            _, y = saxe.tree_data(
                tree["depth"], tree["branching"], tree["n_features"], tree["epsilon"], nets["seed"]
            )
            s_data = np.linalg.svd(y, compute_uv=False)
            n_layers = len(net["hidden_units"]) + 1
            flow = saxe.gradient_flow_lr_limit(s_data[0], n_layers, tree["n_features"])
            log.info(
                "largest stable rate (scan from below, %d probes of %d epochs, %d nets, %.1f "
                "s):\n%s",
                len(probes),
                search["epochs"],
                net["n_seeds"] * len(net["variants"]),
                time.perf_counter() - start,
                probes.to_string(index=False),
            )
            log.info(
                "limit %.4g (every rate from %g up to it stable, %.4g diverges by epoch %d); "
                "training at %g x %.4g = %.4g. "
                "Full-batch gradient-descent limit F/(N_l s_max^(2-2/N_l)) = %.4g (s_max = %.2f, "
                "N_l = %d): per-sample SGD is stable %.1f times above it",
                limit,
                search["low"],
                probes["lr"].iloc[-1],
                probes["epoch"].iloc[-1],
                wide["lr_fraction"],
                limit,
                lr,
                flow,
                s_data[0],
                n_layers,
                limit / flow,
            )
            io.write_table(
                probes.assign(limit=limit, lr_used=lr, gradient_flow_limit=flow),
                job.output.lr_search,
                params=job.params,
            )
        start = time.perf_counter()
        curves, theory = saxe.tree_experiment(**nets, epochs=net["epochs"], lr=lr)
        log.info(
            "trained %d nets x %d epochs in %.1f s",
            net["n_seeds"] * len(net["variants"]),
            net["epochs"],
            time.perf_counter() - start,
        )
        log.info(
            "half-learning epochs:\n%s",
            theory.groupby(["variant", "mode"])[["s", "t_half", "t_theory"]].mean().to_string(),
        )
        io.write_table(curves, job.output.curves, params=job.params)
        io.write_table(theory, job.output.theory, params=job.params)
