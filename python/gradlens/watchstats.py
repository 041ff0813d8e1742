"""The numbers gradlens.watch sends beyond layer norms.

Per-example gradients of Linear / Conv2d modules, from the input and output gradient their hooks
captured: c_i, example i's share of `.grad` as back-propagated (they add up to `.grad`; with a
mean-reduced loss c_i = g_i/M). And what the optimizer did to one followed scalar (its state before
and after the step), so the panel can write the update out with the numbers that were applied.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def supported(module):
    """Linear, and Conv2d with groups = 1 and numeric zero padding: the shapes the einsums below know."""
    if isinstance(module, nn.Linear):
        return True
    return (isinstance(module, nn.Conv2d) and module.groups == 1 and not isinstance(module.padding, str)
            and module.padding_mode == "zeros")


def contributions(module, a, d):
    """(M × |W|, M × |b| or None): each example's share of weight.grad and bias.grad, flattened."""
    m = a.shape[0]
    if isinstance(module, nn.Linear):
        a2, d2 = a.reshape(m, -1, a.shape[-1]), d.reshape(m, -1, d.shape[-1])
        gw = torch.einsum("mpo,mpi->moi", d2, a2)
        gb = d2.sum(1) if module.bias is not None else None
    else:
        cols = F.unfold(a, module.kernel_size, dilation=module.dilation, padding=module.padding, stride=module.stride)
        d3 = d.reshape(m, d.shape[1], -1)
        gw = torch.einsum("mfp,mkp->mfk", d3, cols)
        gb = d3.sum(2) if module.bias is not None else None
    return gw.reshape(m, -1), gb


def layer_entry(module, gw, gb):
    """Per-example norms, cos(c_i, Σ c), and how closely Σ c matches .grad (relative), weights and bias together."""
    flat = gw.double()
    if gb is not None:
        flat = torch.cat([flat, gb.double()], 1)
    total = flat.sum(0)
    norms = flat.norm(dim=1)
    tn = float(total.norm())
    cos = (flat @ total) / (norms * tn) if tn > 0 else torch.zeros_like(norms)
    grads = [p.grad for p in (module.weight, module.bias) if p is not None and p.grad is not None]
    g = torch.cat([x.detach().double().flatten() for x in grads]) if grads else None
    check = float((total - g).norm() / g.norm()) if g is not None and g.numel() == total.numel() and float(g.norm()) > 0 else None
    return {"perExampleNorms": norms.tolist(), "cosineToMean": [x if math.isfinite(x) else 0.0 for x in cos.tolist()],
            "sumCheck": check}


def most_varied(gw):
    """The weight entry whose per-example shares vary most over the batch (the panel follows it)."""
    return int(gw.double().var(0, unbiased=False).argmax()) if gw.shape[0] > 1 else int(gw.abs().sum(0).argmax())


def _group(optimizer, p):
    for group in optimizer.param_groups:
        if any(q is p for q in group["params"]):
            return group
    return None


def _num(x):
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def optimizer_state(optimizer, p, k):
    """The optimizer's hyper-parameters for p and its state at p's flat entry k (read before or after a step)."""
    group = _group(optimizer, p) if optimizer is not None else None
    if group is None:
        return None
    st = optimizer.state.get(p, {})

    def at(name):
        t = st.get(name)
        return float(t.flatten()[k]) if torch.is_tensor(t) and t.numel() > k else None

    cls = type(optimizer)
    out = {"type": f"torch.optim.{cls.__name__}" if cls.__module__.startswith("torch.optim") else f"{cls.__module__}.{cls.__name__}",
           "learningRate": _num(group.get("lr")), "weightDecay": _num(group.get("weight_decay", 0.0)) or 0.0,
           "maximize": bool(group.get("maximize", False))}
    if type(optimizer) is torch.optim.SGD:
        out.update(kind="sgd", momentum=_num(group.get("momentum", 0.0)) or 0.0, dampening=_num(group.get("dampening", 0.0)) or 0.0,
                   nesterov=bool(group.get("nesterov", False)), first=at("momentum_buffer"))
    elif type(optimizer) is torch.optim.Adam:
        b1, b2 = group.get("betas", (0.9, 0.999))
        step = st.get("step")
        out.update(kind="adam", beta1=_num(b1), beta2=_num(b2), epsilon=_num(group.get("eps")), amsgrad=bool(group.get("amsgrad", False)),
                   first=at("exp_avg"), second=at("exp_avg_sq"), step=_num(step) if step is not None else None)
    else:
        out.update(kind=None)
    return out


def loss_reduction(loss):
    """'mean' or 'sum' when the loss tensor's last operation says how it combined the batch, else None."""
    fn = getattr(loss, "grad_fn", None)
    if fn is None:
        return None
    saved = getattr(fn, "_saved_reduction", None)
    if saved in (1, 2) and getattr(fn, "_saved_weight", None) is None:
        return "mean" if saved == 1 else "sum"
    name = type(fn).__name__
    if name.startswith("MeanBackward"):
        return "mean"
    if name.startswith("SumBackward"):
        return "sum"
    return None
