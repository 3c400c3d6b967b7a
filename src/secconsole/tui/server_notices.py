"""Notices from `serve-ssh`, which cannot draw on the console's screen: it sends a signal and the
console shows a toast (SIGUSR1: idle warning, SIGUSR2: the server is shutting down)."""

from __future__ import annotations

import asyncio
import os
import signal

from textual.app import App


def listen(app: App) -> None:
    """Show the server's notices in this session (only consoles started by serve-ssh listen)."""
    if not os.environ.get("SECCONSOLE_SSH_SESSION"):
        return
    idle = int(os.environ.get("SECCONSOLE_SSH_IDLE_WARNING") or 60)
    drain = int(os.environ.get("SECCONSOLE_SSH_DRAIN") or 30)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: app.notify(
        f"No key pressed for a while: this session closes in {idle} seconds unless you press one.",
        title="Still there?", severity="warning", timeout=max(idle, 5), markup=False))
    loop.add_signal_handler(signal.SIGUSR2, lambda: app.notify(
        f"The server is shutting down: this session closes within {drain} seconds. "
        "Finish what you are doing; you can connect again in a moment.",
        title="Server shutting down", severity="warning", timeout=max(drain, 5), markup=False))
    # The session's process holds both from its start (ssh.zygote.take_terminal): one sent before
    # this point is delivered now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGUSR1, signal.SIGUSR2))
