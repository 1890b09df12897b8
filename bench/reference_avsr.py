"""Seed 001's inference loop, on face crops given to it: the reference the AV engine must equal.

The tutorial's code is garbled in places (``../shared/DESIGN.md``); this is what
it means: the context cacher puts the last 4 frames (and their 4 x 640 audio
samples) of the window before in front of each window of 32, starting from
zeros; the preprocessing (after its face crop, which the tests give) divides
by 255 and normalises with 0.421 / 0.165; the model makes features;
``RNNTBeamSearch.infer`` decodes them with beam 10 from ``state=None,
hypothesis=None`` each window; the token processor drops the first token and
unk/eos/pad and joins the pieces; the windows' texts are printed one after another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch
from torchaudio.models import RNNTBeamSearch

SEGMENT, CONTEXT, RATIO = 32, 4, 640


class SeedAvsr:
    def __init__(self, directory: Path, beam: int = 10) -> None:
        self.model = torch.jit.load(str(directory / "device_avsr_model.pt")).eval()
        self.sp = spm.SentencePieceProcessor(model_file=str(directory / "spm_unigram_1023.model"))
        self.decoder = RNNTBeamSearch(self.model.model, self.sp.get_piece_size())
        self.beam = beam
        self.remove = {self.sp.unk_id(), self.sp.eos_id(), self.sp.pad_id()}
        self.context_v = torch.zeros(CONTEXT, 1, 44, 44)
        self.context_a = torch.zeros(CONTEXT * RATIO, 1)

    @torch.inference_mode()
    def window(self, audio: np.ndarray, crops: np.ndarray) -> str:
        """One window of 32 frames: its text, as the seed prints it (a leading space)."""
        chunk_v = torch.from_numpy(crops).float().unsqueeze(1)
        chunk_a = torch.from_numpy(audio).float().unsqueeze(1)
        video = torch.cat((self.context_v, chunk_v))
        sound = torch.cat((self.context_a, chunk_a))
        self.context_v, self.context_a = chunk_v[-CONTEXT:], chunk_a[-CONTEXT * RATIO :]
        video = (video / 255.0 - 0.421) / 0.165
        sound = sound.mean(dim=-1, keepdim=True)
        features = self.model(sound.unsqueeze(0), video.unsqueeze(0))
        length = torch.tensor([features.size(1)])
        hypotheses, _ = self.decoder.infer(features, length, self.beam, state=None, hypothesis=None)
        tokens = [t for t in hypotheses[0][0][1:] if t not in self.remove]
        return "".join(self.sp.id_to_piece(tokens)).replace("\u2581", " ")
