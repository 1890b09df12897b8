"""The tiny sherpa model's two promises: its loss is the one-symbol-per-frame lattice that
sherpa-onnx's searches decode, and its encoder gives the same frames chunk by chunk (as
sherpa-onnx feeds it: windows of T frames advanced by decode_chunk_len, the LSTM state
carried) as in one pass, so training needs no chunking and chunk starts cannot matter."""

from __future__ import annotations

import itertools
import math

import torch

from tools.tiny_sherpa.loss import modified_rnnt_loss
from tools.tiny_sherpa.model import (
    CHUNK_FRAMES,
    CONTEXT_SIZE,
    WINDOW_FRAMES,
    StreamingEncoder,
    label_windows,
    output_frames,
)


def _brute_force(log_probs: torch.Tensor, labels: list[int], frames: int, blank: int) -> float:
    """log of the sum over every way to place the labels on distinct frames, blank elsewhere."""
    total = []
    for emitting in itertools.combinations(range(frames), len(labels)):
        score, u = 0.0, 0
        for t in range(frames):
            if t in emitting:
                score += float(log_probs[t, u, labels[u]])
                u += 1
            else:
                score += float(log_probs[t, u, blank])
        total.append(score)
    return math.log(sum(math.exp(s) for s in total))


def test_modified_rnnt_loss_sums_one_symbol_per_frame_alignments() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, 4, 5, generator=generator) * 2
    labels = torch.tensor([[1, 3, 2], [4, 0, 0]])
    frames = torch.tensor([6, 4])
    lengths = torch.tensor([3, 1])
    log_probs = logits.log_softmax(-1)
    expected = [
        _brute_force(log_probs[0], [1, 3, 2], 6, blank=0),
        _brute_force(log_probs[1], [4], 4, blank=0),
    ]
    loss = modified_rnnt_loss(logits, labels, frames, lengths, blank=0)
    assert math.isclose(float(loss), -sum(expected) / 2, rel_tol=1e-5)


def test_encoder_chunk_by_chunk_equals_one_pass() -> None:
    torch.manual_seed(0)
    encoder = StreamingEncoder().eval()
    chunks = 5
    features = torch.randn(2, chunks * CHUNK_FRAMES + WINDOW_FRAMES - CHUNK_FRAMES, 80)
    with torch.no_grad():
        whole, _, _ = encoder(features, *encoder.initial_state(2))
        h, c = encoder.initial_state(2)
        pieces = []
        for chunk in range(chunks):
            start = chunk * CHUNK_FRAMES
            out, h, c = encoder(features[:, start : start + WINDOW_FRAMES], h, c)
            pieces.append(out)
    assert whole.shape[1] == int(output_frames(torch.tensor(features.shape[1])))
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole, rtol=1e-5, atol=1e-5)


def test_label_windows_start_from_blank_with_sherpas_fillers() -> None:
    windows, valid = label_windows(torch.tensor([[5, 6]]), blank=9)
    assert windows.shape == (1, 3, CONTEXT_SIZE)
    assert windows[0, 0, -1] == 9 and valid[0, 0].sum() == 1
    assert windows[0, 2, -3:].tolist() == [9, 5, 6] and valid[0, 2].sum() == 3
