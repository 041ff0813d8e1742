"""A plain PyTorch training loop, as a user writes it, with gradlens.watch added (two lines).
argv[1] = steps; GRADLENS_TEST_BATCHNORM=1 puts a BatchNorm in the model."""
import os
import sys

import torch
from torch import nn

import gradlens

torch.manual_seed(0)
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
layers = [nn.Conv2d(1, 4, 3, padding=1), nn.ReLU()]
if os.environ.get("GRADLENS_TEST_BATCHNORM") == "1":
    layers.append(nn.BatchNorm2d(4))
model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(4 * 8 * 8, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x, y = torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))
w = gradlens.watch(model, opt)
for step in range(steps):
    xb, yb = x[(step * 16) % 64:][:16], y[(step * 16) % 64:][:16]
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(xb), yb)
    loss.backward()
    w.loss(loss)
    opt.step()
    # Steps wait for the listener's go-ahead line on stdin, so the test decides when to move on.
    if step + 1 < steps:
        sys.stdin.readline()
w.close()
