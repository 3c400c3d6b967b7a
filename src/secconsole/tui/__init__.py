"""The Textual console. Thin: screens call core services (off the event loop) and render results."""
