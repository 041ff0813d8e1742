"""Per-step statistics in the engine's definitions (src/engine/stats.ts):
gradNorm ‖G‖ (weight and bias together), weightNorm ‖θ‖ before the update, updateRatio ‖Δθ‖/‖θ‖,
perExampleNorms ‖gᵢ‖ with gᵢ = ∇Lᵢ (NOT divided by M), cosineToMean cos(gᵢ, G), noiseScale
tr(Σ)/‖G‖² with tr(Σ) = (Σᵢ‖gᵢ‖² − M‖G‖²)/(M − 1), deadFraction of ReLU units silent for the batch.
Per-example norms and dot products come from each layer's input and the gradient at its
pre-activation, captured in the training pass itself (per_example_layer_stats_captured: about a
millisecond a step on the examples' models); functorch's vmap(grad(·)) is the slower cross-check
(per_example_layer_stats, GRADLENS_PER_EXAMPLE=vmap), imported only when used.
"""

import math

import torch
import torch.nn.functional as F
from torch.nn.utils.stateless import functional_call

from .model import per_example_loss


def per_example_grads(model, loss_kind, x, y):
    """{parameter name: tensor [m, *shape]} of ∇Lᵢ for each example of (x, y)."""
    from functorch import grad, vmap

    params = {k: v.detach() for k, v in model.named_parameters()}
    keep = model.keep_relu_outputs
    model.keep_relu_outputs = False

    def loss_one(p, xi, yi):
        out = functional_call(model, p, (xi.unsqueeze(0),))
        return per_example_loss(loss_kind, out, yi.unsqueeze(0))[0]

    try:
        return vmap(grad(loss_one), in_dims=(None, 0, 0))(params, x, y)
    finally:
        model.keep_relu_outputs = keep


class Capture:
    """Within `with Capture(model) as c:` a training pass keeps, per parameterised layer, its input
    a (padded, for a convolution) and the gradient of the back-propagated loss at its pre-activation
    z: what each example's gradient is made of (gᵢ = aᵢ ⊗ δᵢ for a dense layer)."""

    def __init__(self, model):
        self.model, self.seen = model, {}

    def __enter__(self):
        for i in self.model.param_layers:
            self.model.layers[i].capture = self.keep
        return self

    def __exit__(self, *exc):
        for i in self.model.param_layers:
            self.model.layers[i].capture = None

    def keep(self, layer, a, z):
        if not z.requires_grad:
            return
        entry = self.seen[layer.index] = {"a": a.detach()}
        z.register_hook(lambda g: entry.__setitem__("d", g.detach()))


def per_example_layer_stats_captured(model, captured, scale, mean_grads):
    """As per_example_layer_stats, from a Capture of the pass that made .grad, without vmap:
    scale·δ is ∇Lᵢ at z (the pass back-propagated a mean over the rank's examples: scale = m).
    Dense: ‖gᵢ‖² = ‖aᵢ‖²·‖δᵢ‖² + ‖δᵢ‖², gᵢ·G = aᵢᵀ·G_W·δᵢ + δᵢ·G_b; conv: gᵢ from unfolded inputs."""
    out = {}
    for i, wn, bn in layer_param_names(model):
        layer, c = model.layers[i], captured.get(i, {})
        if "a" not in c or "d" not in c or c["a"].shape[0] == 0:
            out[i] = ([], [])
            continue
        a, d = c["a"], c["d"] * scale
        gw_mean, gb_mean = mean_grads[wn], mean_grads[bn]
        if a.dim() == 2:
            a64, d64 = a.double(), d.double()
            dd = (d64 ** 2).sum(1)
            sq = (a64 ** 2).sum(1) * dd + dd
            dots = ((a64 @ gw_mean.double()) * d64).sum(1) + d64 @ gb_mean.double()
        else:
            m = a.shape[0]
            cols = F.unfold(a, layer.weight.shape[2:], stride=layer.stride)
            d3 = d.reshape(m, d.shape[1], -1)
            gw = torch.einsum("mfp,mkp->mfk", d3, cols).flatten(1)
            gb = d3.sum(2)
            sq = torch.linalg.vector_norm(gw, dim=1).double() ** 2 + torch.linalg.vector_norm(gb, dim=1).double() ** 2
            dots = (gw @ gw_mean.flatten()).double() + (gb @ gb_mean.flatten()).double()
        out[i] = (sq.tolist(), dots.tolist())
    return out


def layer_param_names(model):
    """[(layer index, weight name, bias name)] as named_parameters() spells them."""
    return [(i, f"layers.{i}.weight", f"layers.{i}.bias") for i in model.param_layers]


def per_example_layer_stats(model, loss_kind, x, y, mean_grads):
    """For each parameterised layer: (‖gᵢ‖² list, gᵢ·G list) over the examples of x.
    mean_grads: {name: G} (the all-reduced batch gradient)."""
    out = {}
    if x.shape[0] == 0:
        return {i: ([], []) for i in model.param_layers}
    g = per_example_grads(model, loss_kind, x, y)
    for i, wn, bn in layer_param_names(model):
        gw, gb = g[wn].flatten(1), g[bn].flatten(1)
        # In the model's dtype (float64 copies of the M × size tensors dominated the step); torch's
        # reductions sum pairwise, so float32 keeps ~1e-7 relative here.
        sq = torch.linalg.vector_norm(gw, dim=1).double() ** 2 + torch.linalg.vector_norm(gb, dim=1).double() ** 2
        dots = (gw @ mean_grads[wn].flatten()).double() + (gb @ mean_grads[bn].flatten()).double()
        out[i] = (sq.tolist(), dots.tolist())
    return out


def alive_units(model):
    """{layer: [0/1 per unit]}: 1 when the unit's ReLU output was non-zero somewhere in the batch."""
    res = {}
    for i, y in model.relu_outputs.items():
        alive = (y.detach() != 0).any(dim=0)
        if alive.dim() > 1:  # conv: a unit is a channel, alive if any position of it is
            alive = alive.flatten(1).any(dim=1)
        res[i] = alive.int().tolist()
    return res


def sq_norm(*tensors):
    return float(sum((t.detach().double() ** 2).sum() for t in tensors))


def cosine(a_sq, b_sq, dot):
    d = math.sqrt(a_sq) * math.sqrt(b_sq)
    return dot / d if d > 0 else 0.0


def noise_trace(sum_sq, g_sq, m):
    if m < 2:
        return math.nan
    return max(0.0, (sum_sq - m * g_sq) / (m - 1))


def noise_scale(trace, g_sq):
    return trace / g_sq if g_sq > 0 else math.nan


def finite_or_none(v):
    """JSON has no NaN: the engine's records carry null there (JSON.stringify does the same)."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
