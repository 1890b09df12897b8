"""The Emformer RNN-T's streaming step, without the work torchaudio's general code does per chunk.

torchaudio's ``transcribe_streaming`` serves any batch and memory-bank setting:
per layer and chunk it builds attention and padding masks, splits and re-joins
the right context and the utterance four times, and re-slices the whole state.
With one stream and no memory bank (every model the catalog ships) those steps
change nothing, but at ~5 rows per matrix they are not small beside the
matrices (base model, int8, compiled: the encoder step took 11.3 ms of a 14.3
ms chunk; here it takes 8.8 ms, almost all of it in the linear layers).

Here a layer keeps its rows as one block, ``[right context; utterance]``, in
the order torchaudio joins them, and runs the same operations on them in the
same order, so the numbers are the same, bit for bit, fp32 and int8; the left
context is the last keys and values of the block itself, a view, not a copy.
The beam search is torchaudio's algorithm (``RNNTBeamSearch``) with one change
in how it is computed: the joiner's output for the hypotheses a chunk starts
with is computed for all of the chunk's frames in one call (one read of its
4 MB output layer instead of one a frame), since most frames only extend them
with blanks. In fp32 that is the same arithmetic; int8 quantizes the call's
input as one, so its scores move within int8's rounding.

With hotwords, a hypothesis also carries where it stands in their context graph
(:mod:`tui_captions.asr.context_graph`): each token is scored with the bonus or the
give-back the graph says, and the beam keeps what it keeps with those scores.
Without hotwords the search is the same as before, step for step.
"""

from __future__ import annotations

import torch
from torchaudio.models import RNNT
from torchaudio.models.emformer import _EmformerLayer

from tui_captions.asr.context_graph import ContextGraph

# A hypothesis between chunks: torchaudio's four fields (tokens, predictor output, predictor
# state, score), then its place in the hotword graph: node, the earned bonus it no longer
# risks (floor), and the bonus of a phrase just completed, kept if a new word follows.
Hypothesis = tuple[list[int], torch.Tensor, list[list[torch.Tensor]], float, int, float, float]
# While a chunk is searched it also has the row of its predictor output in the chunk's
# joiner table (-1: none) and its key (its tokens as text).
_Hypothesis = tuple[
    list[int], torch.Tensor, list[list[torch.Tensor]], float, int, str, int, float, float
]


def _no_hypotheses() -> list[_Hypothesis]:
    """An empty list TorchScript can type (it takes ``[]`` for a list of tensors)."""
    empty: list[_Hypothesis] = []
    return empty


def supports(model: RNNT) -> bool:
    """Whether this module can run ``model``: an Emformer transcriber without a memory bank."""
    transformer = getattr(model.transcriber, "transformer", None)
    layers = getattr(transformer, "emformer_layers", None)
    return layers is not None and all(not layer.use_mem for layer in layers)


