"""The phone app's screens: Prompts (home), the Pair dialog, the prompt card, and the
Authenticator (its own module, `screens/authenticator.py`)."""
