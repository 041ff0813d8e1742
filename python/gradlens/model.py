"""A model file's spec as an nn.Module, in the built-in engine's layouts.

Dense weights are [in, out] (z = a·W + b, a row per example), conv weights [out, in, kh, kw],
images channels-first, `same` padding TensorFlow's way (the extra row/column at the bottom/right),
max pooling over `valid` windows. Parameters are named like the engine's tensors
(`layers[i].weight`, `layers[i].bias`) so the engine's initial weights load by name.
Losses are per example and NOT divided by M: mse is ½‖f(x) − onehot(y)‖², cross-entropy is
logsumexp(z) − z[y]; the batch loss is their mean.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

LEAKY_RELU_SLOPE = 0.01
ACTIVATIONS = ("relu", "leaky-relu", "tanh", "sigmoid", "gelu")


def activate(name, z):
    if name == "relu":
        return F.relu(z)
    if name == "leaky-relu":
        return F.leaky_relu(z, LEAKY_RELU_SLOPE)
    if name == "tanh":
        return torch.tanh(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    if name == "gelu":
        # The engine's GELU is the tanh approximation (src/engine/activations.ts).
        return F.gelu(z, approximate="tanh")
    if name in (None, "linear"):
        return z
    raise ValueError(f"unknown activation {name!r}")


def same_padding(size, k, stride):
    """(before, after) padding of one axis for TensorFlow's `same` convention."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class Dense(nn.Module):
    def __init__(self, index, in_features, units, activation):
        super().__init__()
        self.index, self.activation = index, activation
        self.weight = nn.Parameter(torch.zeros(in_features, units))
        self.bias = nn.Parameter(torch.zeros(units))
        # Set by stats.Capture for a training pass: it keeps the input and the gradient at z.
        self.capture = None

    def forward(self, x):
        a = x.flatten(1)
        z = a @ self.weight + self.bias
        if self.capture is not None:
            self.capture(self, a, z)
        return activate(self.activation, z)


class Conv2d(nn.Module):
    def __init__(self, index, in_shape, spec):
        super().__init__()
        c, h, w = in_shape
        k, s = spec["kernelSize"], spec.get("stride", 1)
        self.index, self.activation, self.stride = index, spec.get("activation", "linear"), s
        if spec.get("padding", "valid") == "same":
            top, bottom = same_padding(h, k, s)
            left, right = same_padding(w, k, s)
            self.pad = (left, right, top, bottom)
        else:
            self.pad = None
        self.weight = nn.Parameter(torch.zeros(spec["filters"], c, k, k))
        self.bias = nn.Parameter(torch.zeros(spec["filters"]))
        self.capture = None

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        z = F.conv2d(x, self.weight, self.bias, stride=self.stride)
        if self.capture is not None:
            self.capture(self, x, z)
        return activate(self.activation, z)