class _Layer(torch.nn.Module):
    """One Emformer layer's inference step on the block ``[right context; utterance]``."""

    def __init__(self, layer: _EmformerLayer) -> None:
        super().__init__()
        attention = layer.attention
        self.norm_input = layer.layer_norm_input
        self.to_query = attention.emb_to_query
        self.to_key_value = attention.emb_to_key_value
        self.out_proj = attention.out_proj
        # pos_ff without its dropouts (identity at inference): LayerNorm, Linear, GELU, Linear.
        self.feed_forward_norm = layer.pos_ff[0]
        self.feed_forward_in = layer.pos_ff[1]
        self.activation = layer.pos_ff[2]
        self.feed_forward_out = layer.pos_ff[4]
        self.norm_output = layer.layer_norm_output
        self.heads = attention.num_heads
        self.head_dim = attention.input_dim // attention.num_heads
        self.scaling = attention.scaling
        self.left_context = layer.left_context_length

    def forward(
        self, block: torch.Tensor, right: int, keys: torch.Tensor, values: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``block`` (right + utterance rows, D); ``keys``/``values``: the left context."""
        normed = self.norm_input(block)
        query = self.to_query(normed)
        key, value = self.to_key_value(normed).chunk(chunks=2, dim=1)
        # Keys in torchaudio's order: right context, left context, utterance.
        key = torch.cat([key[:right], keys, key[right:]])
        value = torch.cat([value[:right], values, value[right:]])
        query = query.view(-1, self.heads, self.head_dim).transpose(0, 1)
        head_keys = key.view(-1, self.heads, self.head_dim).transpose(0, 1)
        head_values = value.view(-1, self.heads, self.head_dim).transpose(0, 1)
        weights = torch.bmm(query * self.scaling, head_keys.transpose(1, 2))
        probs = torch.nn.functional.softmax(weights, dim=-1)
        attended = torch.bmm(probs, head_values).transpose(0, 1).contiguous().view(block.shape)
        out = self.out_proj(attended) + block
        hidden = self.activation(self.feed_forward_in(self.feed_forward_norm(out)))
        out = self.feed_forward_out(hidden) + out
        out = self.norm_output(out)
        # The next left context: the last ``left_context`` utterance keys and values so far.
        start = max(right, key.size(0) - self.left_context)
        return out, key[start:], value[start:]


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
        hypotheses: list[Hypothesis] | None,
        beam_width: int,
        context: ContextGraph | None,
    ) -> list[Hypothesis]:
        if hypotheses is None:
            hypotheses = self._initial_hypotheses(encoded.device)
        b_hypos = [
            (h[0], h[1], h[2], h[3], row, str(h[0]), h[4], h[5], h[6])
            for row, h in enumerate(hypotheses)
        ]
        table = self._log_probs(encoded, torch.stack([h[1] for h in b_hypos]))
        for t in range(encoded.size(1)):
            frame = encoded[:, t : t + 1]
            a_hypos = b_hypos
            b_hypos = _no_hypotheses()
            key_to_b_hypo: dict[str, _Hypothesis] = {}
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
                [h[3] / (len(h[0]) + 1) for h in b_hypos]  # torchaudio's default sort key
            ).topk(beam_width)
            b_hypos = [b_hypos[idx] for idx in sorted_idx]
        return [(h[0], h[1], h[2], h[3], h[6], h[7], h[8]) for h in b_hypos]

    def _initial_hypotheses(self, device: torch.device) -> list[Hypothesis]:
        one = torch.tensor([1], device=device)
        out, _, state = self.predictor(torch.tensor([[self.blank]], device=device), one, None)
        return [([self.blank], out[0].detach(), state, 0.0, 0, 0.0, 0.0)]

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
        self, frame: torch.Tensor, table: torch.Tensor, hypos: list[_Hypothesis]
    ) -> torch.Tensor:
        """One frame's ``(hypotheses, tokens)``: from the table where it has the row."""
        fresh: list[torch.Tensor] = []
        for h in hypos:
            if h[4] < 0:
                fresh.append(h[1])
        if not fresh:
            return table.index_select(0, torch.tensor([h[4] for h in hypos]))
        computed = self._log_probs(frame, torch.stack(fresh))[:, 0]
        rows: list[torch.Tensor] = []
        fresh_index = 0
        for h in hypos:
            if h[4] < 0:
                rows.append(computed[fresh_index])
                fresh_index += 1
            else:
                rows.append(table[h[4]])
        return torch.stack(rows)

    def _gen_b_hypos(
        self,
        b_hypos: list[_Hypothesis],
        a_hypos: list[_Hypothesis],
        next_token_probs: torch.Tensor,
        key_to_b_hypo: dict[str, _Hypothesis],
    ) -> list[_Hypothesis]:
        """Each hypothesis extended by a blank, merged with its equal in ``b_hypos``; sorted."""
        for i in range(len(a_hypos)):
            h_a = a_hypos[i]
            append_blank_score = h_a[3] + next_token_probs[i, -1]
            if h_a[5] in key_to_b_hypo:
                h_b = key_to_b_hypo[h_a[5]]
                for j in range(len(b_hypos)):
                    if b_hypos[j][5] == h_b[5]:
                        del b_hypos[j]
                        break
                score = float(torch.tensor(h_b[3]).logaddexp(append_blank_score))
            else:
                score = float(append_blank_score)
            h_b = (h_a[0], h_a[1], h_a[2], score, h_a[4], h_a[5], h_a[6], h_a[7], h_a[8])
            b_hypos.append(h_b)
            key_to_b_hypo[h_b[5]] = h_b
        _, sorted_idx = torch.tensor([h[3] for h in b_hypos]).sort()
        return [b_hypos[idx] for idx in sorted_idx]

    def _gen_a_hypos(
        self,
        a_hypos: list[_Hypothesis],
        b_hypos: list[_Hypothesis],
        next_token_probs: torch.Tensor,
        beam_width: int,
        context: ContextGraph | None,
    ) -> list[_Hypothesis]:
        """The best non-blank extensions that beat the ``beam_width``-th blank-extended one
        (hotword bonuses included in their scores)."""
        hypo_scores = torch.tensor([h[3] for h in a_hypos]).unsqueeze(1)
        nonblank_scores = hypo_scores + next_token_probs[:, :-1]
        if context is not None:
            nonblank_scores = nonblank_scores + self._bonuses(a_hypos, context)
        nbest_scores, nbest_idx = nonblank_scores.reshape(-1).topk(beam_width)
        nbest_hypo_idx = nbest_idx.div(nonblank_scores.shape[1], rounding_mode="trunc")
        nbest_token = nbest_idx % nonblank_scores.shape[1]
        b_nbest_score = -float("inf") if len(b_hypos) < beam_width else b_hypos[-beam_width][3]
        scores: list[float] = nbest_scores.tolist()
        hypo_idx: list[int] = nbest_hypo_idx.tolist()
        token_idx: list[int] = nbest_token.tolist()
        base_hypos: list[_Hypothesis] = []
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

    def _bonuses(self, hypos: list[_Hypothesis], context: ContextGraph) -> torch.Tensor:
        """``(hypotheses, tokens - 1)``, or one row for all: what each next token would earn
        or give back."""
        if all(_at_root(h[6], h[7], h[8]) for h in hypos):
            return context.root_row  # no hypothesis inside a match: one row for all
        return torch.stack([bonus_row(context, h[6], h[7], h[8]) for h in hypos])

    def _gen_new_hypos(
        self,
        base_hypos: list[_Hypothesis],
        tokens: list[int],
        scores: list[float],
        context: ContextGraph | None,
    ) -> list[_Hypothesis]:
        """The predictor, once for all new hypotheses; each keeps a view of its state row."""
        states: list[list[torch.Tensor]] = []
        for i in range(len(base_hypos[0][2])):
            states.append(
                [
                    torch.cat([h[2][i][j] for h in base_hypos])
                    for j in range(len(base_hypos[0][2][i]))
                ]
            )
        device = base_hypos[0][1].device
        pred_out, _, pred_states = self.predictor(
            torch.tensor([[token] for token in tokens], device=device),
            torch.ones(len(base_hypos), dtype=torch.long, device=device),
            states,
        )
        nodes: list[int] = [h[6] for h in base_hypos]
        floors: list[float] = [h[7] for h in base_hypos]
        pendings: list[float] = [h[8] for h in base_hypos]
        if context is not None:
            nodes, floors, pendings = _advanced(context, nodes, floors, pendings, tokens)
        new_hypos: list[_Hypothesis] = []
        for i, h_a in enumerate(base_hypos):
            new_tokens = h_a[0] + [tokens[i]]
            state = [[part[i : i + 1] for part in layer] for layer in pred_states]
            new_hypos.append(
                (
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


def _advanced(
    context: ContextGraph,
    nodes: list[int],
    floors: list[float],
    pendings: list[float],
    tokens: list[int],
) -> tuple[list[int], list[float], list[float]]:
    """:func:`advance` for the search's plain lists."""
    moved = advance(
        context,
        torch.tensor(nodes),
        torch.tensor(floors),
        torch.tensor(pendings),
        torch.tensor(tokens),
    )
    new_nodes: list[int] = moved[0].tolist()
    new_floors: list[float] = moved[1].tolist()
    new_pendings: list[float] = moved[2].tolist()
    return new_nodes, new_floors, new_pendings


def _at_root(node: int, floor: float, pending: float) -> bool:
    """Inside no match and owing nothing: every next token earns the root's row."""
    return node == 0 and floor == 0.0 and pending == 0.0


def bonus_row(context: ContextGraph, node: int, floor: float, pending: float) -> torch.Tensor:
    """``(tokens - 1,)``: what :func:`advance` would give each next token, all at once."""
    if _at_root(node, floor, pending):
        return context.root_row
    # A token that leads back to the root gives back the unconfirmed match...
    row = torch.full([context.tokens - 1], floor - float(context.score[node]))
    # ...one that goes on earns its node's score (keeping the floor only if the match went
    # on through a failure link): the node's failure chain, the root first, so that the
    # longest match a token continues is written last...
    chain: list[int] = [node]
    while chain[-1] != 0:
        chain.append(int(context.fail[chain[-1]]))
    for walk in chain[::-1]:
        first, last = int(context.child_offsets[walk]), int(context.child_offsets[walk + 1])
        kept = floor if walk != node else 0.0
        row[context.child_tokens[first:last]] = (
            context.score[context.child_nodes[first:last]] - context.score[node] + kept
        )
    # ...and one inside a word takes back the bonus of a phrase just completed.
    if pending != 0.0:
        row = row - pending * (1.0 - context.word_start[:-1])
    return row


def _children(
    context: ContextGraph, nodes: torch.Tensor, tokens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each node's child for its token (the root where it has none), and whether it has one."""
    keys = nodes * context.tokens + tokens
    found = torch.searchsorted(context.child_keys, keys).clamp(max=context.child_keys.numel() - 1)
    has = context.child_keys[found] == keys
    return torch.where(has, context.child_nodes[found], torch.zeros_like(nodes)), has


def _targets(
    context: ContextGraph, nodes: torch.Tensor, tokens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each token leads from its node (the longest match it continues, else the root),
    and whether through a failure link (or back to the root): 1.0, else 0.0."""
    children, direct = _children(context, nodes, tokens)
    missed = ~direct & (nodes != 0)
    walk = nodes
    while bool(missed.any()):  # each link is shallower: at most as many rounds as the node's depth
        walk = torch.where(missed, context.fail[walk], walk)
        found, has = _children(context, walk, tokens)
        children = torch.where(missed & has, found, children)
        missed = missed & ~has & (walk != 0)
    indirect = torch.where(direct, torch.zeros(nodes.shape), torch.ones(nodes.shape))
    return children, indirect


def advance(
    context: ContextGraph,
    nodes: torch.Tensor,
    floors: torch.Tensor,
    pendings: torch.Tensor,
    tokens: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hypotheses' places in the hotword graph (node, floor, pending) after one more token
    each, and what the token earns or gives back; one tensor entry per hypothesis."""
    children, indirect = _targets(context, nodes, tokens)
    # A completed phrase's bonus is taken back if the token does not start a new word; a
    # match that falls off (or goes on through a failure link) gives back all but the floor.
    change = (
        context.score[children]
        - context.score[nodes]
        + floors * indirect
        - pendings * (1.0 - context.word_start[tokens])
    )
    floors = floors * (1.0 - indirect)
    ends = context.end[children]
    pendings = torch.where(ends, context.score[children] - floors, torch.zeros_like(floors))
    floors = torch.where(ends, context.score[children], floors)
    leaves = ends & context.leaf[children]
    children = torch.where(leaves, torch.zeros_like(children), children)
    floors = torch.where(leaves, torch.zeros_like(floors), floors)
    return children, floors, pendings, change


def finished(hypotheses: list[Hypothesis], context: ContextGraph | None) -> list[int]:
    """The tokens a line ends with: the best hypothesis once the partial hotword matches
    it still risks are given back (its completed ones are kept: the line ends a word)."""
    if context is None:
        return hypotheses[0][0]
    best = max(
        hypotheses,
        key=lambda h: (h[3] - (float(context.score[h[4]]) - h[5])) / (len(h[0]) + 1),
    )
    return best[0]


class _SearchingStep(torch.nn.Module):
    """What both steps share: the search over their encoder frames, as its own call."""

    def __init__(self, searcher: TransducerSearch) -> None:
        super().__init__()
        self.searcher = searcher

    @torch.jit.export
    def search(
        self,
        encoded: torch.Tensor,
        hypotheses: list[Hypothesis] | None,
        beam_width: int,
        context: ContextGraph | None = None,
    ) -> list[Hypothesis]:
        """The beam search over one chunk's encoder frames (see :class:`TransducerSearch`)."""
        searched: list[Hypothesis] = self.searcher(encoded, hypotheses, beam_width, context)
        return searched


class TorchaudioTransducer(_SearchingStep):
    """torchaudio's own encoder step, for models :class:`StreamingTransducer` does not run
    (a memory bank), with the same search; two calls, so each can be timed."""

    def __init__(self, model: RNNT, blank: int) -> None:
        super().__init__(TransducerSearch(model, blank))
        self.model = model

    @torch.jit.export
    def encode(
        self, features: torch.Tensor, state: list[list[torch.Tensor]] | None
    ) -> tuple[torch.Tensor, list[list[torch.Tensor]]]:
        length = torch.tensor([features.size(0)], device=features.device)
        encoded, _, state = self.model.transcribe_streaming(features.unsqueeze(0), length, state)
        return encoded, state


class StreamingTransducer(_SearchingStep):
    """One stream's encoder step and beam search, as two calls (so each can be timed)."""

    def __init__(self, model: RNNT, blank: int, step_max_tokens: int = 100) -> None:
        # The predictor and joiner, not the whole model: compiling this module then compiles
        # only what it runs (torchaudio's general encoder code is left out of it).
        super().__init__(TransducerSearch(model, blank, step_max_tokens))
        if not supports(model):
            raise ValueError("StreamingTransducer runs Emformer transcribers without memory")
        transcriber = model.transcriber
        transformer = transcriber.transformer
        self.input_linear = transcriber.input_linear
        self.stride = transcriber.time_reduction.stride
        self.layers = torch.nn.ModuleList([_Layer(layer) for layer in transformer.emformer_layers])
        self.output_linear = transcriber.output_linear
        self.output_norm = transcriber.layer_norm
        self.right_context = transformer.right_context_length
        self.frames = (transformer.segment_length + transformer.right_context_length) * self.stride

    @torch.jit.export
    def encode(
        self, features: torch.Tensor, state: list[list[torch.Tensor]] | None
    ) -> tuple[torch.Tensor, list[list[torch.Tensor]]]:
        """One chunk of features ``(frames, mels)`` to encoder frames ``(1, T, D)``."""
        if features.size(0) // self.stride * self.stride != self.frames:
            raise ValueError(f"a chunk is {self.frames} feature frames, got {features.size(0)}")
        # All frames through the input layer, as torchaudio: int8 scales its input by all rows.
        reduced = self.input_linear(features)[: self.frames]
        reduced = reduced.reshape(self.frames // self.stride, -1)
        right = self.right_context
        block = torch.cat([reduced[-right:], reduced[:-right]])
        new_state: list[list[torch.Tensor]] = []
        for index, layer in enumerate(self.layers):
            if state is None:
                empty = block.new_zeros((0, block.size(1)))
                keys, values = empty, empty
            else:
                keys, values = state[index][0], state[index][1]
            block, keys, values = layer(block, right, keys, values)
            new_state.append([keys, values])
        encoded = self.output_norm(self.output_linear(block[right:]))
        return encoded.unsqueeze(0), new_state


def streaming_transducer(model: RNNT, blank: int) -> StreamingTransducer | TorchaudioTransducer:
    """The fast step where it runs ``model``; torchaudio's otherwise."""
    if supports(model):
        return StreamingTransducer(model, blank)
    return TorchaudioTransducer(model, blank)
