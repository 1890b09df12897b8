"""The one exception type for mistakes a user can fix.

Anything raised as :class:`UserError` is shown as a single line (what, where,
what to do) by the CLI and the TUI's error handler; anything else is a bug and
keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input or environment, with a message that says how to fix it."""


class ModelError(UserError):
    """A model name or directory that cannot be used."""


class ComputeError(UserError):
    """A compute choice (device, quantization) this machine or model cannot run."""


class AudioSourceError(UserError):
    """An audio file, stream or device that cannot be opened or read."""
