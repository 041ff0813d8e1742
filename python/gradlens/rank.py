"""One rank of a data-parallel run: `python3 -m gradlens.rank JOB_DIR`, started by gradlens.launch
(or torchrun where it works) with the env:// variables MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE,
LOCAL_RANK. Each step's global batch of M (the engine's indices) is split over the R ranks; each rank
back-propagates the mean loss of its M_r examples, G_r, and a DDP communication hook turns the
all-reduce into the global mean (1/M)·Σᵢ gᵢ = Σ_r (M_r/M)·G_r (DDP's default, (1/R)·Σ_r G_r, is
a mean of means: it differs whenever the M_r differ). Every rank writes heartbeat lines on stdout;
rank 0 also writes the merged step records.
"""

import faulthandler
import json
import os
import signal
import sys
import time
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from . import job as jobs
from .model import SpecModel, make_optimizer, per_example_loss
from .records import merge_step, evaluate
from .stats import Capture


def emit(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False) + "\n")
    sys.stdout.flush()


class HookState:
    def __init__(self):
        self.weight = 1.0
        self.local = {}


def weighted_mean_hook(state, bucket):
    """Sees each bucket's local gradient G_r (keeps a copy per parameter), then all-reduces
    (M_r/M)·G_r with SUM: every rank ends with the mean over the global batch."""
    for p, g in zip(bucket.parameters(), bucket.gradients()):
        state.local[p] = g.detach().clone()
    buf = bucket.buffer()
    buf.mul_(state.weight)
    fut = dist.all_reduce(buf, async_op=True).get_future()
    return fut.then(lambda f: f.value()[0])


CONTROL_POLL = 0.2  # seconds between two looks at the control file while held
HELD_BEAT = 1.0  # seconds between heartbeats while held


def read_control(job_dir):
    """The launcher's control file: ["run"], ["pause"] or ["step", N] (the N-th step request)."""
    try:
        with open(os.path.join(job_dir, "control"), encoding="utf-8") as f:
            return f.read().split() or ["run"]
    except FileNotFoundError:
        return ["run"]


class Controls:
    """Pause, resume and step, at step boundaries. Rank 0 reads the control file and broadcasts its
    decision, so every rank holds before the same step; while held all ranks keep meeting in that
    small broadcast (no collective waits long enough to time out) and keep beating."""

    def __init__(self, job_dir, rank, device):
        self.job_dir, self.rank = job_dir, rank
        self.flag = torch.zeros(1, dtype=torch.int32, device=device)
        self.stepped = 0  # the newest "step N" request already carried out

    def _wants_hold(self):
        words = read_control(self.job_dir)
        if words[0] == "pause":
            return True
        if words[0] == "step" and len(words) > 1:
            n = int(words[1])
            if n > self.stepped:
                self.stepped = n
                return False
            return True
        return False

    def _agree(self):
        self.flag[0] = 1 if self.rank == 0 and self._wants_hold() else 0
        dist.broadcast(self.flag, src=0)
        return bool(self.flag[0].item())

    def hold_before(self, done_step, epoch):
        """Waits while the run is paused before the step after `done_step`; the seconds it held."""
        if not self._agree():
            return 0.0
        t0 = beat_at = time.perf_counter()
        if self.rank == 0:
            emit({"type": "held", "step": done_step, "epoch": epoch})
        while True:
            time.sleep(CONTROL_POLL)
            if time.perf_counter() - beat_at >= HELD_BEAT:
                beat_at = time.perf_counter()
                emit({"type": "beat", "rank": self.rank, "held": done_step})
            if not self._agree():
                break
        if self.rank == 0:
            emit({"type": "released", "step": done_step, "epoch": epoch})
        return time.perf_counter() - t0


