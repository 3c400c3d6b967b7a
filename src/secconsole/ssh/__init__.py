"""Serving the console over SSH: one isolated console process per session, on its own PTY."""
