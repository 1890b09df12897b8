"""The punctuation model: Edge-Punct-Casing's CNN-BiLSTM, at a size chosen here.

The published model's architecture and I/O contract (``../shared/PUNCTUATION-FACTS.md``):
piece embeddings, three residual conv blocks over the pieces, then only each
word's first piece (``valid_ids``) goes on, with ``<s>`` and ``</s>``, through a
two-layer BiLSTM and one forward LSTM; casing is read from the states of the
word and the one before it, punctuation from the word and the one after it.
Exported with the same input and output names and metadata, so the app runs
this model and the published one through the same code.
"""

from __future__ import annotations

import torch
from torch import nn

NUM_CLASSES = 4  # none , . ?   and   lower UPPER Cap MiXed
METADATA = {
    "NO_PUNCT": "0",
    "COMMA": "1",
    "PERIOD": "2",
    "QUESTION": "3",
    "LOWER": "0",
    "UPPER": "1",
    "CAP": "2",
    "MIX_CASE": "3",
}
INPUTS = ("token_ids", "valid_ids", "label_lens")
OUTPUTS = ("active_case_logits", "active_punct_logits", "mask")


class CnnBiLstm(nn.Module):
    def __init__(self, vocab: int, embedding: int = 128, hidden: int = 256, convs: int = 3) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding, padding_idx=0)
        self.convs = nn.ModuleList(
            nn.Conv1d(embedding, embedding, 3, padding=1) for _ in range(convs)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(embedding, eps=1e-12) for _ in range(convs))
        self.bilstm = nn.LSTM(embedding, hidden, 2, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(2 * hidden, hidden, batch_first=True)
        self.case_head = nn.Linear(2 * hidden, NUM_CLASSES)
        self.punct_head = nn.Linear(2 * hidden, NUM_CLASSES)
        self.dropout = nn.Dropout(0.2)

    def words(self, token_ids: torch.Tensor, valid_ids: torch.Tensor) -> torch.Tensor:
        """Per row ``(N, T)``: the pieces' features after the conv blocks ``(N, T, E)``."""
        x = self.embedding(token_ids)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = norm(x + torch.relu(conv(x.transpose(1, 2)).transpose(1, 2)))
        return x

    def heads(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``states`` ``(B, W, H)`` of a word sequence -> case and punctuation logits."""
        before = torch.cat([states[:, :1], states[:, :-1]], dim=1)
        after = torch.cat([states[:, 1:], states[:, -1:]], dim=1)
        case = self.case_head(self.dropout(torch.cat([before, states], dim=2)))
        punct = self.punct_head(self.dropout(torch.cat([states, after], dim=2)))
        return case, punct

    def train_forward(
        self, token_ids: torch.Tensor, first_piece: torch.Tensor, word_count: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Training on a padded batch: ``first_piece`` ``(B, W)`` holds each word's first
        piece position (``<s>`` and ``</s>`` included), ``word_count`` their number."""
        x = self.dropout(self.words(token_ids, token_ids > 0))
        picked = torch.gather(x, 1, first_piece.unsqueeze(2).expand(-1, -1, x.size(2)))
        packed = nn.utils.rnn.pack_padded_sequence(
            picked, word_count.cpu(), batch_first=True, enforce_sorted=False
        )
        states, _ = self.bilstm(packed)
        states, _ = self.lstm(states)
        padded, _ = nn.utils.rnn.pad_packed_sequence(
            states, batch_first=True, total_length=picked.size(1)
        )
        return self.heads(padded)

    def forward(
        self, token_ids: torch.Tensor, valid_ids: torch.Tensor, label_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The published contract: rows of ``<s> pieces </s>`` padded with 0; out, the
        logits of every word of every row in order, ``(T', 4)`` twice (``<s>`` and
        ``</s>`` removed), and ``mask`` ``(N, T)``: the first ``label_lens`` positions of
        each row. Rows follow each other as one sequence (a call is one row in practice).
        """
        token_ids = token_ids.long()
        x = self.words(token_ids, valid_ids)
        flat_ids = token_ids.reshape(-1)
        keep = valid_ids.reshape(-1) > 0
        picked = x.reshape(-1, x.size(2))[keep].unsqueeze(0)
        states, _ = self.bilstm(picked)
        states, _ = self.lstm(states)
        case, punct = self.heads(states)
        kept_ids = flat_ids[keep]
        words = (kept_ids != 1) & (kept_ids != 2)
        positions = torch.arange(token_ids.size(1), device=token_ids.device)
        mask = positions.unsqueeze(0) < label_lens.unsqueeze(1)
        return case[0][words], punct[0][words], mask


def export(model: CnnBiLstm, path: str) -> None:
    """The model as ONNX with the published names, dynamic rows and length, and metadata."""
    import onnx

    model.eval()
    token_ids = torch.tensor([[1, 10, 11, 12, 2, 0, 0]], dtype=torch.int32)
    valid_ids = torch.tensor([[1, 1, 0, 1, 1, 0, 0]], dtype=torch.int32)
    label_lens = torch.tensor([4], dtype=torch.int32)
    torch.onnx.export(
        model,
        (token_ids, valid_ids, label_lens),
        path,
        input_names=list(INPUTS),
        output_names=list(OUTPUTS),
        dynamic_axes={
            "token_ids": {0: "N", 1: "T"},
            "valid_ids": {0: "N", 1: "T"},
            "label_lens": {0: "N"},
            "active_case_logits": {0: "W"},
            "active_punct_logits": {0: "W"},
            "mask": {0: "N", 1: "T"},
        },
        opset_version=17,
        dynamo=False,
    )
    graph = onnx.load(path)
    for key, value in METADATA.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, path)
