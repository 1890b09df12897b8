"""Punctuation model names, importable without numpy or ONNX Runtime (for the help text)."""

PUBLISHED = "edge-punct-en"
BUNDLED = "tiny-en"
NO_MODEL = "none"
DEFAULT_PUNCTUATION = PUBLISHED
