"""Headless subcommands: each module adds its parser and runs with parsed arguments."""
