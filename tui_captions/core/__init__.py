"""Shared types of every layer: segments, engine events, statistics, time formats.

A leaf: standard library and NumPy only, so that ``audio``, ``asr`` and
``transcript`` can all use it without depending on each other.
"""
