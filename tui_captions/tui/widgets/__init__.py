"""Widgets of the caption screens, styled through theme variables in their DEFAULT_CSS."""
