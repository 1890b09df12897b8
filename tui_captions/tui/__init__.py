"""The Textual app. Only this package (and the commands that start it) imports textual."""
