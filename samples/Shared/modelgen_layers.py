"""ModelGen's layers as PyTorch modules, for the samples' load_in_pytorch.py scripts: each has the attribute names
ModelGen's checkpoints use (docs/checkpoints.md), so a model built from them takes a ModelGen model.safetensors with
load_state_dict(strict=True). Layers that PyTorch has as they are (nn.Linear, nn.LayerNorm, nn.Embedding, nn.GELU,
nn.Dropout, nn.Flatten) are used directly.
"""
import torch
import torch.nn as nn


class MLP(nn.Module):
    """[Mlp]: (Linear, LayerNorm if asked, GELU) × (depth − 1), then Linear, as `layers.{i}`."""

    def __init__(self, in_dim, hidden_dim, out_dim, depth, use_layernorm):
        super().__init__()
        layers, d = [], in_dim
        for _ in range(depth - 1):
            layers += [nn.Linear(d, hidden_dim)] + ([nn.LayerNorm(hidden_dim)] if use_layernorm else []) + [nn.GELU()]
            d = hidden_dim
        layers.append(nn.Linear(d, out_dim))
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ClassificationHead(nn.Module):
    """[ClassificationHead]: one Linear, `fc`."""

    def __init__(self, d_in, num_classes):
        super().__init__()
        self.fc = nn.Linear(d_in, num_classes)

    def forward(self, x):
        return self.fc(x)


class RMSNorm(nn.Module):
    """nn.RMSNorm(d, eps=1e-8) of PyTorch 2.4 and later, written out for older versions."""

    def __init__(self, d, eps=1e-8):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rms_norm(d):
    """[RMSNorm] with ModelGen's default eps: PyTorch's own where it has one."""
    return nn.RMSNorm(d, eps=1e-8) if hasattr(nn, 'RMSNorm') else RMSNorm(d)


class FeedForward(nn.Module):
    """[FeedForward]: Linear(d, d_ff), GELU, Linear(d_ff, d), as `net.{0,2}`."""

    def __init__(self, d_model, d_ff=None):
        super().__init__()
        d_ff = d_ff or 4 * d_model
        self.net = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))

    def forward(self, x):
        return self.net(x)


class Residual(nn.Module):
    """[Residual]: x + fn(x), the wrapped layers as `fn.{i}`."""

    def __init__(self, *fn):
        super().__init__()
        self.fn = nn.Sequential(*fn)

    def forward(self, x):
        return x + self.fn(x)
