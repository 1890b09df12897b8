"""RNN-T loss in plain PyTorch: the same values as ``torchaudio.functional.rnnt_loss``.

On the CPU torchaudio's kernel took about two thirds of each training step.
Here the joint log-softmax is ordinary autograd and only the lattice
recursion is hand-written: forward (alpha) and backward (beta) variables are
computed one time step at a time, each row in closed form with
``logcumsumexp`` (float64, so the cumulative sums keep their precision), and
the gradient of the log-likelihood with respect to each lattice arc is its
posterior occupancy.
"""

from __future__ import annotations

from typing import Any

import torch

_NEG_INF = float("-inf")


def _lattice_log_likelihood(
    blank: torch.Tensor,
    emit: torch.Tensor,
    frames: torch.Tensor,
    labels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log P(labels | frames) and its gradients w.r.t. the arc log-probabilities.

    ``blank``: (B, T, U+1) log-probability of blank at (t, u); ``emit``:
    (B, T, U) log-probability of emitting label u at (t, u). Returns
    (log_likelihood (B,), grad_blank, grad_emit).
    """
    batch, steps, positions = blank.shape
    u_index = torch.arange(positions, device=blank.device)
    rows = torch.arange(batch, device=blank.device)
    valid_emit = u_index[:-1] < labels[:, None]
    # Padding labels would add garbage to the row sums; zero them (their arcs get beta=-inf).
    emit = torch.where(valid_emit[:, None, :], emit, 0.0)
    # prefix[b, t, u] = sum of emit[b, t, :u]: the cost of climbing from 0 to u within frame t.
    prefix = torch.nn.functional.pad(emit.cumsum(-1), (1, 0))

    alpha = torch.empty_like(blank)
    arrive = torch.full((batch, positions), _NEG_INF, dtype=blank.dtype, device=blank.device)
    arrive[:, 0] = 0.0
    for t in range(steps):
        alpha[:, t] = prefix[:, t] + torch.logcumsumexp(arrive - prefix[:, t], dim=-1)
        arrive = alpha[:, t] + blank[:, t]
    last = frames - 1
    log_likelihood = alpha[rows, last, labels] + blank[rows, last, labels]

    beta = torch.full_like(blank, _NEG_INF)
    final = torch.where(u_index == labels[:, None], 0.0, _NEG_INF).to(blank.dtype)
    leave = torch.full_like(blank, _NEG_INF)  # log-prob of finishing from (t, u) via blank
    later = torch.full((batch, positions), _NEG_INF, dtype=blank.dtype, device=blank.device)
    for t in range(steps - 1, -1, -1):
        after = torch.where((t == last)[:, None], final, later)
        after = torch.where((t > last)[:, None], _NEG_INF, after)
        leave[:, t] = after + blank[:, t]
        suffix = torch.logcumsumexp((leave[:, t] + prefix[:, t]).flip(-1), dim=-1).flip(-1)
        beta[:, t] = suffix - prefix[:, t]
        later = beta[:, t]

    total = log_likelihood[:, None, None]
    grad_blank = torch.exp(alpha + leave - total)
    grad_emit = torch.exp(alpha[..., :-1] + emit + beta[..., 1:] - total)
    return log_likelihood, grad_blank, grad_emit


class _LatticeLoss(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        blank: torch.Tensor,
        emit: torch.Tensor,
        frames: torch.Tensor,
        labels: torch.Tensor,
    ) -> torch.Tensor:
        with torch.no_grad():
            log_likelihood, grad_blank, grad_emit = _lattice_log_likelihood(
                blank.double(), emit.double(), frames, labels
            )
        ctx.save_for_backward(grad_blank.to(blank.dtype), grad_emit.to(emit.dtype))
        return (-log_likelihood).to(blank.dtype)

    @staticmethod
    def backward(ctx: Any, grad_loss: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_blank, grad_emit = ctx.saved_tensors
        scale = -grad_loss[:, None, None]
        return grad_blank * scale, grad_emit * scale, None, None


def rnnt_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    logit_lengths: torch.Tensor,
    target_lengths: torch.Tensor,
    blank: int,
    reduction: str = "mean",
) -> torch.Tensor:
    """Drop-in for ``torchaudio.functional.rnnt_loss`` (fused log-softmax, no clamp).

    ``logits``: (B, T, U+1, V); ``targets``: (B, U) int; lengths: (B,) int.
    """
    log_probs = logits.log_softmax(-1)
    blank_lp = log_probs[..., blank]
    emit_lp = log_probs[:, :, :-1].gather(
        -1, targets[:, None, :, None].long().expand(-1, logits.shape[1], -1, 1)
    )[..., 0]
    losses = _LatticeLoss.apply(blank_lp, emit_lp, logit_lengths.long(), target_lengths.long())
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses
