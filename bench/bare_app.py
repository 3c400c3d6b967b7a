"""The baseline for bench/startup: a bare Textual app with one Label."""

from textual.app import App, ComposeResult
from textual.widgets import Label


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("Sign in to your account")


if __name__ == "__main__":
    Bare().run()
