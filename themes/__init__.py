"""Built-in theme files, installed as the ``tui_captions.themes`` package (see pyproject.toml)."""
