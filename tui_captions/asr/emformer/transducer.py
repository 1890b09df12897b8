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
The beam search after it is :mod:`tui_captions.asr.transducer_search`.
"""

from __future__ import annotations

import torch
from torchaudio.models import RNNT
from torchaudio.models.emformer import _EmformerLayer

from tui_captions.asr.context_graph import ContextGraph
from tui_captions.asr.transducer_search import CarriedHypothesis, TransducerSearch


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


class _SearchingStep(torch.nn.Module):
    """What both steps share: the search over their encoder frames, as its own call."""

    def __init__(self, searcher: TransducerSearch) -> None:
        super().__init__()
        self.searcher = searcher

    @torch.jit.export
    def search(
        self,
        encoded: torch.Tensor,
        hypotheses: list[CarriedHypothesis] | None,
        beam_width: int,
        context: ContextGraph | None = None,
    ) -> list[CarriedHypothesis]:
        """The beam search over one chunk's encoder frames (see :class:`TransducerSearch`)."""
        searched: list[CarriedHypothesis] = self.searcher(encoded, hypotheses, beam_width, context)
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
