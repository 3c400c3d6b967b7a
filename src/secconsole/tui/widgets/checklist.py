"""The live password checklist: every rule of the active profile, ticked as the user types."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from secconsole.core.passwords import PasswordCheck, check_password
from secconsole.core.policy import PolicyProfile


class PasswordChecklist(Static):
    """Call ``update_for`` on every keystroke; the check (zxcvbn) runs in a thread."""

    DEFAULT_CSS = """
    PasswordChecklist {
        width: 40;
        height: auto;
        margin-left: 1;
        padding: 1 1;
    }
    """

    def __init__(self, profile: PolicyProfile, *, extra_note: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self._profile = profile
        self._extra_note = extra_note
        self.last: PasswordCheck | None = None

    def on_mount(self) -> None:
        self._show(check_password("", self._profile), empty=True)

    def update_for(
        self, password: str, *, confirm: str | None = None, username: str = "", email: str = "",
        has_second_step: bool = False,
    ) -> None:
        def work() -> None:
            verdict = check_password(
                password, self._profile, username=username, email=email,
                has_second_step=has_second_step, confirm=confirm,
            )
            self.app.call_from_thread(self._show, verdict, not password)

        self.run_worker(work, thread=True, exclusive=True, group="checklist")

    def _show(self, verdict: PasswordCheck, empty: bool) -> None:
        self.last = None if empty else verdict
        lines = [Content.from_markup("[b]Your password needs[/b]")]
        for rule in verdict.rules:
            if empty:
                lines.append(Content.from_markup("[$text-muted]·[/] $label", label=rule.label))
            elif rule.ok:
                lines.append(Content.from_markup("[$success]✓[/] $label", label=rule.label))
            else:
                lines.append(Content.from_markup("[$error]✗[/] $label", label=rule.label))
                if rule.hint:
                    lines.append(Content.from_markup("  [$text-muted]$hint[/]", hint=rule.hint))
        if self._extra_note:
            lines.append(Content.from_markup("[$text-muted]$note[/]", note=self._extra_note))
        self.update(Content("\n").join(lines))
