"""Who said it: speaker labels within one source (voice activity, embeddings, clustering).

A core package: numpy, ONNX Runtime and sherpa-onnx only, never Textual or torch.
"""
