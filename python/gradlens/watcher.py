"""`gradlens.watch(model, optimizer)`: follow your own PyTorch training loop in Gradient Lens.

After each `optimizer.step()` it sends one JSON line: per parameterised module (anything with
parameters of its own, e.g. Linear, Conv2d) its gradient norm ‖∂L/∂θ‖, weight norm before the
update and update ratio ‖Δθ‖/‖θ‖. On request (the extension asks, or `per_example=[names]`) it also
sends per-example gradient norms of chosen Linear / Conv2d modules, from their inputs and output
gradients captured by hooks. Those are per-example gradients *of the loss you back-propagate*:
with a mean-reduced loss each is gᵢ/M (gᵢ = ∇Lᵢ), and they add up to `.grad`; the record says so
and carries that sum check.

What it cannot do, said plainly: with BatchNorm in the model, per-example gradients are not
defined (each example's output depends on the whole batch), so none are sent; layer norms still
are. Modules other than Linear/Conv2d (groups = 1) get no per-example gradients.

Where it sends: the address in the environment variable GRADLENS_WATCH, which the extension sets
in the terminals it opens: `unix:/path/to/socket`, `tcp:HOST:PORT`, or `file:/path.jsonl` (append
to a file, e.g. to load later). Without it, the fallback is `tcp:127.0.0.1:52765` (the extension's
"Listen for PyTorch scripts" uses that port when no terminal of its own is involved). If nothing
listens, it says so once on stderr and training goes on untouched.
"""

import json
import math
import os
import socket
import sys
import threading
import time

import torch
import torch.nn.functional as F
from torch import nn

ENV = "GRADLENS_WATCH"
FALLBACK = "tcp:127.0.0.1:52765"
BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def connect(address):
    kind, _, rest = address.partition(":")
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(rest)
        return s
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        return socket.create_connection((host, int(port)), timeout=5)
    raise ValueError(f"{ENV}={address!r}: expected unix:PATH, tcp:HOST:PORT or file:PATH")


