"""The RNN-T beam search both transducer engines run: the Emformer's and the audio-visual one's.

It is torchaudio's algorithm (``RNNTBeamSearch``) with one change in how it
is computed: the joiner's output for the hypotheses a chunk starts with is
computed for all of the chunk's frames in one call (one read of its 4 MB
output layer instead of one a frame), since most frames only extend them
with blanks. In fp32 that is the same arithmetic; int8 quantizes the call's
input as one, so its scores move within int8's rounding.

With hotwords, a hypothesis also carries where it stands in their context graph
(:mod:`tui_captions.asr.context_graph`): each token is scored with the bonus or the
give-back the graph says, and the beam keeps what it keeps with those scores.
Without hotwords the search is the same as before, step for step.
"""

# No `from __future__ import annotations`: TorchScript reads the NamedTuples' field types
# and cannot resolve them as strings ("list[int]").
from typing import NamedTuple

import torch
from torchaudio.models import RNNT

from tui_captions.asr.context_graph import ContextGraph, advanced, at_root, bonus_row


class Hypothesis(NamedTuple):
    """A hypothesis between chunks: torchaudio's four fields, then its place in the hotword
    graph. A NamedTuple, so that the compiled search (TorchScript) takes it; out of the
    search it goes as a :data:`CarriedHypothesis`."""

    tokens: list[int]
    predictor_out: torch.Tensor
    predictor_state: list[list[torch.Tensor]]
    score: float
    node: int  # where it stands in the hotword graph (0: the root)
    floor: float  # the earned bonus it no longer risks
    pending: float  # the bonus of a phrase just completed, kept if a new word follows


CarriedHypothesis = tuple[
    list[int], torch.Tensor, list[list[torch.Tensor]], float, int, float, float
]
"""A :class:`Hypothesis`'s fields as a plain tuple: how hypotheses leave the compiled search
and come back into it. TorchScript hands Python a NamedTuple as an instance of a namedtuple
class it makes anew for each (``collections.namedtuple``, every time): that was 1 ms of a
5 ms chunk (small random model, int8, beam 4); a plain tuple crosses as it is."""


def named(carried: CarriedHypothesis) -> Hypothesis:
    """Its fields by name (TorchScript has no ``Hypothesis(*carried)``)."""
    tokens, predictor_out, predictor_state, score, node, floor, pending = carried
    return Hypothesis(tokens, predictor_out, predictor_state, score, node, floor, pending)


class _Searched(NamedTuple):
    """A hypothesis while a chunk is searched: also the row of its predictor output in the
    chunk's joiner table (-1: none) and its key (its tokens as text)."""

    tokens: list[int]
    predictor_out: torch.Tensor
    predictor_state: list[list[torch.Tensor]]
    score: float
    row: int
    key: str
    node: int
    floor: float
    pending: float


def _no_hypotheses() -> list[_Searched]:
    """An empty list TorchScript can type (it takes ``[]`` for a list of tensors)."""
    empty: list[_Searched] = []
    return empty


