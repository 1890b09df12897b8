"""Sources -> capture workers -> recognizer streams -> events: the live pipeline, no UI.

Composes ``audio``, ``asr`` and ``transcript``; the app and the commands sit on it.
"""