class Watcher:
    def __init__(self, model, optimizer, address=None, per_example=None, every=1):
        self.model, self.optimizer, self.every = model, optimizer, max(1, int(every))
        self.address = address or os.environ.get(ENV) or FALLBACK
        self.modules = [(n, m) for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]
        self.has_batchnorm = any(isinstance(m, BATCHNORM) for m in model.modules())
        self.per_example = set()
        self.steps = 0
        self.last_loss = None
        self.lock = threading.Lock()
        self.file = self.sock = None
        self.captured = {}
        self.hooks = []
        self.pending = None
        self.open()
        self.send({"type": "hello", "pid": os.getpid(), "script": os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else None,
                   "torch": torch.__version__, "batchNorm": self.has_batchnorm,
                   "layers": [{"index": i, "name": n, "type": type(m).__name__,
                               "params": [{"name": pn, "shape": list(p.shape)} for pn, p in m.named_parameters(recurse=False)]}
                              for i, (n, m) in enumerate(self.modules)]})
        if per_example:
            self.request_per_example(per_example)
        original = optimizer.step

        def step(*args, **kwargs):
            before = self.before_step()
            result = original(*args, **kwargs)
            self.after_step(before)
            return result

        optimizer.step = step

    # --- transport -------------------------------------------------------------------------
    def open(self):
        try:
            if self.address.startswith("file:"):
                self.file = open(self.address[5:], "a", encoding="utf-8")
                return
            self.sock = connect(self.address)
            self.sock.settimeout(None)
            threading.Thread(target=self.read_requests, daemon=True).start()
        except (OSError, ValueError) as e:
            print(f"gradlens.watch: nothing listens at {self.address} ({e}); training goes on without Gradient Lens. "
                  f"Set {ENV} (the extension sets it in its terminals) or run 'Gradient Lens: Listen for PyTorch Scripts'.",
                  file=sys.stderr)
            self.sock = self.file = None

    def send(self, obj):
        line = json.dumps(obj, allow_nan=False, default=float) + "\n"
        with self.lock:
            try:
                if self.file:
                    self.file.write(line)
                    self.file.flush()
                elif self.sock:
                    self.sock.sendall(line.encode("utf-8"))
            except OSError as e:
                print(f"gradlens.watch: the connection to {self.address} closed ({e}); training goes on without it", file=sys.stderr)
                self.sock = None

    def read_requests(self):
        """Requests from the extension: {"type": "perExample", "layers": [names]} (an empty list: none)."""
        buf = b""
        sock = self.sock
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                if msg.get("type") == "perExample":
                    # Applied by the training thread at the end of the step under way (or of the
                    # next one), never during a forward pass; acknowledged at once.
                    self.pending = list(msg.get("layers", []))
                    self.send({"type": "notice", "kind": "perExample-requested",
                               "message": f"per-example gradients asked for {', '.join(self.pending) or 'no layers'}: from the step after the next one at the latest"})

    # --- per-example gradients ---------------------------------------------------------------
    def request_per_example(self, names):
        for h in self.hooks:
            h.remove()
        self.hooks, self.per_example = [], set()
        if not names:
            return
        if self.has_batchnorm:
            self.send({"type": "notice", "kind": "batchnorm",
                       "message": "per-example gradients are not defined for this model: BatchNorm makes each example's output depend on the whole batch. Layer norms are still sent."})
            return
        modules = dict(self.model.named_modules())
        for name in names:
            m = modules.get(name)
            if not isinstance(m, (nn.Linear, nn.Conv2d)) or (isinstance(m, nn.Conv2d) and (m.groups != 1 or isinstance(m.padding, str) or m.padding_mode != "zeros")):
                self.send({"type": "notice", "kind": "unsupported",
                           "message": f"no per-example gradients for {name!r}: only Linear and Conv2d (groups=1, numeric zero padding) are supported"})
                continue
            self.per_example.add(name)
            self.hooks.append(m.register_forward_hook(self.capture_input(name)))
            self.hooks.append(m.register_full_backward_hook(self.capture_grad(name)))
        if self.per_example:
            self.send({"type": "notice", "kind": "perExample",
                       "message": f"per-example gradients from the next step on for {', '.join(sorted(self.per_example))}"})

    def capture_input(self, name):
        def hook(module, inputs, output):
            if torch.is_grad_enabled():
                self.captured.setdefault(name, {})["a"] = inputs[0].detach()
        return hook

    def capture_grad(self, name):
        def hook(module, grad_input, grad_output):
            self.captured.setdefault(name, {})["d"] = grad_output[0].detach()
        return hook

    def per_example_norms(self, name, module):
        c = self.captured.get(name, {})
        a, d = c.get("a"), c.get("d")
        if a is None or d is None:
            return None
        m = a.shape[0]
        if isinstance(module, nn.Linear):
            a2, d2 = a.reshape(m, -1, a.shape[-1]), d.reshape(m, -1, d.shape[-1])
            gw = torch.einsum("mpo,mpi->moi", d2, a2)
            gb = d2.sum(1) if module.bias is not None else None
        else:
            cols = F.unfold(a, module.kernel_size, dilation=module.dilation, padding=module.padding, stride=module.stride)
            gw = torch.einsum("mfp,mkp->mfk", d.reshape(m, d.shape[1], -1), cols)
            gb = d.reshape(m, d.shape[1], -1).sum(2) if module.bias is not None else None
        sq = (gw.double() ** 2).flatten(1).sum(1)
        total = gw.sum(0).reshape(module.weight.shape)
        if gb is not None:
            sq = sq + (gb.double() ** 2).sum(1)
        g = module.weight.grad
        check = float((total - g).norm() / g.norm()) if g is not None and float(g.norm()) > 0 else None
        return {"perExampleNorms": sq.sqrt().tolist(), "sumCheck": check}

    # --- the step ------------------------------------------------------------------------------
    def before_step(self):
        self.steps += 1
        if self.steps % self.every:
            return None
        stats = []
        for i, (name, m) in enumerate(self.modules):
            ps = [p for p in m.parameters(recurse=False)]
            grads = [p.grad for p in ps if p.grad is not None]
            entry = {"layer": i, "name": name,
                     "gradNorm": math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads)) if grads else None,
                     "weightNorm": math.sqrt(sum(float((p.detach().double() ** 2).sum()) for p in ps))}
            if name in self.per_example:
                pe = self.per_example_norms(name, m)
                if pe:
                    entry.update(pe, perExampleScale="as back-propagated: with a mean-reduced loss each is g_i/M")
            stats.append((entry, [p.detach().clone() for p in ps]))
        return stats

    def after_step(self, before):
        self.captured = {}
        self.report(before)
        pending, self.pending = self.pending, None
        if pending is not None:
            self.request_per_example(pending)

    def report(self, before):
        if before is None:
            return
        layers = []
        for (entry, old), (_, m) in zip(before, self.modules):
            du = math.sqrt(sum(float(((p.detach() - o).double() ** 2).sum()) for p, o in zip(m.parameters(recurse=False), old)))
            w = entry["weightNorm"]
            entry["updateRatio"] = du / w if w > 0 else (0.0 if du == 0 else None)
            layers.append(entry)
        lr = self.optimizer.param_groups[0].get("lr") if self.optimizer.param_groups else None
        self.send({"type": "step", "step": self.steps, "time": time.time(), "loss": self.last_loss,
                   "learningRate": lr, "layers": [{k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in e.items()} for e in layers]})

    def loss(self, value):
        """Optionally report the step's loss (call before optimizer.step())."""
        self.last_loss = float(value)
        return value

    def close(self):
        for h in self.hooks:
            h.remove()
        with self.lock:
            if self.sock:
                self.sock.close()
            if self.file:
                self.file.close()
            self.sock = self.file = None


def watch(model, optimizer, **kwargs):
    return Watcher(model, optimizer, **kwargs)
