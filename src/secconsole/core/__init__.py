"""The UI-free core: accounts, passwords, policy, audit, crypto and the clock.

Nothing in this package imports Textual; the TUI, the CLI and the SSH server all call it.
"""
