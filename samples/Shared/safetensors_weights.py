"""The weights of a safetensors file as PyTorch tensors, for the samples' load_in_pytorch.py scripts.

The file is read with the format's own layout (an 8-byte little-endian header length, a JSON header with each
tensor's dtype, shape and data_offsets, then the raw data), so the `safetensors` package, which Debian's PyTorch
lacks, is not needed; with it, `safetensors.torch.load_file(path)` gives the same tensors.
"""
import json
import struct
import sys

import torch


def load_weights(path):
    """The weights of a safetensors file (F32 only, as ModelGen writes them), by name; a checkpoint's optimizer state
    (`optimizer.*`) is left out."""
    with open(path, 'rb') as f:
        data = f.read()
    (length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    payload = memoryview(data)[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__' or name.startswith('optimizer.'):
            continue
        if entry['dtype'] != 'F32':
            sys.exit(f"{path}: tensor {name} is {entry['dtype']}, expected F32")
        begin, end = entry['data_offsets']
        tensors[name] = torch.frombuffer(bytearray(payload[begin:end]), dtype=torch.float32).reshape(entry['shape'])
    return tensors