class TransducerSearch(torch.nn.Module):
    """torchaudio's ``RNNTBeamSearch._search``, step for step, over a predictor and joiner.

    Hypotheses carry two more fields while a chunk is searched: the row of
    their predictor output in ``table`` (the joiner over all frames for the
    hypotheses the chunk started with; -1 for those made since) and their
    key, the text of their tokens, made once instead of at every comparison.
    """

    def __init__(self, model: RNNT, blank: int, step_max_tokens: int = 100) -> None:
        super().__init__()
        self.predictor = model.predictor
        self.joiner = model.joiner
        self.blank = blank
        self.step_max_tokens = step_max_tokens

    def forward(
        self,
        encoded: torch.Tensor,
        hypotheses: list[CarriedHypothesis] | None,
        beam_width: int,
        context: ContextGraph | None,
    ) -> list[CarriedHypothesis]:
        starting = (
            self._initial_hypotheses(encoded.device)
            if hypotheses is None
            else [named(h) for h in hypotheses]
        )
        b_hypos = [
            _Searched(
                h.tokens,
                h.predictor_out,
                h.predictor_state,
                h.score,
                row,
                str(h.tokens),
                h.node,
                h.floor,
                h.pending,
            )
            for row, h in enumerate(starting)
        ]
        table = self._log_probs(encoded, torch.stack([h.predictor_out for h in b_hypos]))
        for t in range(encoded.size(1)):
            frame = encoded[:, t : t + 1]
            a_hypos = b_hypos
            b_hypos = _no_hypotheses()
            key_to_b_hypo: dict[str, _Searched] = {}
            symbols_current_t = 0
            while a_hypos:
                next_token_probs = self._frame_log_probs(frame, table[:, t], a_hypos)
                b_hypos = self._gen_b_hypos(b_hypos, a_hypos, next_token_probs, key_to_b_hypo)
                if symbols_current_t == self.step_max_tokens:
                    break
                a_hypos = self._gen_a_hypos(a_hypos, b_hypos, next_token_probs, beam_width, context)
                if a_hypos:
                    symbols_current_t += 1
            _, sorted_idx = torch.tensor(
                [h.score / (len(h.tokens) + 1) for h in b_hypos]  # torchaudio's default sort key
            ).topk(beam_width)
            b_hypos = [b_hypos[idx] for idx in sorted_idx]
        return [
            (h.tokens, h.predictor_out, h.predictor_state, h.score, h.node, h.floor, h.pending)
            for h in b_hypos
        ]

    def _initial_hypotheses(self, device: torch.device) -> list[Hypothesis]:
        one = torch.tensor([1], device=device)
        out, _, state = self.predictor(torch.tensor([[self.blank]], device=device), one, None)
        return [Hypothesis([self.blank], out[0].detach(), state, 0.0, 0, 0.0, 0.0)]

    def _log_probs(self, frames: torch.Tensor, predictor_out: torch.Tensor) -> torch.Tensor:
        """Joiner log-probabilities ``(hypotheses, frames, tokens)`` for ``frames`` (1, T, D),
        on the CPU, where the search's scores are."""
        joined, _, _ = self.joiner(
            frames,
            torch.tensor([frames.size(1)], device=frames.device),
            predictor_out,
            torch.ones(predictor_out.size(0), dtype=torch.long, device=frames.device),
        )
        return torch.nn.functional.log_softmax(joined, dim=3)[:, :, 0].cpu()

    def _frame_log_probs(
        self, frame: torch.Tensor, table: torch.Tensor, hypos: list[_Searched]
    ) -> torch.Tensor:
        """One frame's ``(hypotheses, tokens)``: from the table where it has the row."""
        fresh: list[torch.Tensor] = []
        for h in hypos:
            if h.row < 0:
                fresh.append(h.predictor_out)
        if not fresh:
            return table.index_select(0, torch.tensor([h.row for h in hypos]))
        computed = self._log_probs(frame, torch.stack(fresh))[:, 0]
        rows: list[torch.Tensor] = []
        fresh_index = 0
        for h in hypos:
            if h.row < 0:
                rows.append(computed[fresh_index])
                fresh_index += 1
            else:
                rows.append(table[h.row])
        return torch.stack(rows)

    def _gen_b_hypos(
        self,
        b_hypos: list[_Searched],
        a_hypos: list[_Searched],
        next_token_probs: torch.Tensor,
        key_to_b_hypo: dict[str, _Searched],
    ) -> list[_Searched]:
        """Each hypothesis extended by a blank, merged with its equal in ``b_hypos``; sorted."""
        for i in range(len(a_hypos)):
            h_a = a_hypos[i]
            append_blank_score = h_a.score + next_token_probs[i, -1]
            if h_a.key in key_to_b_hypo:
                h_b = key_to_b_hypo[h_a.key]
                for j in range(len(b_hypos)):
                    if b_hypos[j].key == h_b.key:
                        del b_hypos[j]
                        break
                score = float(torch.tensor(h_b.score).logaddexp(append_blank_score))
            else:
                score = float(append_blank_score)
            h_b = _Searched(
                h_a.tokens,
                h_a.predictor_out,
                h_a.predictor_state,
                score,
                h_a.row,
                h_a.key,
                h_a.node,
                h_a.floor,
                h_a.pending,
            )
            b_hypos.append(h_b)
            key_to_b_hypo[h_b.key] = h_b
        _, sorted_idx = torch.tensor([h.score for h in b_hypos]).sort()
        return [b_hypos[idx] for idx in sorted_idx]

    def _gen_a_hypos(
        self,
        a_hypos: list[_Searched],
        b_hypos: list[_Searched],
        next_token_probs: torch.Tensor,
        beam_width: int,
        context: ContextGraph | None,
    ) -> list[_Searched]:
        """The best non-blank extensions that beat the ``beam_width``-th blank-extended one
        (hotword bonuses included in their scores)."""
        hypo_scores = torch.tensor([h.score for h in a_hypos]).unsqueeze(1)
        nonblank_scores = hypo_scores + next_token_probs[:, :-1]
        if context is not None:
            nonblank_scores = nonblank_scores + self._bonuses(a_hypos, context)
        nbest_scores, nbest_idx = nonblank_scores.reshape(-1).topk(beam_width)
        nbest_hypo_idx = nbest_idx.div(nonblank_scores.shape[1], rounding_mode="trunc")
        nbest_token = nbest_idx % nonblank_scores.shape[1]
        b_nbest_score = -float("inf") if len(b_hypos) < beam_width else b_hypos[-beam_width].score
        scores: list[float] = nbest_scores.tolist()
        hypo_idx: list[int] = nbest_hypo_idx.tolist()
        token_idx: list[int] = nbest_token.tolist()
        base_hypos: list[_Searched] = []
        new_tokens: list[int] = []
        new_scores: list[float] = []
        for i in range(beam_width):
            if scores[i] > b_nbest_score:
                base_hypos.append(a_hypos[hypo_idx[i]])
                new_tokens.append(token_idx[i])
                new_scores.append(scores[i])
        if not base_hypos:
            return _no_hypotheses()
        return self._gen_new_hypos(base_hypos, new_tokens, new_scores, context)

    def _bonuses(self, hypos: list[_Searched], context: ContextGraph) -> torch.Tensor:
        """``(hypotheses, tokens - 1)``, or one row for all: what each next token would earn
        or give back."""
        if all(at_root(h.node, h.floor, h.pending) for h in hypos):
            return context.root_row  # no hypothesis inside a match: one row for all
        return torch.stack([bonus_row(context, h.node, h.floor, h.pending) for h in hypos])

    def _gen_new_hypos(
        self,
        base_hypos: list[_Searched],
        tokens: list[int],
        scores: list[float],
        context: ContextGraph | None,
    ) -> list[_Searched]:
        """The predictor, once for all new hypotheses; each keeps a view of its state row."""
        states: list[list[torch.Tensor]] = []
        for i in range(len(base_hypos[0].predictor_state)):
            states.append(
                [
                    torch.cat([h.predictor_state[i][j] for h in base_hypos])
                    for j in range(len(base_hypos[0].predictor_state[i]))
                ]
            )
        device = base_hypos[0].predictor_out.device
        pred_out, _, pred_states = self.predictor(
            torch.tensor([[token] for token in tokens], device=device),
            torch.ones(len(base_hypos), dtype=torch.long, device=device),
            states,
        )
        nodes: list[int] = [h.node for h in base_hypos]
        floors: list[float] = [h.floor for h in base_hypos]
        pendings: list[float] = [h.pending for h in base_hypos]
        if context is not None:
            nodes, floors, pendings = advanced(context, nodes, floors, pendings, tokens)
        new_hypos: list[_Searched] = []
        for i, h_a in enumerate(base_hypos):
            new_tokens = h_a.tokens + [tokens[i]]  # noqa: RUF005 (TorchScript: no starred lists)
            state = [[part[i : i + 1] for part in layer] for layer in pred_states]
            new_hypos.append(
                _Searched(
                    new_tokens,
                    pred_out[i].detach(),
                    state,
                    scores[i],
                    -1,
                    str(new_tokens),
                    nodes[i],
                    floors[i],
                    pendings[i],
                )
            )
        return new_hypos


def best_tokens(hypotheses: list[CarriedHypothesis]) -> list[int]:
    """The text so far: the best hypothesis's tokens after the blank each one grew from."""
    return named(hypotheses[0]).tokens[1:]


def finished(hypotheses: list[CarriedHypothesis], context: ContextGraph | None) -> list[int]:
    """The tokens a line ends with: the best hypothesis once the partial hotword matches
    it still risks are given back (its completed ones are kept: the line ends a word)."""
    ranked = [named(h) for h in hypotheses]
    if context is None:
        return ranked[0].tokens
    best = max(
        ranked,
        key=lambda h: (h.score - (float(context.score[h.node]) - h.floor)) / (len(h.tokens) + 1),
    )
    return best.tokens
