"""PyTorch CPU peer for `npm run bench` (bench/index.ts writes the inputs, reads our stdout).

Usage: python3 bench/torch_bench.py <dir>   where <dir> holds
  meta.json  {"count", "features", "batchSize", "learningRate", "numClasses", "firstBatch": [indices],
              "budgetSeconds", "threads", "mlp": {"weights": [...]}, "cnn": {"weights": [...]}}
             weights in Gradient Lens layout: dense [in, out], conv [out, in, kh, kw], bias [out]
  x.bin      count × features float32 (little endian), images channels-first 1×28×28
  y.bin      count int32 class indices
Prints ONE JSON object on stdout; progress goes to stderr.

Usage: python3 bench/torch_bench.py --sweep <dir>   (bench/sweep.ts): meta.json holds "count",
"features", "numClasses", "learningRate", "budgetSeconds" and "points", each {"id", "dims" (layer
widths, input first), "batchSize", "firstBatch", "weights" (a file of the point's float32 weights in
our layout, each dense weight [in, out] then its bias, layer by layer)}; x.bin and y.bin as above.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def log(*args):
    print("torch_bench:", *args, file=sys.stderr, flush=True)


def load(dirname):
    with open(f"{dirname}/meta.json") as f:
        meta = json.load(f)
    x = np.fromfile(f"{dirname}/x.bin", dtype="<f4").reshape(meta["count"], meta["features"])
    y = np.fromfile(f"{dirname}/y.bin", dtype="<i4")
    return meta, torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64))


def mlp_model(weights):
    """784-128-64-26 ReLU; our dense weight [in, out] is PyTorch's weight.T."""
    dense = [w for w in weights if w["kind"] == "weight"]
    biases = [w for w in weights if w["kind"] == "bias"]
    layers = []
    for i, (w, b) in enumerate(zip(dense, biases)):
        fan_in, fan_out = w["shape"]
        lin = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w["value"], dtype=torch.float32).reshape(fan_in, fan_out).T)
            lin.bias.copy_(torch.tensor(b["value"], dtype=torch.float32))
        layers.append(lin)
        if i < len(dense) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def cnn_model(weights):
    """conv3×3×8 same-ReLU-maxpool2-conv3×3×16 same-ReLU-maxpool2-flatten-dense26, channels-first."""
    by_layer = {}
    for w in weights:
        by_layer.setdefault(w["layer"], {})[w["kind"]] = w
    mods = []
    for layer in sorted(by_layer):
        w, b = by_layer[layer]["weight"], by_layer[layer]["bias"]
        if len(w["shape"]) == 4:
            out_c, in_c, kh, _ = w["shape"]
            conv = nn.Conv2d(in_c, out_c, kh, padding=kh // 2)
            with torch.no_grad():
                conv.weight.copy_(torch.tensor(w["value"], dtype=torch.float32).reshape(w["shape"]))
                conv.bias.copy_(torch.tensor(b["value"], dtype=torch.float32))
            mods += [conv, nn.ReLU(), nn.MaxPool2d(2, 2)]
        else:
            fan_in, fan_out = w["shape"]
            lin = nn.Linear(fan_in, fan_out)
            with torch.no_grad():
                lin.weight.copy_(torch.tensor(w["value"], dtype=torch.float32).reshape(fan_in, fan_out).T)
                lin.bias.copy_(torch.tensor(b["value"], dtype=torch.float32))
            mods += [nn.Flatten(), lin]
    return nn.Sequential(*mods)


def batches(count, batch_size):
    """Consecutive full batches, cycling; the order does not matter for timing."""
    starts = list(range(0, count - batch_size + 1, batch_size))
    i = 0
    while True:
        yield starts[i % len(starts)]
        i += 1


def train_step(model, x, y, meta):
    """One SGD training step on the next batch, as a closure."""
    opt = torch.optim.SGD(model.parameters(), lr=meta["learningRate"])
    bs = meta["batchSize"]
    gen = batches(x.shape[0], bs)

    def step():
        s = next(gen)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x[s:s + bs]), y[s:s + bs])
        loss.backward()
        opt.step()

    return step


