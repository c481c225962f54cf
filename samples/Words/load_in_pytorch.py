"""Loads a Words run's model.safetensors into the PyTorch module below with load_state_dict(strict=True) and measures
its test loss in PyTorch (mean cross-entropy of the next character in nats, eval mode), on the same test characters
as the trainer: the words of the list whose 32-bit FNV-1a hash mod 10 is 9, each letter and the closing boundary with
the 8 symbols before it, padded with the boundary. Its result can be set beside the trainer's "test loss" line.

    /usr/bin/python3 samples/Words/load_in_pytorch.py runs/words-.../model.safetensors [WORDS]

WORDS is the word list (default /usr/share/dict/american-english, Debian's wamerican, as the trainer's). Needs
PyTorch (Debian: apt-get install python3-torch). A checkpoint.safetensors works too: its optimizer tensors are left
out. The file is read by ../Shared/safetensors_weights.py, so the `safetensors` package is not needed; the layers that
PyTorch lacks (RMSNorm before 2.4, FeedForward, Residual, ClassificationHead) come from ../Shared/modelgen_layers.py.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Shared'))
from modelgen_layers import ClassificationHead, FeedForward, Residual, rms_norm  # noqa: E402
from safetensors_weights import load_weights  # noqa: E402

CONTEXT, EMBEDDING, HIDDEN, FEED_FORWARD, SYMBOLS = 8, 16, 128, 512, 27


class WordModel(nn.Module):
    """WordModel.cs: Embedding(27, 16) → Flatten → Linear → RMSNorm → 2 × Residual(RMSNorm, FeedForward) → Dropout → head."""

    def __init__(self, dropout=0.1):
        super().__init__()
        self.char_embedding = nn.Embedding(SYMBOLS, EMBEDDING)
        self.flat = nn.Flatten()
        self.proj = nn.Linear(CONTEXT * EMBEDDING, HIDDEN)
        self.norm = rms_norm(HIDDEN)
        self.block1 = Residual(rms_norm(HIDDEN), FeedForward(HIDDEN, FEED_FORWARD))
        self.block2 = Residual(rms_norm(HIDDEN), FeedForward(HIDDEN, FEED_FORWARD))
        self.drop = nn.Dropout(dropout)
        self.head = ClassificationHead(HIDDEN, SYMBOLS)

    def forward(self, tokens):
        x = self.flat(self.char_embedding(tokens))
        x = self.norm(self.proj(x))
        x = self.block2(self.block1(x))
        return self.head(self.drop(x))


def fnv1a(word):
    h = 2166136261
    for b in word.encode('utf-8'):
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def test_words(path):
    """The trainer's test words: lines lower-cased, only words of a-z, each kept once, FNV-1a mod 10 = 9, in order."""
    words = set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            word = line.strip().lower()
            if word and all('a' <= c <= 'z' for c in word):
                words.add(word)
    return sorted(w for w in words if fnv1a(w) % 10 == 9)


def examples(words):
    """Each letter and the closing boundary (id 0) of every word, with the 8 symbols before it (a-z are 1-26)."""
    contexts, targets = [], []
    for word in words:
        ids = [0] * CONTEXT + [ord(c) - ord('a') + 1 for c in word] + [0]
        for i in range(CONTEXT, len(ids)):
            contexts.append(ids[i - CONTEXT:i])
            targets.append(ids[i])
    return torch.tensor(contexts), torch.tensor(targets)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    weights = sys.argv[1]
    words = test_words(sys.argv[2] if len(sys.argv) == 3 else '/usr/share/dict/american-english')
    model = WordModel()
    model.load_state_dict(load_weights(weights), strict=True)
    model.eval()
    contexts, targets = examples(words)
    total = 0.0
    with torch.no_grad():
        for begin in range(0, len(targets), 4096):
            logits = model(contexts[begin:begin + 4096])
            total += F.cross_entropy(logits, targets[begin:begin + 4096], reduction='sum').double().item()
    print(f"PyTorch {torch.__version__}: {weights} loaded with strict=True; {len(words)} test words, "
          f"{len(targets)} characters, test loss {total / len(targets):.6f} nats/char")


if __name__ == '__main__':
    main()
