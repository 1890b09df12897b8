"""The wav2vec2 CTC engine: its model directory, CTC decoders and windowed streams."""
