"""Rank 0 merges the ranks' parts of a step into one record: the same JSON as `train --json`
(src/engine/types.ts StepStats) plus `ranks` (src/run/source.ts RankRecord) and `time`."""

import math
import time

import torch

from .model import per_example_loss
from .stats import cosine, finite_or_none, noise_scale, noise_trace

EVAL_CHUNK = 256


def merge_step(s, spec, parts, ctx):
    parts = sorted(parts, key=lambda p: p["rank"])
    m = sum(p["m"] for p in parts)
    per_loss = [v for p in parts for v in p["perExampleLoss"]]
    labels = [v for p in parts for v in p["labels"]]
    preds = [v for p in parts for v in p["predictions"]]
    loss = sum(per_loss) / m
    first = parts[0]["layers"]
    layers, trace_total, g_total = [], 0.0, 0.0
    for key in first:
        i = int(key)
        g_sq, w_sq = first[key]["gSq"], first[key]["wSq"]
        ex_sq = [v for p in parts for v in p["layers"][key]["exSq"]]
        ex_dot = [v for p in parts for v in p["layers"][key]["exDot"]]
        trace = noise_trace(sum(ex_sq), g_sq, m)
        trace_total += trace
        g_total += g_sq
        w_norm = math.sqrt(w_sq)
        du = math.sqrt(parts[0]["updateSq"][key])
        alive = [p["alive"].get(key) for p in parts]
        dead = None
        if alive[0] is not None:
            units = len(alive[0])
            dead = sum(1 for u in range(units) if not any(a[u] for a in alive if a)) / units
        layers.append({
            "layer": i, "gradNorm": math.sqrt(g_sq), "weightNorm": w_norm,
            "updateRatio": du / w_norm if w_norm > 0 else (0.0 if du == 0 else math.inf),
            "perExampleNorms": [math.sqrt(v) for v in ex_sq],
            "cosineToMean": [cosine(a, g_sq, d) for a, d in zip(ex_sq, ex_dot)],
            "noiseScale": finite_or_none(noise_scale(trace, g_sq)),
            "deadFraction": dead,
        })
    ranks = [{
        "rank": p["rank"], "batchSize": p["m"],
        "loss": sum(p["perExampleLoss"]) / p["m"] if p["m"] else None,
        "layers": [{"layer": int(k), "gradNorm": math.sqrt(v["localSq"]),
                    "cosineToMean": cosine(v["localSq"], v["gSq"], v["localDot"])} for k, v in p["layers"].items()],
    } for p in parts]
    mom = parts[0].get("meanOfMeans")
    mean_of_means = None if mom is None else [
        {"layer": int(k), "gradNorm": math.sqrt(v[0]),
         "relativeDifference": math.sqrt(v[1]) / math.sqrt(first[k]["gSq"]) if first[k]["gSq"] > 0 else None}
        for k, v in mom.items()]
    non_finite = None
    bad = next((j for j, v in enumerate(per_loss) if not math.isfinite(v)), -1)
    if bad >= 0:
        non_finite = {"layer": -1, "example": bad, "where": "loss",
                      "message": f"the loss of example {bad} (training example {s['indices'][bad]}) is {per_loss[bad]}"}
    record = {
        "type": "step", "step": s["step"], "epoch": s["epoch"], "batchInEpoch": s["batchInEpoch"],
        "batchSize": m, "examplesSeen": ctx["examplesSeen"], "loss": loss, "perExampleLoss": per_loss,
        "accuracy": sum(1 for a, b in zip(labels, preds) if a == b) / m,
        "exampleIndices": s["indices"], "labels": labels, "predictions": preds, "layers": layers,
        "noiseScale": finite_or_none(noise_scale(trace_total, g_total) if m >= 2 else math.nan),
        "learningRate": spec["optimizer"]["learningRate"], "nonFinite": non_finite,
        "time": time.perf_counter() - ctx["started"], "ranks": ranks,
    }
    if mean_of_means is not None:
        # Only when the ranks' batches differ: DDP's default step, for the pitfall's numbers.
        record["meanOfMeans"] = mean_of_means
    return sanitize(record)


def sanitize(v):
    if isinstance(v, float):
        return finite_or_none(v)
    if isinstance(v, dict):
        return {k: sanitize(x) for k, x in v.items()}
    if isinstance(v, list):
        return [sanitize(x) for x in v]
    return v


def evaluate_set(model, spec, x, y, dtype, device):
    total, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, x.shape[0], EVAL_CHUNK):
            xb = x[start:start + EVAL_CHUNK].to(dtype).to(device)
            yb = y[start:start + EVAL_CHUNK].to(device)
            out = model(xb)
            total += float(per_example_loss(spec["loss"], out, yb).double().sum())
            correct += int((out.argmax(dim=1) == yb).sum())
    return total / x.shape[0], correct / x.shape[0]


def evaluate(model, spec, job, s, ctx, dtype, device):
    """The epoch record at the end of an epoch, like Trainer.evaluate()."""
    train_loss, train_acc = evaluate_set(model, spec, job["train_x"], job["train_y"], dtype, device)
    val = evaluate_set(model, spec, job["val_x"], job["val_y"], dtype, device) if "val_x" in job else (None, None)
    return sanitize({"type": "epoch", "epoch": s["epoch"], "step": s["step"], "trainLoss": train_loss,
                     "trainAccuracy": train_acc, "validationLoss": val[0], "validationAccuracy": val[1],
                     "seconds": ctx["epochSeconds"]})
