"""Train the bundled punctuation and casing model: one command, from allowed text to the package.

    .venv/bin/python -m tools.punctuation.train [--minutes 150]

Reads the Debian packages' text (``corpus``), trains a 5,000-piece unigram
sentencepiece vocabulary, trains the CNN-BiLSTM (``model``) on windows of
previous words plus one line cut as a recogniser cuts speech (``data``), tunes
the decision thresholds on the validation split, exports ONNX with the
published model's contract, quantizes it to int8 and writes it with its
vocabulary to ``tui_captions/text/punct-en-tiny/``. Checkpoints go to
``.work/punctuation/``; a run started again resumes. The log is printed and
kept in ``tools/punctuation/train.log``.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import time
from pathlib import Path

import torch
from torch import nn

from tools.checkpoint import resume, save
from tools.punctuation.corpus import LOWER
from tools.punctuation.data import SPOKEN, WEIGHTS, WORK_DIR, Stream, line_end, splits
from tools.punctuation.model import CnnBiLstm, export
from tui_captions.text.pieces import BOS, EOS, Pieces

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "tui_captions" / "text" / "punct-en-tiny"
LOG = Path(__file__).with_name("train.log")
VOCAB_SIZE = 5000
BATCH = 48
MAX_CONTEXT = 40
IGNORE = -100
SEED = 7


def log(text: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {text}"
    print(line, flush=True)
    with LOG.open("a") as out:
        out.write(line + "\n")


def train_vocabulary(train: list[Stream], path: Path) -> Pieces:
    """A unigram sentencepiece vocabulary over the training words (sherpa's ids)."""
    if not path.exists():
        import sentencepiece as spm

        sentences = (
            " ".join(s.words[i : i + 50]) for s in train for i in range(0, len(s.words), 50)
        )
        prefix = path.with_suffix("")
        spm.SentencePieceTrainer.train(
            sentence_iterator=sentences,
            model_prefix=str(prefix),
            vocab_size=VOCAB_SIZE,
            model_type="unigram",
            character_coverage=1.0,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            input_sentence_size=2_000_000,
            shuffle_input_sentence=True,
            minloglevel=2,
        )
    return Pieces.load(path)


class Windows:
    """Random training windows: up to 40 previous words, then one line."""

    def __init__(self, streams: list[Stream], pieces: Pieces, seed: int) -> None:
        self.streams = [s for s in streams if len(s.words) > 1]
        self.weights = [len(s.words) * WEIGHTS.get(_register(s), 1.0) for s in self.streams]
        self.pieces = pieces
        self.rng = random.Random(seed)

    def window(self) -> tuple[Stream, int, int]:
        stream = self.rng.choices(self.streams, self.weights)[0]
        start = self.rng.randrange(len(stream.words))
        end = line_end(stream, start, self.rng)
        context = self.rng.randint(0, MAX_CONTEXT)
        return stream, max(0, start - context), end

    def batch(self, size: int) -> tuple[torch.Tensor, ...]:
        return encode([self.window() for _ in range(size)], self.pieces)


def _register(stream: Stream) -> str:
    from tools.punctuation.corpus import PACKAGES

    return PACKAGES[stream.package]


def encode(windows: list[tuple[Stream, int, int]], pieces: Pieces) -> tuple[torch.Tensor, ...]:
    """Token rows ``<s> pieces </s>``, each word's first piece position, word counts and
    labels (``<s>`` and ``</s>`` ignored)."""
    rows: list[list[int]] = []
    firsts: list[list[int]] = []
    cases: list[list[int]] = []
    puncts: list[list[int]] = []
    for stream, start, end in windows:
        tokens, first = [BOS], [0]
        for word in stream.words[start:end]:
            first.append(len(tokens))
            tokens.extend(pieces.encode_word(word))
        first.append(len(tokens))
        tokens.append(EOS)
        rows.append(tokens)
        firsts.append(first)
        cases.append([IGNORE, *stream.cases[start:end], IGNORE])
        puncts.append([IGNORE, *stream.puncts[start:end], IGNORE])
    width = max(map(len, rows))
    words = max(map(len, firsts))
    token_ids = torch.tensor([r + [0] * (width - len(r)) for r in rows])
    first_piece = torch.tensor([f + [0] * (words - len(f)) for f in firsts])
    counts = torch.tensor([len(f) for f in firsts])
    case = torch.tensor([c + [IGNORE] * (words - len(c)) for c in cases])
    punct = torch.tensor([p + [IGNORE] * (words - len(p)) for p in puncts])
    return token_ids, first_piece, counts, case, punct


Scored = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]  # logits, labels


def score(model: CnnBiLstm, batches: list[tuple[torch.Tensor, ...]]) -> Scored:
    """Case and punctuation logits and labels of every word in ``batches``."""
    model.eval()
    parts: list[Scored] = []
    with torch.inference_mode():
        for token_ids, first_piece, words, case, punct in batches:
            case_logits, punct_logits = model.train_forward(token_ids, first_piece, words)
            keep = punct != IGNORE
            parts.append((case_logits[keep], case[keep], punct_logits[keep], punct[keep]))
    model.train()
    return tuple(torch.cat([p[i] for p in parts]) for i in range(4))  # type: ignore[return-value]


