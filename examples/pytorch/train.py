"""A plain PyTorch training loop with Gradient Lens watching it: the two gradlens lines are all it takes.

Run it in the terminal "Gradient Lens: Open PyTorch Terminal" opens (that terminal tells the script
where the extension listens), e.g.  python3 train.py --steps 40
The panel then shows its loss, each layer's gradient norm and update ratio, and for fc1 and fc2 each
example's gradient beside the batch mean.

    --steps N     optimizer steps (default 40)
    --out FILE    also write this script's own numbers, computed with torch directly, as JSON (the
                  tests compare them with what the panel shows)
    --crash-at S  raise an exception in step S (to see how a crash is shown)
    --wait        wait for a line on stdin after each step (so a test decides when it moves on)
    --optimizer   sgd (default: momentum 0.9), adam or adamw
"""

import argparse
import json
import math
import sys

import torch
from torch import nn

import gradlens

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=40)
parser.add_argument("--out")
parser.add_argument("--crash-at", type=int)
parser.add_argument("--wait", action="store_true")
parser.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="sgd")
args = parser.parse_args()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(20, 24), nn.Linear(24, 4)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


torch.manual_seed(0)
model = Net()
if args.optimizer == "adam":
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
elif args.optimizer == "adamw":
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01)
else:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
x = torch.randn(256, 20)
y = (x[:, :4].argmax(1) + (x[:, 4] > 1).long()) % 4  # a learnable rule, with some noise in it
M = 16

watcher = gradlens.watch(model, optimizer, per_example=["fc1", "fc2"])

own = {"batchSize": M, "steps": []}
for step in range(1, args.steps + 1):
    xb, yb = x[(step - 1) * M % 256:][:M], y[(step - 1) * M % 256:][:M]
    if args.out and step == args.steps:
        # The last step's per-example gradients, one example at a time (not from .grad, and before the
        # batch's own pass so the watcher's hooks see only that): g_i = ∇L_i.
        own["perExample"] = {
            name: [torch.autograd.grad(nn.functional.cross_entropy(model(xb[i:i + 1]), yb[i:i + 1]), p)[0].flatten().tolist()
                   for i in range(M)]
            for name, p in (("fc1.weight", model.fc1.weight), ("fc2.weight", model.fc2.weight))}
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    if step == args.crash_at:
        raise RuntimeError(f"a deliberate crash in step {step}")
    record = {"step": step, "loss": float(loss),
              "gradNorm": {n: math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in m.parameters()))
                           for n, m in (("fc1", model.fc1), ("fc2", model.fc2))}}
    if args.out and step == args.steps:
        own["weightsBefore"] = {n: p.detach().flatten().tolist() for n, p in (("fc1.weight", model.fc1.weight), ("fc2.weight", model.fc2.weight))}
    optimizer.step()
    if args.out and step == args.steps:
        own["weightsAfter"] = {n: p.detach().flatten().tolist() for n, p in (("fc1.weight", model.fc1.weight), ("fc2.weight", model.fc2.weight))}
    own["steps"].append(record)
    print(f"step {step}: loss {record['loss']:.4f}", flush=True)
    if args.wait and step < args.steps:
        sys.stdin.readline()

if args.out:
    with open(args.out + ".tmp", "w", encoding="utf-8") as f:
        json.dump(own, f)
    import os
    os.replace(args.out + ".tmp", args.out)
