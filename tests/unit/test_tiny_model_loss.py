"""The tiny model's plain-PyTorch RNN-T loss equals torchaudio's in value and gradient."""

from __future__ import annotations

import pytest
import torch
import torchaudio

from tools.tiny_model.loss import rnnt_loss


def _random_problem(seed: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    batch, frames, labels, symbols = 4, 23, 7, 11
    logits = torch.randn(batch, frames, labels + 1, symbols, generator=generator) * 3
    targets = torch.randint(0, symbols - 1, (batch, labels), generator=generator, dtype=torch.int32)
    frame_lengths = torch.tensor([frames, 17, 9, frames], dtype=torch.int32)
    label_lengths = torch.tensor([labels, 4, 7, 0], dtype=torch.int32)
    return logits, targets, frame_lengths, label_lengths


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_torchaudio_value_and_gradient(seed: int, reduction: str) -> None:
    logits, targets, frame_lengths, label_lengths = _random_problem(seed)
    blank = logits.shape[-1] - 1
    ours_in = logits.clone().requires_grad_()
    ref_in = logits.clone().requires_grad_()
    ours = rnnt_loss(ours_in, targets, frame_lengths, label_lengths, blank, reduction)
    ref = torchaudio.functional.rnnt_loss(
        ref_in, targets, frame_lengths, label_lengths, blank, clamp=-1, reduction=reduction
    )
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-4)
    weights = torch.rand(ours.shape, generator=torch.Generator().manual_seed(seed))
    (ours * weights).sum().backward()  # type: ignore[no-untyped-call]
    (ref * weights).sum().backward()
    assert ours_in.grad is not None and ref_in.grad is not None
    torch.testing.assert_close(ours_in.grad, ref_in.grad, rtol=1e-4, atol=1e-5)