def injected_fault(rank, step):
    """GRADLENS_TEST_FAULT=crash@R:S or hang@R:S makes rank R crash or hang at step S (tests only)."""
    spec = os.environ.get("GRADLENS_TEST_FAULT", "")
    if "@" not in spec:
        return
    what, where = spec.split("@", 1)
    r, s = (int(v) for v in where.split(":"))
    if r != rank or s != step:
        return
    if what == "crash":
        raise RuntimeError(f"injected crash on rank {rank} at step {step}")
    if what == "hang":
        while True:
            time.sleep(3600)


def main(job_dir):
    # `kill -USR1 <pid>` prints where a rank is (on its stderr, which the launcher keeps).
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    emit({"type": "beat", "rank": rank, "phase": "start", "pid": os.getpid()})
    threads = int(os.environ.get("GRADLENS_THREADS", "1"))
    torch.set_num_threads(threads)
    job = jobs.load(job_dir)
    spec = job["spec"]
    cuda = torch.cuda.is_available() and os.environ.get("GRADLENS_DEVICE", "auto") != "cpu"
    backend = "nccl" if cuda else "gloo"
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    timeout = float(os.environ.get("GRADLENS_COLLECTIVE_TIMEOUT", "600"))
    dist.init_process_group(backend, timeout=timedelta(seconds=timeout))
    emit({"type": "beat", "rank": rank, "phase": "joined"})

    dtype = torch.float64 if spec.get("dtype") == "float64" else torch.float32
    model = SpecModel(spec, job["inputShape"]).to(dtype)
    model.load_engine_weights(job["weights"])
    model.to(device)
    ddp = DDP(model, device_ids=[local_rank] if cuda else None)
    state = HookState()
    ddp.register_comm_hook(state, weighted_mean_hook)
    opt = make_optimizer(spec, model)
    x_all = job["train_x"].to(dtype).to(device)
    y_all = job["train_y"].to(device)
    if rank == 0:
        emit({"type": "ready", "backend": f"pytorch-ddp({backend}, {world} rank{'s' if world != 1 else ''})",
              "torch": torch.__version__, "worldSize": world, "device": str(device)})
    ctx = {"examplesSeen": 0, "started": time.perf_counter(), "epochSeconds": 0.0}
    epoch_ends = set(job.get("epochEnds", []))
    controls = Controls(job_dir, rank, device)
    done = {"step": 0, "epoch": 0}
    for s in job["steps"]:
        # Time held in a pause is not training time (the records' `time`).
        ctx["started"] += controls.hold_before(done["step"], done["epoch"])
        t0 = time.perf_counter()
        injected_fault(rank, s["step"])
        # Before the all-reduce: a rank that never says this is the one the others wait for.
        emit({"type": "beat", "rank": rank, "reached": s["step"]})
        indices = s["indices"]
        m = len(indices)
        lo, hi = jobs.shard(m, world, rank)
        idx = torch.tensor(indices[lo:hi], dtype=torch.long, device=device)
        x, y = x_all[idx], y_all[idx]
        state.weight = (hi - lo) / m
        state.local = {}
        opt.zero_grad(set_to_none=False)
        model.keep_relu_outputs = True
        with Capture(model) as capture:
            out = ddp(x)
            per = per_example_loss(spec["loss"], out, y)
            local_loss = per.mean() if hi > lo else out.sum() * 0.0
            local_loss.backward()
        model.keep_relu_outputs = False
        part = local_part(model, spec, state, x, y, out, per, rank, capture.seen)
        sizes = {jobs.shard(m, world, r)[1] - jobs.shard(m, world, r)[0] for r in range(world)}
        if len(sizes) > 1:
            part["meanOfMeans"] = mean_of_means(model, state, world)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        opt.step()
        part["updateSq"] = update_squared_norms(model, before)
        parts = [None] * world if rank == 0 else None
        dist.gather_object(part, parts, dst=0)
        ctx["epochSeconds"] += time.perf_counter() - t0
        if rank == 0:
            ctx["examplesSeen"] += m
            emit(merge_step(s, spec, parts, ctx))
            if s["step"] in epoch_ends:
                emit(evaluate(model, spec, job, s, ctx, dtype, device))
                ctx["epochSeconds"] = 0.0
        emit({"type": "beat", "rank": rank, "step": s["step"]})
        done = {"step": s["step"], "epoch": s["epoch"]}
    if rank == 0:
        emit({"type": "done"})
    dist.barrier()  # no rank leaves while a peer may still be sending to it
    # Skip the interpreter's teardown of torch and gloo: under load it took from seconds to minutes.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def mean_of_means(model, state, world):
    """What DDP's default would have stepped with when the ranks' batches differ: (1/R)·Σ_r G_r.
    {layer: (‖(1/R)·Σ_r G_r‖², ‖(1/R)·Σ_r G_r − G‖²)}, G the global mean actually used."""
    params = list(model.parameters())
    local = [state.local.get(p, torch.zeros_like(p)).flatten() for p in params]
    flat = torch.cat(local).double()
    dist.all_reduce(flat)
    flat /= world
    res, at = {}, 0
    sizes = {id(p): p.numel() for p in params}
    chunks = {}
    for p in params:
        chunks[id(p)] = flat[at:at + sizes[id(p)]]
        at += sizes[id(p)]
    for i, w, b in model.named_layer_params():
        mw, mb = chunks[id(w)], chunks[id(b)]
        dw, db = mw - w.grad.flatten().double(), mb - b.grad.flatten().double()
        res[i] = (float((mw ** 2).sum() + (mb ** 2).sum()), float((dw ** 2).sum() + (db ** 2).sum()))
    return res


