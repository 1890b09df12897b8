"""The sherpa-onnx engine: released streaming model directories, their recognizers and streams."""