def train_rate(model, x, y, meta, budget, cpu=False):
    """Samples/s of the fastest round; with cpu, also the process CPU ms per step of the least-CPU round."""
    bs = meta["batchSize"]
    step = train_step(model, x, y, meta)
    warm_end = time.perf_counter() + min(0.2, budget / 4)
    i = 0
    while i < 5 or time.perf_counter() < warm_end:  # same warm-up rule as bench/timing.ts
        step()
        i += 1
    if cpu:
        ms, steps, cpu_ms = best_of_rounds(step, budget, cpu=True)
        return {"samplesPerSec": 1000 * bs / ms, "stepMs": ms, "steps": steps, "cpuStepMs": cpu_ms}
    ms, steps = best_of_rounds(step, budget)
    return {"samplesPerSec": 1000 * bs / ms, "stepMs": ms, "steps": steps}


ROUNDS = 5


def best_of_rounds(fn, budget, cpu=False):
    """Mean ms per call of the fastest of ROUNDS rounds, as bench/timing.ts (shared, noisy machine);
    with cpu, also the process CPU ms per call of the round that used the least."""
    best, total, best_cpu = float("inf"), 0, float("inf")
    for _ in range(ROUNDS):
        calls, t0, c0 = 0, time.perf_counter(), time.process_time()
        while calls < 2 or time.perf_counter() - t0 < budget / ROUNDS:
            fn()
            calls += 1
        best = min(best, 1000 * (time.perf_counter() - t0) / calls)
        best_cpu = min(best_cpu, 1000 * (time.process_time() - c0) / calls)
        total += calls
    return (best, total, best_cpu) if cpu else (best, total)


def timed(fn, budget):
    warm_end = time.perf_counter() + min(0.2, budget / 4)
    i = 0
    while i < 3 or time.perf_counter() < warm_end:
        fn()
        i += 1
    return best_of_rounds(fn, budget)[0]


def first_batch_loss(model, x, y, idx):
    with torch.no_grad():
        return float(F.cross_entropy(model(x[idx]), y[idx]))


def per_example(model, xb, yb, budget):
    """vmap(grad) per-example gradients (functorch in torch 1.13, torch.func later)."""
    try:
        from torch.func import functional_call, grad, vmap  # torch >= 2.0

        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss_one(p, xi, yi):
            return F.cross_entropy(functional_call(model, p, (xi[None],)), yi[None])

        per_ex = vmap(grad(loss_one), in_dims=(None, 0, 0))
        run = lambda: per_ex(params, xb, yb)  # noqa: E731
        api = "torch.func.vmap(grad)"
    except ImportError:
        from functorch import grad, make_functional, vmap

        fmodel, params = make_functional(model)
        params = tuple(p.detach() for p in params)

        def loss_one(p, xi, yi):
            return F.cross_entropy(fmodel(p, xi[None]), yi[None])

        per_ex = vmap(grad(loss_one), in_dims=(None, 0, 0))
        run = lambda: per_ex(params, xb, yb)  # noqa: E731
        api = "functorch.vmap(grad)"

    def grads_and_norms():
        g = run()
        g = g.values() if isinstance(g, dict) else g
        sq = sum(t.reshape(t.shape[0], -1).pow(2).sum(1) for t in g)
        return sq.sqrt()

    # check: mean of per-example gradients equals the batch gradient
    g = run()
    g = list(g.values()) if isinstance(g, dict) else list(g)
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(xb), yb).backward()
    batch_grads = [p.grad for p in model.parameters()]
    max_diff = max(float((gi.mean(0) - bg).abs().max()) for gi, bg in zip(g, batch_grads))
    return {
        "api": api,
        "allPerExampleMs": timed(run, budget),
        "perExampleNormsMs": timed(grads_and_norms, budget),
        "note": "PyTorch has no cheaper exact path for norms; both materialise the vmap gradients",
        "meanOfPerExampleVsBatchGradMaxAbsDiff": max_diff,
    }


def gemm_rates(shapes, peak, budget):
    """OpenBLAS sgemm through torch.mm on our shapes (same transposes), with 1 and 2 threads."""
    out = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        rows, total_ms, total_flops = [], 0.0, 0
        for s in shapes + [peak]:
            a = torch.randn(s["k"], s["m"]) if s["transA"] else torch.randn(s["m"], s["k"])
            b = torch.randn(s["n"], s["k"]) if s["transB"] else torch.randn(s["k"], s["n"])
            A = a.t() if s["transA"] else a
            B = b.t() if s["transB"] else b
            c = torch.empty(s["m"], s["n"])
            ms = timed(lambda: torch.mm(A, B, out=c), budget)
            flops = 2 * s["m"] * s["n"] * s["k"]
            rows.append({"name": s["name"], "gflops": flops / (ms * 1e6)})
            if s is not peak:
                total_ms += ms
                total_flops += flops
        out[f"threads{threads}"] = {
            "shapes": rows[:-1], "stepGemmGflops": total_flops / (total_ms * 1e6), "peakShapeGflops": rows[-1]["gflops"],
        }
    return out


