"""The app's screens: device picker, captions, dialogs."""
