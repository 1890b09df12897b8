"""Bundled offline demo: the tiny Emformer RNN-T model directory and a synthetic speech clip."""
