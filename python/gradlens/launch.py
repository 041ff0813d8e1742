"""Start the ranks of a data-parallel run and watch them (torchrun's job, which fails on Debian's
torch 1.13 with Python 3.11): `python3 -m gradlens.launch JOB_DIR --nproc N`.

Each rank is `python3 -m gradlens.rank JOB_DIR` with the env:// variables MASTER_ADDR, MASTER_PORT,
RANK, WORLD_SIZE and LOCAL_RANK. To span machines, copy the job folder to each and run on machine k
of K: `python3 -m gradlens.launch JOB --nproc N --nnodes K --node-rank k --master-addr HOST0
--master-port P` (the same rendezvous torchrun uses; node 0's launcher prints the records).

Output, one JSON object a line on stdout: rank 0's `ready`, `step` and `epoch` records (and `held` /
`released` around a pause), then `finished` or `failed` {error: {kind, message}}. With --watch-stdin,
the lines `pause`, `resume` and `step` on stdin pause before the next step, resume, or run exactly one
more step and pause again. A rank that exits with an error, or that makes
no progress (no heartbeat line) for --stall-timeout seconds, ends the run: every other local rank
is ended too and the launcher exits 1.
"""

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading

MIN_TORCH = (1, 13)
EXIT_GRACE = 15.0  # seconds the ranks get to exit once the run is complete


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(kind, message):
    out({"type": "failed", "error": {"kind": kind, "message": message}})
    return 1


def torch_version():
    """torch's version without importing it (the import costs seconds; the ranks pay it anyway),
    from its installed metadata; a torch without metadata is imported. None when there is none."""
    import importlib.metadata
    import importlib.util
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None
    origin = os.path.dirname(spec.origin or "")
    for dist in importlib.metadata.distributions(path=[os.path.dirname(origin)]):
        if (dist.metadata["Name"] or "").lower() == "torch":
            return dist.version
    import torch
    return getattr(torch, "__version__", "0")


def check_torch():
    """(None, version) or (failure kind, message)."""
    try:
        version = torch_version()
    except Exception as e:  # a broken install raising something other than ImportError
        return "no-torch", f"PyTorch cannot be loaded by {sys.executable} ({e})"
    if version is None:
        return "no-torch", f"PyTorch is not installed for {sys.executable} (no module named 'torch'); install it (Debian: apt-get install python3-torch)"
    try:
        parts = tuple(int(p) for p in version.split("+")[0].split("a")[0].split(".")[:2])
    except ValueError:
        parts = (0, 0)
    if parts < MIN_TORCH:
        return "torch-too-old", f"PyTorch {version} is too old: Gradient Lens needs {MIN_TORCH[0]}.{MIN_TORCH[1]} or newer (for DDP communication hooks)"
    return None, version


