"""The felt delay of a real engine on speech whose word ends are known: causal and bounded.

The clock without compute is the model's own (chunk, look-ahead, endpointing), so what is
checked holds on any machine: no timing of this machine's speed is asserted.
"""

from __future__ import annotations

from bench.latency import TINY_MODELS, felt_delays, load_model, timed_speech
from tui_captions.asr.endpointing import DEFAULT_ENDPOINT_SILENCE_S, DEFAULT_MAX_SEGMENT_S


def test_the_tiny_emformer_shows_each_word_after_it_began_and_its_line_after_it_ended() -> None:
    model = load_model(str(TINY_MODELS[0]), "int8")
    chunk_s = model.format.chunk_seconds
    speech = timed_speech(2)
    felt = felt_delays(model, speech)
    assert len(felt.shown) >= len(speech.words) * 2 // 3  # it knows these words
    delays = zip(felt.shown, felt.model.to_partial, felt.model.to_final, strict=True)
    for (word, (start, end)), to_partial, to_final in delays:
        # A small vocabulary lets the model write a word before its sound quite ends,
        # never before it began; its line waits for the endpoint's silence after it.
        assert end + to_partial > start, word
        assert to_partial <= DEFAULT_ENDPOINT_SILENCE_S + chunk_s, word
        assert 0 < to_final <= DEFAULT_MAX_SEGMENT_S + DEFAULT_ENDPOINT_SILENCE_S + chunk_s, word
        assert to_final >= to_partial, word
    # With compute, each is later still: the clock only adds.
    assert all(
        felt_partial >= model_partial
        for felt_partial, model_partial in zip(
            felt.felt.to_partial, felt.model.to_partial, strict=True
        )
    )
