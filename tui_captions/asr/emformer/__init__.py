"""The Emformer RNN-T engine: its model directory, features, streaming step and streams."""