def free_port(addr):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def port_in_use(addr, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((addr, port))
        except OSError:
            return True
    return False


def die_with_parent():
    """Linux: a rank gets SIGKILL when its launcher dies, so no rank outlives a killed run."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Rank:
    def __init__(self, rank, proc):
        self.rank, self.proc = rank, proc
        self.stderr_tail = []
        self.last_step = 0
        self.joined = False
        self.reached = 0  # the latest step whose all-reduce this rank has entered


def read_stdout(r, events):
    for line in r.proc.stdout:
        try:
            msg = json.loads(line)
        except ValueError:
            continue  # a stray print is not part of the protocol
        events.put(("msg", r, msg))
    events.put(("eof", r, None))


def read_stderr(r):
    for line in r.proc.stderr:
        r.stderr_tail.append(line.rstrip("\n"))
        del r.stderr_tail[:-30]


def crash_reason(r):
    for line in reversed(r.stderr_tail):
        s = line.strip()
        if s and ("Error" in s.split(":")[0] or "Exception" in s.split(":")[0]):
            return s
    return r.stderr_tail[-1].strip() if r.stderr_tail else "no message"


def hang_message(ranks, timeout):
    """Names the rank(s) the others wait for: those that got least far into the run."""
    progress = lambda r: (max(r.reached, r.last_step), r.reached > r.last_step)
    least = min(progress(r) for r in ranks)
    stuck = [r.rank for r in ranks if progress(r) == least]
    waiting = [r.rank for r in ranks if progress(r) != least]
    who = f"rank{'s' if len(stuck) > 1 else ''} {', '.join(map(str, stuck))}"
    step = least[0] + (0 if least[1] else 1)
    tail = f"; rank{'s' if len(waiting) > 1 else ''} {', '.join(map(str, waiting))} waited for it in the all-reduce" if waiting else ""
    return (f"{who} made no progress for {timeout:g} s in step {step}{tail}; all ranks were ended "
            f"(the steps before it are kept)")


PEER_GONE = ("Connection closed by peer", "Connection reset by peer", "Broken pipe", "Connection refused")


def culprit(ranks, first):
    """The rank that failed first in cause, not in time: when one rank dies, its peers fail in the
    all-reduce a moment later ("Connection closed by peer") and may be noticed first. Peers get a
    short grace to exit, then the first rank whose error is not a lost peer is named."""
    for r in ranks:
        try:
            r.proc.wait(timeout=EXIT_GRACE)
        except subprocess.TimeoutExpired:
            pass
    failed = [r for r in ranks if r.proc.returncode not in (None, 0)]
    for r in failed:
        r.stderr_reader.join(timeout=EXIT_GRACE)  # its last lines are read once it has exited
        if not any(p in crash_reason(r) for p in PEER_GONE):
            return r
    return first


def write_control(job_dir, text):
    """The control file rank 0 reads before each step, replaced whole (never seen half written)."""
    tmp = os.path.join(job_dir, "control.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, os.path.join(job_dir, "control"))


def end_all(ranks):
    for r in ranks:
        if r.proc.poll() is None:
            r.proc.terminate()
    for r in ranks:
        try:
            r.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            r.proc.kill()
            r.proc.wait()


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m gradlens.launch")
    ap.add_argument("job")
    ap.add_argument("--nproc", type=int, default=1)
    ap.add_argument("--nnodes", type=int, default=1)
    ap.add_argument("--node-rank", type=int, default=0)
    ap.add_argument("--master-addr", default=os.environ.get("MASTER_ADDR", "127.0.0.1"))
    ap.add_argument("--master-port", type=int, default=int(os.environ.get("MASTER_PORT", "0")))
    ap.add_argument("--stall-timeout", type=float, default=120.0,
                    help="seconds without a heartbeat from a rank before the run counts as hung")
    ap.add_argument("--startup-timeout", type=float, default=300.0,
                    help="seconds the ranks may take to import torch and join the rendezvous")
    ap.add_argument("--watch-stdin", action="store_true", help="end the run when stdin closes (the caller went away)")
    a = ap.parse_args(argv)
    if a.nproc < 1 or a.nnodes < 1 or not 0 <= a.node_rank < a.nnodes:
        return fail("bad-arguments", "--nproc and --nnodes must be at least 1 and --node-rank in [0, nnodes)")
    kind, message = check_torch()
    if kind:
        return fail(kind, message)
    port = a.master_port
    if a.node_rank == 0:
        if port == 0:
            port = free_port(a.master_addr)
        elif port_in_use(a.master_addr, port):
            return fail("port-in-use", f"port {port} on {a.master_addr} is already in use; choose another --master-port (0 picks a free one)")
    elif port == 0:
        return fail("bad-arguments", "on a node other than 0, --master-port must be node 0's port")
    world = a.nproc * a.nnodes
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ranks = []
    events = queue.Queue()
    for local in range(a.nproc):
        rank = a.node_rank * a.nproc + local
        env = dict(os.environ, MASTER_ADDR=a.master_addr, MASTER_PORT=str(port), RANK=str(rank),
                   WORLD_SIZE=str(world), LOCAL_RANK=str(local),
                   PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
        proc = subprocess.Popen([sys.executable, "-m", "gradlens.rank", a.job], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent)
        r = Rank(rank, proc)
        ranks.append(r)
        threading.Thread(target=read_stdout, args=(r, events), daemon=True).start()
        r.stderr_reader = threading.Thread(target=read_stderr, args=(r,), daemon=True)
        r.stderr_reader.start()
    if a.watch_stdin:
        def watch():
            # Lines "pause", "resume", "step" are controls for rank 0 (gradlens.rank Controls); EOF ends the run.
            steps = 0
            for line in sys.stdin:
                word = line.strip()
                if word == "step":
                    steps += 1
                    write_control(a.job, f"step {steps}")
                elif word in ("pause", "resume"):
                    write_control(a.job, "pause" if word == "pause" else "run")
            events.put(("stdin-closed", None, None))
        threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: events.put(("terminated", None, None)))
    return supervise(a, ranks, events)


def supervise(a, ranks, events):
    done, open_pipes = False, len(ranks)
    while open_pipes > 0:
        starting = not all(r.joined for r in ranks)
        try:
            what, r, msg = events.get(timeout=EXIT_GRACE if done else a.startup_timeout if starting else a.stall_timeout)
        except queue.Empty:
            end_all(ranks)
            if done:
                return 0  # the run is complete; a rank slow to exit was ended
            if starting:
                late = ", ".join(str(r.rank) for r in ranks if not r.joined)
                return fail("rank-hung", f"rank(s) {late} did not join the rendezvous at {a.master_addr} within "
                                         f"{a.startup_timeout:g} s (on several machines: are all nodes started, "
                                         f"with the same --master-addr and --master-port?); all ranks were ended")
            return fail("rank-hung", hang_message(ranks, a.stall_timeout))
        if what in ("stdin-closed", "terminated"):
            end_all(ranks)
            return fail("stopped", "the run was stopped")
        if what == "eof":
            open_pipes -= 1
            code = r.proc.wait()
            if code != 0 and not done:
                r = culprit(ranks, r)
                end_all(ranks)
                at = f" in step {r.last_step + 1}" if r.joined else " while starting"
                return fail("rank-crashed", f"rank {r.rank} exited with code {r.proc.returncode}{at}: {crash_reason(r)}; the other ranks were ended")
            continue
        if msg.get("type") == "beat":
            r.last_step = msg.get("step", r.last_step)
            r.reached = msg.get("reached", r.reached)
            r.joined = r.joined or msg.get("phase") == "joined"
            out(msg)  # the caller's own heartbeat: the launcher itself is alive
        elif r.rank == 0:
            if msg.get("type") == "done":
                done = True
                out({"type": "finished"})
            else:
                out(msg)
    if not done:
        return fail("rank-crashed", "the ranks ended without finishing the run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
