"""`gradlens.watch(model, optimizer)`: follow your own PyTorch training loop in Gradient Lens.

After each `optimizer.step()` it sends one JSON line: the step's loss (what `w.loss(loss)` gave, or
else the scalar you called `.backward()` on), the batch size M (the first dimension of the model's
input), and per parameterised module (anything with parameters of its own, e.g. Linear, Conv2d) its
gradient norm ‖∂L/∂θ‖, weight norm before the update and update ratio ‖Δθ‖/‖θ‖. On request (the
extension asks, or `per_example=[names]`) it also sends per-example gradients of chosen Linear /
Conv2d modules, from their inputs and output gradients captured by hooks: example i's share c_i of
`.grad` (they add up to it, and each record carries that sum check). With a mean-reduced loss
c_i = g_i/M (g_i = ∇L_i); the watcher says which reduction it saw (`reduction=` overrides). For one
followed weight entry it sends every c_i, θ before and after and the optimizer's state, so the
extension can write the update out with the numbers applied.

What it cannot do, said plainly: with BatchNorm in the model, per-example gradients are not
defined (each example's output depends on the whole batch), so none are sent; layer norms still
are. Modules other than Linear/Conv2d (groups = 1) get no per-example gradients.

The extension can pause the loop (it then waits inside `optimizer.step()` after the update), let
it run one more step, resume it, or detach (Stop: the script goes on without Gradient Lens). If
the connection closes, any hold is released: the script never waits for a listener that is gone.

Where it sends: the address in the environment variable GRADLENS_WATCH, which the extension sets
in the terminals it opens: `unix:/path/to/socket`, `tcp:HOST:PORT`, or `file:/path.jsonl` (append
to a file, e.g. to load later). Without it, the fallback is `tcp:127.0.0.1:52765` (the port of the
extension's "Listen for PyTorch Scripts on Port 52765"). If nothing listens, it says so once on
stderr and training goes on untouched.
"""

import atexit
import json
import math
import os
import socket
import sys
import threading
import time
import traceback

import torch
from torch import nn

from . import watchstats

ENV = "GRADLENS_WATCH"
FALLBACK = "tcp:127.0.0.1:52765"
BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
# Watchers of this process, for the one patched Tensor.backward (the loss when w.loss is not called).
_active = []
_original_backward = torch.Tensor.backward


