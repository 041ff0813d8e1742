"""Gradient Lens for PyTorch: the model files' networks on DistributedDataParallel
(gradlens.launch, gradlens.rank) and `gradlens.watch(model, optimizer)` for your own training loop.
Standard library plus torch only."""

__version__ = "0.1.0"


def watch(model, optimizer=None, **kwargs):
    """Streams per-layer statistics of every optimizer step to Gradient Lens (see gradlens.watcher)."""
    from .watcher import watch as _watch
    return _watch(model, optimizer, **kwargs)