def sweep_model(dims, flat):
    """ReLU MLP with layer widths dims from one flat float32 array in our layout (W [in, out], b)."""
    layers, at = [], 0
    for i in range(len(dims) - 1):
        fan_in, fan_out = dims[i], dims[i + 1]
        lin = nn.Linear(fan_in, fan_out)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(flat[at:at + fan_in * fan_out].reshape(fan_in, fan_out).T.copy()))
            at += fan_in * fan_out
            lin.bias.copy_(torch.from_numpy(flat[at:at + fan_out].copy()))
            at += fan_out
        layers.append(lin)
        if i < len(dims) - 2:
            layers.append(nn.ReLU())
    assert at == flat.size, f"{flat.size} weights for {at} parameters"
    return nn.Sequential(*layers)


def sweep(dirname):
    """Each point: first-batch loss at the given weights, then training speed with 2 and 1 threads."""
    meta, x, y = load(dirname)
    budget = meta["budgetSeconds"]
    out = {"version": torch.__version__, "points": []}
    for p in meta["points"]:
        log(f"sweep point {p['id']}")
        flat = np.fromfile(f"{dirname}/{p['weights']}", dtype="<f4")
        run = {**meta, "batchSize": p["batchSize"]}
        idx = torch.tensor(p["firstBatch"], dtype=torch.int64)
        res = {"id": p["id"]}
        for threads in (2, 1):
            torch.set_num_threads(threads)
            model = sweep_model(p["dims"], flat)
            if threads == 2:
                res["firstBatchLoss"] = first_batch_loss(model, x, y, idx)
            res[f"threads{threads}"] = train_rate(model, x, y, run, budget, cpu=threads == 1)
        out["points"].append(res)
    print(json.dumps(out))


def main():
    if sys.argv[1] == "--sweep":
        sweep(sys.argv[2])
        return
    meta, x, y = load(sys.argv[1])
    torch.set_num_threads(meta.get("threads", 2))
    torch.manual_seed(0)
    budget = meta["budgetSeconds"]
    bs = meta["batchSize"]
    idx = torch.tensor(meta["firstBatch"], dtype=torch.int64)
    out = {"version": torch.__version__, "threads": torch.get_num_threads(),
           "parallel": torch.__config__.parallel_info().strip().splitlines()[:4]}
    if "gemmShapes" in meta:
        log("sgemm (torch.mm) on the MLP step's shapes")
        out["sgemm"] = gemm_rates(meta["gemmShapes"], meta["peakShape"], budget / 8)
        torch.set_num_threads(meta.get("threads", 2))

    log("MLP")
    mlp = mlp_model(meta["mlp"]["weights"])
    res = {"firstBatchLoss": first_batch_loss(mlp, x, y, idx)}
    xb, yb = x[:bs], y[:bs]

    def fwd_bwd():
        mlp.zero_grad(set_to_none=True)
        F.cross_entropy(mlp(xb), yb).backward()

    res["forwardBackwardMs"] = timed(fwd_bwd, budget / 2)
    try:
        res["perExample"] = per_example(mlp, xb, yb, budget / 2)
    except Exception as e:  # functorch missing or failing: say so, keep the rest
        res["perExample"] = {"skipped": f"{type(e).__name__}: {e}"}
    res["train"] = train_rate(mlp, x, y, meta, budget)
    # On a loaded 2-core machine two OpenMP threads can be slower than one: measure both, so the
    # comparison can use PyTorch's better setting.
    torch.set_num_threads(1)
    res["trainOneThread"] = train_rate(mlp_model(meta["mlp"]["weights"]), x, y, meta, budget / 2)
    torch.set_num_threads(meta.get("threads", 2))
    out["mlp"] = res

    log("CNN")
    x_img = x.reshape(-1, 1, 28, 28)
    cnn = cnn_model(meta["cnn"]["weights"])
    out["cnn"] = {"firstBatchLoss": first_batch_loss(cnn, x_img, y, idx), "train": train_rate(cnn, x_img, y, meta, budget)}
    torch.set_num_threads(1)
    out["cnn"]["trainOneThread"] = train_rate(cnn_model(meta["cnn"]["weights"]), x_img, y, meta, budget / 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