def f1s(
    scored: Scored, case_bias: torch.Tensor | None = None, punct_bias: torch.Tensor | None = None
) -> dict[str, float]:
    """F1 of comma, period, question and capitals (any case but lower)."""
    case_logits, case, punct_logits, punct = scored
    if case_bias is not None:
        case_logits = case_logits + case_bias
    if punct_bias is not None:
        punct_logits = punct_logits + punct_bias
    p_hat, c_hat = punct_logits.argmax(1), case_logits.argmax(1)
    marks = (("comma", 1), ("period", 2), ("question", 3))
    out = {name: _f1(p_hat == value, punct == value) for name, value in marks}
    out["capital"] = _f1(c_hat != LOWER, case != LOWER)
    return out


def _f1(predicted: torch.Tensor, wanted: torch.Tensor) -> float:
    tp = int((predicted & wanted).sum())
    fp = int((predicted & ~wanted).sum())
    fn = int((~predicted & wanted).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune_biases(model: CnnBiLstm, batches: list[tuple[torch.Tensor, ...]]) -> None:
    """Shift each class's bias in the heads to the best sum of F1s on the validation
    batches (coordinate search, twice over); the exported model decides with them."""
    scored = score(model, batches)
    case_bias, punct_bias = torch.zeros(4), torch.zeros(4)
    steps = [x / 8 for x in range(-24, 25)]
    for _ in range(2):
        for bias in (punct_bias, case_bias, punct_bias):
            for cls in (1, 2, 3):
                results = []
                for step in steps:
                    trial = bias.clone()
                    trial[cls] = step
                    if bias is case_bias:
                        shifted = f1s(scored, trial, punct_bias)
                    else:
                        shifted = f1s(scored, case_bias, trial)
                    results.append((sum(shifted.values()), step))
                bias[cls] = max(results)[1]
    log(f"biases: case {case_bias.tolist()} punct {punct_bias.tolist()}")
    model.case_head.bias.data += case_bias
    model.punct_head.bias.data += punct_bias


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=150.0, help="training time budget")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--embedding", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    data = splits()
    log(
        f"text: train {sum(len(s.words) for s in data.train):,} words, validation "
        f"{sum(len(s.words) for s in data.validation):,}, held out "
        f"{sum(len(s.words) for s in data.test):,} ({len(data.test)} documents)"
    )
    pieces = train_vocabulary(data.train, WORK_DIR / "bpe.vocab")
    model = CnnBiLstm(len(pieces.pieces), args.embedding, args.hidden)
    log(f"model: {sum(p.numel() for p in model.parameters()):,} parameters")
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    checkpoint = WORK_DIR / "checkpoint.pt"
    step, spent = resume(checkpoint, model, optimizer, log)
    windows = Windows(data.train, pieces, SEED + step)
    # Thresholds are tuned for what captions are: speech, so narrative and dialogue.
    spoken = [s for s in data.validation if _register(s) in SPOKEN]
    validation = Windows(spoken, pieces, 1)
    fixed = [validation.batch(64) for _ in range(20)]
    loss_fn = nn.CrossEntropyLoss(ignore_index=IGNORE)
    budget = args.minutes * 60
    started = time.monotonic() - spent
    running = 0.0
    while (spent := time.monotonic() - started) < budget:
        progress = spent / budget
        lr = 2e-3 * min(1.0, (step + 1) / 300) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["lr"] = lr
        token_ids, first_piece, words, case, punct = windows.batch(BATCH)
        case_logits, punct_logits = model.train_forward(token_ids, first_piece, words)
        loss = loss_fn(case_logits.reshape(-1, 4), case.reshape(-1)) + loss_fn(
            punct_logits.reshape(-1, 4), punct.reshape(-1)
        )
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        step += 1
        value = loss.item()
        running = 0.98 * running + 0.02 * value if step > 1 else value
        if step % 500 == 0:
            scores = f1s(score(model, fixed))
            log(
                f"step {step} ({spent / 60:.1f} min) loss {running:.3f} lr {lr:.2e} "
                + " ".join(f"{k} {v:.3f}" for k, v in scores.items())
            )
            save(checkpoint, model, optimizer, step, spent)
    log(f"trained {step} steps in {spent / 60:.1f} min")
    model.eval()
    log(f"validation before tuning: {rounded(f1s(score(model, fixed)))}")
    tune_biases(model, fixed)
    log(f"validation after tuning: {rounded(f1s(score(model, fixed)))}")
    write_package(model, WORK_DIR / "bpe.vocab")


def rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in scores.items()}


def write_package(model: CnnBiLstm, vocab: Path) -> None:
    """ONNX with the published contract, int8 weights, and the vocabulary, into the package."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = WORK_DIR / "model.fp32.onnx"
    export(model, str(fp32))
    PACKAGE_DIR.mkdir(parents=True, exist_ok=True)
    target = PACKAGE_DIR / "model.onnx"
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    shutil.copyfile(vocab, PACKAGE_DIR / "bpe.vocab")
    sizes = {p.name: p.stat().st_size for p in PACKAGE_DIR.iterdir()}
    log(f"wrote {PACKAGE_DIR}: {sizes} ({sum(sizes.values()) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
