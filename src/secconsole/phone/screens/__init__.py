"""The phone app's screens."""