def update_squared_norms(model, before):
    """{layer: ‖Δθ‖²} (weight and bias together) of the update just applied."""
    res = {}
    for i in model.param_layers:
        w, b = f"layers.{i}.weight", f"layers.{i}.bias"
        layer = model.layers[i]
        res[i] = float(((layer.weight.detach() - before[w]).double() ** 2).sum() +
                       ((layer.bias.detach() - before[b]).double() ** 2).sum())
    return res


def local_part(model, spec, state, x, y, out, per, rank, captured):
    """What this rank knows about the step: its examples' losses, predictions and per-example
    gradient norms, its local gradient G_r per layer, and (the same on every rank) the global G.
    Per-example norms come from the pass's own inputs and gradients at z (`captured`); with
    GRADLENS_PER_EXAMPLE=vmap from functorch's vmap(grad) instead (the slower cross-check)."""
    from .stats import alive_units, per_example_layer_stats, per_example_layer_stats_captured, sq_norm

    names = dict(model.named_parameters())
    mean = {n: p.grad.detach() for n, p in names.items()}
    if os.environ.get("GRADLENS_PER_EXAMPLE") == "vmap":
        per_ex = per_example_layer_stats(model, spec["loss"], x, y, mean)
    else:
        per_ex = per_example_layer_stats_captured(model, captured, x.shape[0], mean)
    layers = {}
    for i, w, b in model.named_layer_params():
        lw, lb = state.local.get(w), state.local.get(b)
        g_sq = sq_norm(w.grad, b.grad)
        if lw is None:
            lw, lb = torch.zeros_like(w), torch.zeros_like(b)
        local_dot = float((lw.double() * w.grad.double()).sum() + (lb.double() * b.grad.double()).sum())
        layers[i] = {"gSq": g_sq, "wSq": sq_norm(w, b), "localSq": sq_norm(lw, lb), "localDot": local_dot,
                     "exSq": per_ex[i][0], "exDot": per_ex[i][1]}
    return {
        "rank": rank, "m": int(x.shape[0]),
        "perExampleLoss": per.detach().double().tolist(),
        "predictions": out.detach().argmax(dim=1).tolist() if x.shape[0] else [],
        "labels": y.tolist(), "layers": layers, "alive": alive_units(model),
    }


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except KeyboardInterrupt:
        sys.exit(130)
