"""Answers of the TTIC 31230 "Highways" sheet (initialisation), each with its check."""

import numpy as np

from dltheory import io

if __name__ == "__main__":
    if "snakemake" not in globals():  # run alone: python <this script> [rule] [--configfile F]
        snakemake = io.mock_snakemake_from_argv(__file__)
    with io.job(snakemake) as job:
        from dltheory import initialisation, resnet, ugrnn
        from dltheory.answers import Answer, write_part

        log = job.log
        SHEET = (
            "TTIC 31230 Highways problems: initialisation of deep, recurrent and residual networks"
        )
        AMBIGUITY = (
            "The sheet says 'variance sigma'; we follow it (sigma is a variance). Read as a "
            "standard "
            "deviation, the answer is its square root."
        )
        unit = io.read_table(job.input.unit)
        grads = io.read_table(job.input.ugrnn)
        res = io.read_table(job.input.resnet)
        border = io.read_table(job.input.border)
        small = io.read_table(job.input.small_sigma)
        rcfg, scfg, ucfg = job.params.resnet, job.params.small_sigma, job.params.unit
        rows = []

        def add(id_, question, answer, value=np.nan, formula="", check=""):
            rows.append(
                Answer(f"ttic_{id_}", SHEET, question, answer, float(value), formula, check)
            )

        # ---- Problem 1 ------------------------------------------------------------------------
        exact = unit[unit["point"] == "answer_1b_exact"]
        exact_big = exact[exact["d_x"] == exact["d_x"].max()].iloc[0]
        a1 = unit[unit["point"] == "answer_1a"]
        z1 = ((a1["var_u"] - 1) / a1["se_var_u"]).abs().max()
        zm = (a1["mean_u"] / a1["se_mean_u"]).abs().max()
        dx = ", ".join(str(d) for d in ucfg["d_x"])
        n = ucfg["n_samples"]
        add(
            "p1a_weight_variance",
            "P1(a) weight variance sigma giving u = Wx + b (b = 0) zero mean and unit variance",
            f"sigma = 1/d_x (std 1/sqrt(d_x)). E u_i = sum_j E W_ij E x_j = 0 and Var u_i = "
            f"sum_j E W_ij^2 E x_j^2 = d_x sigma = 1. {AMBIGUITY}",
            value=1.0,
            formula="Var u_i = d_x sigma  =>  sigma = 1/d_x (value: sigma d_x)",
            check="init_unit_simulation (figure init_variance a): Monte Carlo over x ~ N(0,I) "
            "and W, "
            f"{n} draws per point, d_x in {{{dx}}}: at sigma = 1/d_x Var u = "
            f"{', '.join(f'{v:.4f}' for v in a1['var_u'])} (max |z| = {z1:.2f} s.e.), "
            f"and E u = 0 within max |z| = {zm:.2f} s.e.",
        )
        mean_th, _ = initialisation.relu_moments(exact["sigma"], exact["d_x"], exact=True)
        zb = ((exact["b_prime"] - mean_th) / exact["se_b_prime"]).abs().max()
        zv = ((exact["var_u_prime"] - 1) / exact["se_var_u_prime"]).abs().max()
        _, var_all = initialisation.relu_moments(unit["sigma"], unit["d_x"], exact=True)
        z_all = ((unit["var_u_prime"] - var_all) / unit["se_var_u_prime"]).abs().max()
        add(
            "p1b_relu_mean",
            "P1(b) mean of relu(z) for a unit Gaussian z (so b' for u' = relu(Wx + b) - b')",
            f"E relu(z) = 1/sqrt(2 pi) = {initialisation.RELU_MEAN:.6f}; for Var(Wx) = v, "
            "b' = sqrt(v/(2 pi)).",
            value=initialisation.RELU_MEAN,
            formula="E relu(z) = int_0^inf z phi(z) dz = 1/sqrt(2 pi)",
            check="init_unit_simulation: measured b' = mean relu(Wx) agrees with m_d "
            "sqrt(sigma/(2 pi)) "
            f"(exact for Gaussian x, -> sqrt(v/(2 pi))) to max |z| = {zb:.2f} s.e.; at "
            f"d_x = {int(exact_big['d_x'])}: b' = {exact_big['b_prime']:.4f} +- "
            f"{exact_big['se_b_prime']:.4f} vs sqrt(v/(2 pi)) = "
            f"{initialisation.RELU_MEAN * np.sqrt(exact_big['sigma'] * exact_big['d_x']):.4f}",
        )
        add(
            "p1b_relu_variance",
            "P1(b) variance of relu(z) for a unit Gaussian z",
            "Var relu(z) = E relu^2 - (E relu)^2 = 1/2 - 1/(2 pi) = "
            f"{initialisation.RELU_VARIANCE:.6f}",
            value=initialisation.RELU_VARIANCE,
            formula="Var relu(z) = 1/2 - 1/(2 pi)",
            check=f"init_unit_simulation (figure init_variance b): Var relu(Wx) at all "
            f"{len(unit)} Monte Carlo points agrees with sigma (d_x/2 - m_d^2/(2 pi)) (-> v (1/2 - "
            f"1/(2 pi)) for large d_x) to max |z| = {z_all:.2f} s.e.",
        )
        gauss = unit[unit["point"] == "answer_1b_gauss"]
        big = gauss[gauss["d_x"] == gauss["d_x"].max()].iloc[0]
        factor = 1 / initialisation.RELU_VARIANCE
        add(
            "p1b_weight_variance",
            "P1(b) does u' = relu(Wx + b) - b' with zero mean and unit variance need a larger or "
            "smaller init variance?",
            f"Larger: sigma = 1/(d_x (1/2 - 1/(2 pi))) = {factor:.4f}/d_x, i.e. the variance of "
            "the "
            f"init distribution goes up by the factor 1/(1/2 - 1/(2 pi)) = {factor:.4f} relative "
            "to "
            "1/d_x, with b' = sqrt(d_x sigma/(2 pi)). He et al.'s factor 2 (sigma = 2/d_x) keeps "
            "the "
            "second moment E relu(Wx)^2 = 1, not the variance of the centred u' (which it leaves "
            "at "
            f"{2 * initialisation.RELU_VARIANCE:.4f}); centring removes (E relu)^2 = v/(2 pi), so "
            "more "
            "is needed. Exactly for Gaussian x at finite d_x: sigma = 1/(d_x/2 - m_d^2/(2 pi)), "
            "m_d = sqrt(2) Gamma((d_x+1)/2)/Gamma(d_x/2) (2.508/d_x at d_x = 1), tending to the "
            "above. "
            f"{AMBIGUITY}",
            value=factor,
            formula="Var u' = d_x sigma (1/2 - 1/(2 pi)) = 1  =>  sigma = 1/(d_x (1/2 - 1/(2 pi))) "
            "(value: sigma d_x)",
            check=f"init_unit_simulation (figure init_variance b, c): at the exact sigma Var u' = "
            f"{', '.join(f'{v:.4f}' for v in exact['var_u_prime'])} for d_x in {{{dx}}} "
            f"(max |z| = {zv:.2f} s.e.); at the Gaussian sigma and d_x = {int(big['d_x'])}: "
            f"Var u' = {big['var_u_prime']:.4f} +- {big['se_var_u_prime']:.4f}",
        )

        # ---- Problem 2 ------------------------------------------------------------------------
        add(
            "p2a_split_form",
            "P2(a) UGRNN with the concatenations replaced by pairs of matrix products",
            "f^t = sigma(W^{f,x} x^t + W^{f,h} h^t + b^f), d^t = tanh(W^{d,x} x^t + W^{d,h} h^t + "
            "b^d), "
            "h^{t+1} = f^t * h^t + (1 - f^t) * d^t, with W^f = [W^{f,x}, W^{f,h}] and "
            "W^d = [W^{d,x}, W^{d,h}] (column blocks).",
            formula="W [x, h] = W_{:, :n_x} x + W_{:, n_x:} h",
            check=f"ugrnn_gradcheck_data: split (einsum) and concatenated forward agree to "
            f"{grads['forward_max_abs_diff'].max():.1e} (max abs over all h^t)",
        )
        add(
            "p2b_forward_index",
            "P2(b) the forward pass in explicit index notation with a batch index",
            "a^f_{b,i} = sum_j W^{f,x}_{i,j} x^t_{b,j} + sum_k W^{f,h}_{i,k} h^t_{b,k} + b^f_i, "
            "f^t_{b,i} = sigma(a^f_{b,i}); a^d_{b,i} = sum_j W^{d,x}_{i,j} x^t_{b,j} + "
            "sum_k W^{d,h}_{i,k} h^t_{b,k} + b^d_i, d^t_{b,i} = tanh(a^d_{b,i}); "
            "h^{t+1}_{b,i} = f^t_{b,i} h^t_{b,i} + (1 - f^t_{b,i}) d^t_{b,i}",
            formula="h^{t+1}_{bi} = f_{bi} h^t_{bi} + (1 - f_{bi}) d_{bi}, f_{bi} = sigma(sum_j "
            "W^{f,x}_{ij} x_{bj} + sum_k W^{f,h}_{ik} h_{bk} + b^f_i)",
            check="ugrnn_gradcheck_data: the index form (dltheory.ugrnn.split_step, torch.einsum) "
            f"matches the concatenated form to {grads['forward_max_abs_diff'].max():.1e} over "
            "every "
            "h^t of every checked sequence; its backward is ttic_p2c_backward_index",
        )
        worst_n, worst_e = grads["rel_err_normwise"].max(), grads["rel_err_elementwise"].max()
        steps = sorted(int(v) for v in grads["steps"].unique())
        batches = sorted(int(v) for v in grads["batch"].unique())
        add(
            "p2c_backward_index",
            "P2(c) backward of the h^{t+1} equation: additions to f^t.grad, h^t.grad, d^t.grad",
            "f^t.grad_{b,i} += h^{t+1}.grad_{b,i} (h^t_{b,i} - d^t_{b,i}); "
            "h^t.grad_{b,i} += h^{t+1}.grad_{b,i} f^t_{b,i}; "
            "d^t.grad_{b,i} += h^{t+1}.grad_{b,i} (1 - f^t_{b,i}). Then, with "
            "a^f.grad = f.grad f (1 - f) and a^d.grad = d.grad (1 - d^2): "
            "W^{f,x}.grad_{i,j} += sum_b a^f.grad_{b,i} x^t_{b,j}, "
            "W^{f,h}.grad_{i,k} += sum_b a^f.grad_{b,i} h^t_{b,k}, b^f.grad_i += sum_b "
            "a^f.grad_{b,i}, "
            "x^t.grad_{b,j} += sum_i a^f.grad_{b,i} W^{f,x}_{i,j}, "
            "h^t.grad_{b,k} += sum_i a^f.grad_{b,i} W^{f,h}_{i,k} (the same for d).",
            value=worst_e,
            formula="dltheory.ugrnn.backward (BPTT, torch.einsum, float64)",
            check=f"ugrnn_gradcheck (figure): against torch autograd of the concatenated form over "
            f"T in {steps}, batch in {batches}, tensors {', '.join(ugrnn.TENSORS)}: max relative "
            f"error {worst_n:.1e} normwise, {worst_e:.1e} elementwise (tests require <= 1e-10)",
        )

        # ---- Problem 3 ------------------------------------------------------------------------
        L, N, C = rcfg["n_layers"], rcfg["n_filter"], rcfg["channels"]
        n_nets = res["network"].nunique()
        g = res.groupby(["label", "layer"], sort=False)
        stats = g[["var", "grad_var", "sigma_w"]].mean()
        se = g[["var", "grad_var"]].std() / np.sqrt(n_nets)
        stats["var_th"] = resnet.variance(
            stats.index.get_level_values("layer"), N, C, stats["sigma_w"]
        )
        stats["grad_th"] = resnet.grad_variance(
            stats.index.get_level_values("layer"), L, N, C, stats["sigma_w"]
        )
        inner = stats.index.get_level_values("layer")
        z_var = ((stats["var"] - stats["var_th"]) / se["var"])[inner > 0].abs()
        z_grad = ((stats["grad_var"] - stats["grad_th"]) / se["grad_var"])[inner < L].abs()
        rel_var = (stats["var"] / stats["var_th"] - 1).abs().max()
        edge = border[border["distance"] == 0].set_index("label")
        edge_txt = ", ".join(
            f"sigma_W={r.sigma_w:.3g}: {r.var_forward_L / resnet.variance(L, N, C, r.sigma_w):.2f}"
            for r in edge.itertuples()
        )
        setup = (
            f"N={N}, C={C}, L={L}, {rcfg['image']}x{rcfg['image']} px, {n_nets} nets per sigma_W"
        )
        add(
            "p3a_recursion",
            "P3(a) variance of a channel value at layer l+1 from that at layer l",
            "sigma_{l+1}^2 = (1 + N^2 C sigma_W) sigma_l^2: the convolution output sums N^2 C "
            "products W x, each of variance sigma_W sigma_l^2, and the two residual terms are "
            "uncorrelated (E W = 0, W^l independent of x^l), which is all the variance needs. "
            "sigma_W is a variance as the sheet says (std sqrt(sigma_W)).",
            formula="sigma_{l+1}^2 = (1 + N^2 C sigma_W) sigma_l^2",
            check=f"resnet_variance_simulation ({setup}): interior pixels (>= l(N-1)/2 from the "
            "borders) deviate from the closed form, over every layer and sigma_W, by at most "
            f"|z| = {z_var.max():.2f} s.e. (max rel. dev. {rel_var:.3f}); at the border pixel "
            f"of layer L the variance is only {edge_txt} of it (zero padding; the padded "
            "recursion predicts it)",
        )
        last = res[res["layer"] == L]
        spread = last.groupby("label", sort=False)["var"].apply(lambda v: np.log(v).std(ddof=1))
        pred = (
            last.groupby("label", sort=False)["sigma_w"]
            .first()
            .map(lambda s: float(resnet.log_variance_spread(L, C, s)))
        )
        spread_txt = ", ".join(
            f"sigma_W={last[last['label'] == lab]['sigma_w'].iloc[0]:.3g}: {spread[lab]:.3f} "
            f"(predicted {pred[lab]:.3f})"
            for lab in spread.index
        )
        add(
            "p3b_closed_form",
            "P3(b) sigma_l^2 as a function of sigma_W and l (unit input variance)",
            "sigma_l^2 = (1 + N^2 C sigma_W)^l. It holds for the average over the weights. One "
            "network scatters about it: the cross term 2<x^l, Conv(W^l, x^l)> vanishes only on "
            "average "
            "(the shared centre taps W_{c,c,k,k} multiply each channel's whole energy), giving a "
            "std "
            "of ln sigma_l^2 across networks of about sqrt(4 l sigma_W / C). That is where the "
            "sheet's "
            "'assume the two terms are independent' fails.",
            formula="sigma_l^2 = (1 + N^2 C sigma_W)^l; std_nets(ln sigma_l^2) ~ sqrt(4 l sigma_W "
            "/ C)",
            check=f"resnet_variance_simulation (figure resnet_variance): mean over networks, see "
            f"p3a; std of ln sigma_L^2 over {n_nets} networks: {spread_txt}",
        )
        s_apx = resnet.final_variance_sigma_w(L, N, C)
        s_ex = resnet.final_variance_sigma_w(L, N, C, exact=True)
        at = {lab: res[(res["label"] == lab) & (res["layer"] == L)]["var"] for lab in res["label"]}
        apx_lab, ex_lab = resnet.sigma_w_cases(L, N, C)[0][0], resnet.sigma_w_cases(L, N, C)[1][0]
        sep = 100 * (2.0 - float(resnet.variance(L, N, C, s_apx))) / 2.0
        se_apx = at[apx_lab].std() / np.sqrt(n_nets)
        se_ex = at[ex_lab].std() / np.sqrt(n_nets)
        add(
            "p3c_sigma_w",
            f"P3(c) sigma_W giving sigma_L^2 = 2, using (1 + eps)^L ~ e^(eps L) (here N={N}, "
            f"C={C}, L={L})",
            f"N^2 C sigma_W L = ln 2, sigma_W = ln 2/(L N^2 C) = {s_apx:.6g}. Exactly: "
            f"sigma_W = (2^(1/L) - 1)/(N^2 C) = {s_ex:.6g}; the approximation gives "
            f"sigma_L^2 = {float(resnet.variance(L, N, C, s_apx)):.4f}.",
            value=s_apx,
            formula="sigma_W = ln 2 / (L N^2 C)",
            check=f"resnet_variance_simulation: sigma_L^2 = {at[apx_lab].mean():.3f} +- "
            f"{at[apx_lab].std() / np.sqrt(n_nets):.3f} at ln2/(L N^2 C) and "
            f"{at[ex_lab].mean():.3f} +- {at[ex_lab].std() / np.sqrt(n_nets):.3f} at the exact "
            "value "
            f"(mean +- s.e. over {n_nets} networks; the two sigma_L^2 differ by "
            f"{sep:.2g} %, "
            + (
                "less than the s.e.: the networks scatter too much to separate them)"
                if sep / 100 * 2 < max(se_apx, se_ex)
                else "more than the s.e.)"
            ),
        )
        add(
            "p3d_grad_variance",
            "P3(d) variance of x^l.grad for a unit-variance x^L.grad",
            "x^l.grad = x^{l+1}.grad + Conv^T(W^l, x^{l+1}.grad), so "
            "sigma_{l,grad}^2 = (1 + N^2 C sigma_W) sigma_{l+1,grad}^2 = (1 + N^2 C sigma_W)^(L - "
            "l)",
            formula="sigma_{l,grad}^2 = (1 + N^2 C sigma_W)^(L - l)",
            check=f"resnet_variance_simulation (autograd, x^L.grad i.i.d. N(0,1)): interior "
            "gradients deviate from the closed form, over every layer and sigma_W, by at most "
            f"|z| = {z_grad.max():.2f} s.e.",
        )
        lin = small[small["activation"] == "linear"]
        rel = small[small["activation"] == "relu"]
        # the slope over the smaller half of the sigma_W values (at least two)
        s_sorted = np.sort(lin["sigma_w"].unique())
        s_fit = s_sorted[: max(2, len(s_sorted) // 2)]
        tail = lin[lin["sigma_w"].isin(s_fit)]
        slope = resnet.convergence_slope(tail["sigma_w"], tail["rel_to_linear_limit"])
        s_min = small["sigma_w"].min()
        last_lin = lin[lin["sigma_w"] == s_min]
        last_rel = rel[rel["sigma_w"] == s_min]
        add(
            "p3e_linear_limit",
            "P3(e) the sigma_W -> 0 limit of W^l.grad as an index expression",
            "lim W^l.grad_{c,c',i,j} = sum_{b,y,z} x^L.grad_{b,c,y,z} x^0_{b,c',y+i-k,z+j-k} "
            "(k = (N-1)/2, zero outside the image, PyTorch's cross-correlation convention): every "
            "convolution vanishes, so x^l -> x^0 and x^{l+1}.grad -> x^L.grad; the limit is the "
            "same "
            "for every layer.",
            value=slope,
            formula="W^l.grad_{c,c',i,j} = sum_{b,y,z} x^{l+1}.grad_{b,c,y,z} "
            "x^l_{b,c',y+i-k,z+j-k}",
            check=f"resnet_small_sigma_grad (figure; C={scfg['channels']}, N={scfg['n_filter']}, "
            f"L={scfg['n_layers']}): autograd W^l.grad approaches the expression as "
            f"sigma_W^{slope:.3f} (fitted for sigma_W <= {s_fit[-1]:.0e}; theory 1/2), "
            "relative distance "
            f"{last_lin['rel_to_linear_limit'].max():.1e} at sigma_W = {s_min:.0e}",
        )
        add(
            "p3e_relu_limit",
            "P3(e) with a relu around the convolution, does W^l.grad have a limit as sigma_W -> 0?",
            "No. W^l.grad_{c,c',i,j} = sum_{b,y,z} x^{l+1}.grad_{b,c,y,z} 1[Conv(W^l, "
            "x^l)_{b,c,y,z} > 0] "
            "x^l_{b,c',y+i-k,z+j-k}, and the mask does not depend on the scale of W^l: along a ray "
            "W^l = sqrt(sigma_W) Z^l it tends to a limit with the mask 1[Conv(Z^l, x^0) > 0], "
            "which "
            "depends on the random direction Z^l (and at W = 0 exactly relu'(0) = 0 gives 0). The "
            "gradient is discontinuous at W = 0, so there is no well-defined limit.",
            value=float(last_rel["rel_between_draws"].min()),
            formula="mask 1[Conv(W, x) > 0] = 1[Conv(Z, x) > 0] for W = sqrt(sigma_W) Z",
            check=f"resnet_small_sigma_grad: at sigma_W = {s_min:.0e} two independent draws of W "
            "give "
            f"W^l.grad {last_rel['rel_between_draws'].min():.2f}-"
            f"{last_rel['rel_between_draws'].max():.2f} apart (relative; linear net: "
            f"{last_lin['rel_between_draws'].max():.1e}), while each draw converges to its own "
            "masked "
            f"limit (distance {last_rel['rel_to_relu_limit_a'].max():.1e})",
        )
        write_part(rows, job.output[0], params=job.params)
        log.info("%d answers", len(rows))
