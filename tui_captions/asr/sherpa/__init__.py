"""The sherpa-onnx engine: released streaming model directories run by k2-fsa's sherpa-onnx."""
