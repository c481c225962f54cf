"""Loads a run's model.safetensors into the PyTorch module of README.md with load_state_dict(strict=True) and
evaluates it on the 10 000 test images, so that its count can be compared with `mnist eval --weights` on the same
file. A checkpoint.safetensors works too: its optimizer tensors (`optimizer.*`) are left out.

    /usr/bin/python3 samples/Mnist/load_in_pytorch.py runs/mnist-.../model.safetensors [DATA]

DATA is the folder with the two test IDX files, plain or .gz (default data/mnist, the trainer's cache; Fashion-MNIST's
folder works too). Needs PyTorch (Debian: apt-get install python3-torch). The file is read by
../Shared/safetensors_weights.py, so the `safetensors` package is not needed; MLP and ClassificationHead come from
../Shared/modelgen_layers.py.
"""
import gzip
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Shared'))
from modelgen_layers import MLP, ClassificationHead  # noqa: E402
from safetensors_weights import load_weights  # noqa: E402


class MnistClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = MLP(784, 256, 256, depth=3, use_layernorm=True)
        self.head = ClassificationHead(256, 10)

    def forward(self, x):
        return self.head(self.body(x.flatten(1)))


def read_idx(folder, name, header_bytes):
    """The payload of an IDX file, plain or gzipped."""
    path = os.path.join(folder, name)
    if os.path.exists(path):
        with open(path, 'rb') as f:
            return f.read()[header_bytes:]
    if os.path.exists(path + '.gz'):
        with gzip.open(path + '.gz', 'rb') as f:
            return f.read()[header_bytes:]
    sys.exit(f"{path} (or .gz) not found: give the folder with the test IDX files as the second argument")


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    weights, folder = sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else os.path.join('data', 'mnist')
    model = MnistClassifier()
    model.load_state_dict(load_weights(weights), strict=True)
    model.eval()
    pixels = read_idx(folder, 't10k-images-idx3-ubyte', 16)
    labels = torch.tensor(list(read_idx(folder, 't10k-labels-idx1-ubyte', 8)))
    # The trainer's input: each pixel byte scaled to [0, 1].
    images = torch.frombuffer(bytearray(pixels), dtype=torch.uint8).reshape(-1, 784).float() / 255
    with torch.no_grad():
        correct = (model(images).argmax(1) == labels).sum().item()
    print(f"PyTorch {torch.__version__}: {weights} loaded with strict=True; "
          f"{len(labels)} test images, {correct} correct ({100 * correct / len(labels):.2f}%)")


if __name__ == '__main__':
    main()
