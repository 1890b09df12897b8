"""The "modified" RNN-T loss: at most one symbol per encoder frame.

sherpa-onnx's greedy and modified beam searches emit at most one token per
frame, so the model is trained on that lattice: from (t, u) a blank goes to
(t + 1, u) and a label to (t + 1, u + 1). Every step consumes a frame, which
makes the forward recursion a plain loop over frames (autograd does the rest).
Unreachable states hold a large finite negative number, not -inf: the
gradient of logaddexp(-inf, -inf) is NaN.
"""

from __future__ import annotations

import torch

_UNREACHABLE = -1.0e4


def modified_rnnt_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    frames: torch.Tensor,
    label_lengths: torch.Tensor,
    blank: int,
) -> torch.Tensor:
    """Mean over the batch of -log P(labels | frames).

    ``logits``: (B, T, U+1, V); ``labels``: (B, U); ``frames``, ``label_lengths``: (B,).
    An utterance needs at least as many frames as labels.
    """
    log_probs = logits.log_softmax(-1)
    blank_lp = log_probs[..., blank]
    emit_lp = log_probs[:, :, :-1].gather(
        -1, labels[:, None, :, None].long().expand(-1, logits.shape[1], -1, 1)
    )[..., 0]
    batch, steps, positions = blank_lp.shape
    alpha = torch.full((batch, positions), _UNREACHABLE)
    alpha[:, 0] = 0.0
    no_move = torch.full((batch, 1), _UNREACHABLE)
    for t in range(steps):
        stay = alpha + blank_lp[:, t]
        climb = torch.cat([no_move, alpha[:, :-1] + emit_lp[:, t]], dim=1)
        alpha = torch.where((t < frames)[:, None], torch.logaddexp(stay, climb), alpha)
    rows = torch.arange(batch)
    return -alpha[rows, label_lengths.long()].mean()
