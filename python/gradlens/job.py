"""The job a launcher hands to its ranks: a folder written by the TypeScript side (src/torch/job.ts).
  job.json      {spec, inputShape, numClasses, trainCount, validationCount, weights, steps, epochEnds}
                weights: the engine's initial NamedTensors; steps: [{step, epoch, batchInEpoch, indices}]
  train_x.f32   trainCount × prod(inputShape) float32, row-major, channels-first images
  train_y.i32   trainCount int32 labels (and val_x.f32 / val_y.i32 when validationCount > 0)
"""

import json
import os

import torch


def load(job_dir):
    with open(os.path.join(job_dir, "job.json"), encoding="utf-8") as f:
        job = json.load(f)

    def tensor(name, dtype, shape):
        with open(os.path.join(job_dir, name), "rb") as f:
            data = bytearray(f.read())
        return torch.frombuffer(data, dtype=dtype).reshape(shape).clone()

    job["train_x"] = tensor("train_x.f32", torch.float32, [job["trainCount"], *job["inputShape"]])
    job["train_y"] = tensor("train_y.i32", torch.int32, [job["trainCount"]]).long()
    if job.get("validationCount", 0) > 0:
        job["val_x"] = tensor("val_x.f32", torch.float32, [job["validationCount"], *job["inputShape"]])
        job["val_y"] = tensor("val_y.i32", torch.int32, [job["validationCount"]]).long()
    return job


def shard(m, world, rank):
    """[lo, hi) of rank's share of a global batch of m: contiguous, sizes differing by at most one
    (the first m mod R ranks take one more), so an uneven batch is split as evenly as it can be."""
    base, extra = divmod(m, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)
