"""The audio-visual engine: seed 001's device AV-ASR model (camera + microphone)."""