class MaxPool2d(nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.k = spec["poolSize"]
        self.s = spec.get("stride", self.k)

    def forward(self, x):
        return F.max_pool2d(x, self.k, self.s)


class Flatten(nn.Module):
    def forward(self, x):
        return x.flatten(1)


class Activation(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.name = name

    def forward(self, x):
        return activate(self.name, x)


def output_shape(layer, shape, is_first):
    t = layer["type"]
    if t == "dense":
        return [layer["units"]]
    if t == "flatten":
        return [math.prod(shape)]
    if t in ("conv2d", "maxpool2d"):
        c, h, w = shape
        k = layer["kernelSize"] if t == "conv2d" else layer["poolSize"]
        s = layer.get("stride", 1 if t == "conv2d" else k)
        if t == "conv2d" and layer.get("padding", "valid") == "same":
            oh, ow = math.ceil(h / s), math.ceil(w / s)
        else:
            oh, ow = (h - k) // s + 1, (w - k) // s + 1
        return [layer["filters"] if t == "conv2d" else c, oh, ow]
    return list(shape)


class SpecModel(nn.Module):
    """The network of a model file. `relu_outputs` holds, after a forward, the post-ReLU output
    of each parameterised layer that has one (its own activation or a following relu layer)."""

    def __init__(self, spec, input_shape):
        super().__init__()
        mods, shape = [], list(input_shape)
        for i, layer in enumerate(spec["layers"]):
            t = layer["type"]
            if t == "dense":
                mods.append(Dense(i, math.prod(shape), layer["units"], layer.get("activation", "linear")))
            elif t == "conv2d":
                mods.append(Conv2d(i, shape, layer))
            elif t == "maxpool2d":
                mods.append(MaxPool2d(layer))
            elif t == "flatten":
                mods.append(Flatten())
            elif t in ACTIVATIONS:
                mods.append(Activation(t))
            else:
                raise ValueError(f"layers[{i}]: unknown layer type {t!r}")
            shape = output_shape(layer, shape, i == 0)
        self.layers = nn.ModuleList(mods)
        self.param_layers = [i for i, m in enumerate(mods) if isinstance(m, (Dense, Conv2d))]
        self.relu_outputs = {}
        self.keep_relu_outputs = False

    def forward(self, x):
        relu_of = {}
        for i, m in enumerate(self.layers):
            x = m(x)
            if not self.keep_relu_outputs:
                continue
            if isinstance(m, (Dense, Conv2d)) and m.activation == "relu":
                relu_of[i] = x
            elif isinstance(m, Activation) and m.name == "relu" and i - 1 in self.param_layers_linear():
                relu_of[i - 1] = x
        if self.keep_relu_outputs:
            self.relu_outputs = relu_of
        return x

    def param_layers_linear(self):
        return {i for i in self.param_layers if self.layers[i].activation == "linear"}

    def load_engine_weights(self, tensors):
        """Loads the engine's NamedTensor list ({name, shape, value}) by name, checking shapes."""
        by_name = {t["name"]: t for t in tensors}
        for i in self.param_layers:
            for kind in ("weight", "bias"):
                name = f"layers[{i}].{kind}"
                p = getattr(self.layers[i], kind)
                if name not in by_name:
                    raise ValueError(f"the initial weights have no {name}")
                t = by_name[name]
                if list(t["shape"]) != list(p.shape):
                    raise ValueError(f"{name} has shape {t['shape']} but the model needs {list(p.shape)}")
                with torch.no_grad():
                    p.copy_(torch.tensor(t["value"], dtype=p.dtype).reshape(p.shape))

    def named_layer_params(self):
        """[(layer index, weight, bias)] in spec order."""
        return [(i, self.layers[i].weight, self.layers[i].bias) for i in self.param_layers]


def per_example_loss(kind, out, y):
    if kind == "cross-entropy":
        return F.cross_entropy(out, y, reduction="none")
    if kind == "mse":
        # (not F.one_hot: it reads y's values, which vmap cannot do)
        target = (torch.arange(out.shape[1], device=out.device) == y.unsqueeze(1)).to(out.dtype)
        return 0.5 * ((out - target) ** 2).sum(dim=1)
    raise ValueError(f"unknown loss {kind!r}")


def make_optimizer(spec, model):
    """The engine's optimizers through torch.optim: weight decay on weights only, not biases.
    torch's SGD (no dampening, momentum buffer starting at the first gradient) and Adam (coupled
    L2, bias-corrected moments) are the same formulas as src/engine/optimizers.ts."""
    o = spec["optimizer"]
    weights = [w for _, w, _ in model.named_layer_params()]
    biases = [b for _, _, b in model.named_layer_params()]
    wd = o.get("weightDecay", 0)
    groups = [{"params": weights, "weight_decay": wd}, {"params": biases, "weight_decay": 0}]
    lr = o["learningRate"]
    if o["type"] == "sgd":
        mu = o.get("momentum", 0)
        return torch.optim.SGD(groups, lr=lr, momentum=mu, nesterov=bool(o.get("nesterov")) and mu > 0)
    if o["type"] == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)), eps=o.get("epsilon", 1e-8))
    raise ValueError(f"unknown optimizer {o['type']!r}")