def _backward(self, *args, **kwargs):
    if self.numel() == 1 and self.requires_grad:
        for w in _active:
            w.saw_backward(self)
    return _original_backward(self, *args, **kwargs)


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
    def __init__(self, model, optimizer, address=None, per_example=None, every=1, reduction=None):
        self.model, self.optimizer, self.every = model, optimizer, max(1, int(every))
        self.address = address or os.environ.get(ENV) or FALLBACK
        self.modules = [(n, m) for n, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))]
        self.has_batchnorm = any(isinstance(m, BATCHNORM) for m in model.modules())
        self.declared_reduction = reduction
        self.per_example, self.follow = set(), None
        self.steps = 0
        self.given_loss, self.backward_losses, self.reduction = None, [], None
        self.batch = None
        self.lock, self.cond = threading.Lock(), threading.Condition()
        self.hold_after, self.attached = None, True
        self.file = self.sock = None
        self.captured, self.hooks = {}, []
        self.pending = self.pending_follow = None
        self.open()
        script = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else None
        self.send({"type": "hello", "pid": os.getpid(), "script": script, "torch": torch.__version__, "batchNorm": self.has_batchnorm,
                   "optimizer": type(optimizer).__name__ if optimizer is not None else None,
                   "layers": [{"index": i, "name": n, "type": type(m).__name__, "perExample": watchstats.supported(m),
                               "params": [{"name": pn, "shape": list(p.shape)} for pn, p in m.named_parameters(recurse=False)]}
                              for i, (n, m) in enumerate(self.modules)]})
        self.batch_hook = model.register_forward_pre_hook(self.see_batch)
        if per_example:
            self.request_per_example(per_example)
        _active.append(self)
        torch.Tensor.backward = _backward
        original = optimizer.step

        def step(*args, **kwargs):
            if not self.attached:
                return original(*args, **kwargs)
            before = self.before_step()
            result = original(*args, **kwargs)
            self.after_step(before)
            return result

        optimizer.step = step
        self.exit_hooks()

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
                  f"Set {ENV} (the extension sets it in its terminals) or run 'Gradient Lens: Listen for PyTorch Scripts on Port 52765'.",
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

    def exit_hooks(self):
        """The listener hears how the script ended: `exit` (it returned), `crashed` (an exception left it) or `interrupted`."""
        previous = sys.excepthook

        def hook(kind, value, tb):
            name = "interrupted" if issubclass(kind, KeyboardInterrupt) else "crashed"
            where = traceback.extract_tb(tb)[-1] if tb else None
            at = f" ({os.path.basename(where.filename)}:{where.lineno})" if where else ""
            self.send({"type": name, "step": self.steps, "message": f"{kind.__name__}: {value}{at}"})
            self.shutdown()
            previous(kind, value, tb)

        sys.excepthook = hook
        atexit.register(lambda: (self.send({"type": "exit", "step": self.steps}), self.shutdown()))

    def read_requests(self):
        """Requests from the extension, one JSON object a line: perExample {layers}, follow {layer, index},
        pause, step, resume and detach."""
        buf, sock = b"", self.sock
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    self.on_request(json.loads(line))
                except (ValueError, AttributeError):
                    continue
        # The listener is gone: never leave the script waiting for it.
        self.release(detach=True)

    def on_request(self, msg):
        kind = msg.get("type")
        if kind == "perExample":
            # Applied by the training thread at the end of the step under way (or of the next one),
            # never during a forward pass; acknowledged at once.
            self.pending = list(msg.get("layers", []))
            self.send({"type": "notice", "kind": "perExample-requested",
                       "message": f"per-example gradients asked for {', '.join(self.pending) or 'no layers'}: from the step after the next one at the latest"})
        elif kind == "follow":
            self.pending_follow = (str(msg.get("layer")), msg.get("index"))
        elif kind in ("pause", "step", "resume"):
            with self.cond:
                self.hold_after = None if kind == "resume" else self.steps + (1 if kind == "step" else 0)
                self.cond.notify_all()
        elif kind == "detach":
            self.send({"type": "detached", "step": self.steps})
            self.release(detach=True)

    def release(self, detach=False):
        with self.cond:
            self.hold_after = None
            if detach:
                self.attached = False
            self.cond.notify_all()
        if detach:
            self.shutdown()

    def hold(self):
        """Waits here (inside optimizer.step, after the update) while the extension holds the loop."""
        with self.cond:
            if self.hold_after is None or self.steps < self.hold_after or not self.attached:
                return
            self.send({"type": "held", "step": self.steps})
            while self.attached and self.hold_after is not None and self.steps >= self.hold_after:
                self.cond.wait()
        self.send({"type": "released", "step": self.steps})

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
            if m is None or not watchstats.supported(m):
                self.send({"type": "notice", "kind": "unsupported",
                           "message": f"no per-example gradients for {name!r}: only Linear and Conv2d (groups=1, numeric zero padding) are supported"})
                continue
            self.per_example.add(name)
            self.hooks.append(m.register_forward_hook(self.capture_input(name)))
            self.hooks.append(m.register_full_backward_hook(self.capture_grad(name)))
        if self.follow and self.follow[0] not in self.per_example:
            self.follow = None
        if self.per_example:
            self.send({"type": "notice", "kind": "perExample",
                       "message": f"per-example gradients from the next step on for {', '.join(sorted(self.per_example))}"})

    def see_batch(self, module, inputs):
        if torch.is_grad_enabled() and inputs and torch.is_tensor(inputs[0]) and inputs[0].dim() > 0:
            self.batch = int(inputs[0].shape[0])

    def saw_backward(self, loss):
        self.backward_losses.append(float(loss.detach()))
        self.reduction = watchstats.loss_reduction(loss) or self.reduction

    def capture_input(self, name):
        def hook(module, inputs, output):
            if torch.is_grad_enabled():
                self.captured.setdefault(name, {})["a"] = inputs[0].detach()
        return hook

    def capture_grad(self, name):
        def hook(module, grad_input, grad_output):
            self.captured.setdefault(name, {})["d"] = grad_output[0].detach()
        return hook

    # --- the step ------------------------------------------------------------------------------
    def before_step(self):
        self.steps += 1
        if self.steps % self.every:
            return None
        stats, followed = [], None
        for i, (name, m) in enumerate(self.modules):
            ps = [p for p in m.parameters(recurse=False)]
            grads = [p.grad for p in ps if p.grad is not None]
            entry = {"layer": i, "name": name,
                     "gradNorm": math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads)) if grads else None,
                     "weightNorm": math.sqrt(sum(float((p.detach().double() ** 2).sum()) for p in ps))}
            c = self.captured.get(name, {})
            if name in self.per_example and c.get("a") is not None and c.get("d") is not None:
                gw, gb = watchstats.contributions(m, c["a"], c["d"])
                entry.update(watchstats.layer_entry(m, gw, gb))
                if self.follow is None or self.follow[0] not in self.per_example:
                    self.follow = (name, watchstats.most_varied(gw))
                if self.follow[0] == name and m.weight.grad is not None and self.follow[1] < gw.shape[1]:
                    k = self.follow[1]
                    followed = {"layer": i, "name": name, "index": k, "shape": list(m.weight.shape),
                                "perExample": gw[:, k].double().tolist(), "grad": float(m.weight.grad.flatten()[k]),
                                "before": float(m.weight.detach().flatten()[k]),
                                "optimizerBefore": watchstats.optimizer_state(self.optimizer, m.weight, k)}
            stats.append((entry, [p.detach().clone() for p in ps]))
        return stats, followed

    def after_step(self, before):
        self.captured = {}
        self.report(before)
        losses, self.backward_losses, self.given_loss = self.backward_losses, [], None
        pending, self.pending = self.pending, None
        if pending is not None:
            self.request_per_example(pending)
        follow, self.pending_follow = self.pending_follow, None
        if follow is not None:
            name, index = follow
            if name not in self.per_example:
                self.request_per_example(sorted(self.per_example | {name}))
            if name in self.per_example:
                self.follow = (name, int(index)) if isinstance(index, int) and index >= 0 else None
        self.hold()

    def report(self, before):
        if before is None:
            return
        stats, followed = before
        layers = []
        for (entry, old), (_, m) in zip(stats, self.modules):
            du = math.sqrt(sum(float(((p.detach() - o).double() ** 2).sum()) for p, o in zip(m.parameters(recurse=False), old)))
            w = entry["weightNorm"]
            entry["updateRatio"] = du / w if w > 0 else (0.0 if du == 0 else None)
            layers.append(entry)
        if followed is not None:
            m = self.modules[followed["layer"]][1]
            followed["after"] = float(m.weight.detach().flatten()[followed["index"]])
            followed["optimizerAfter"] = watchstats.optimizer_state(self.optimizer, m.weight, followed["index"])
        lr = self.optimizer.param_groups[0].get("lr") if self.optimizer.param_groups else None
        if self.given_loss is not None:
            loss, source = self.given_loss, "w.loss"
        elif self.backward_losses:
            loss, source = sum(self.backward_losses) / len(self.backward_losses), "backward"
        else:
            loss, source = None, None
        self.send({"type": "step", "step": self.steps, "time": time.time(), "loss": loss, "lossFrom": source,
                   "backwardCalls": len(self.backward_losses), "batchSize": self.batch,
                   "reduction": self.declared_reduction or self.reduction, "reductionDeclared": self.declared_reduction is not None,
                   "learningRate": watchstats._num(lr), "followed": followed,
                   "layers": [{k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in e.items()} for e in layers]})

    def loss(self, value):
        """Optionally report the step's loss (call before optimizer.step())."""
        self.given_loss = float(value)
        return value

    def close(self):
        """Ends the watch (the extension shows the run as finished); the script goes on without it."""
        self.send({"type": "closed", "step": self.steps})
        self.release(detach=True)

    def shutdown(self):
        self.attached = False
        for h in self.hooks:
            h.remove()
        self.hooks = []
        if self in _active:
            _active.remove(self)
            self.batch_hook.remove()
        if not _active:
            torch.Tensor.backward = _original_backward
        with self.lock:
            try:
                if self.sock:
                    self.sock.close()
                if self.file:
                    self.file.close()
            except OSError:
                pass
            self.sock = self.file = None


def watch(model, optimizer, **kwargs):
    return Watcher(model, optimizer, **kwargs)
