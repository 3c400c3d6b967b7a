"""The phone's authenticator: every code with its countdown, adding (a pasted otpauth:// link or a
typed key), removing, the phone's clock offset, and export/import for a new phone.

``save()`` persists the profile after each change; ``clock.now()`` is the real time (injected, so
tests and snapshots move it), and the codes are for that time plus the phone's clock offset.
Issuers and account names are people's text: always drawn as text, never as markup."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from secconsole.core.clock import Clock
from secconsole.phone.authenticator import OFFSET_STEP, Authenticator, AuthenticatorError, Code, Entry
from secconsole.phone.export_file import PASSPHRASE_RULE
from secconsole.tui.dialogs.base import Dialog
from secconsole.tui.dialogs.confirm import ConfirmDialog
from secconsole.tui.styles import stylesheet
from secconsole.tui.text import plain
from secconsole.tui.widgets.action_button import ActionButton
from secconsole.tui.widgets.error_line import ErrorLine
from secconsole.tui.widgets.fields import TextField

BAR = 20
#: An export is a few hundred bytes per account: anything far bigger is not one.
MAX_IMPORT_BYTES = 1 << 20
EMPTY = ("No accounts yet.\n\n"
         "a  paste an otpauth:// link (what a site's QR code holds)\n"
         "k  type the key a site shows\n"
         "i  import the accounts exported from another phone")
EXPORT_NOTE = ("The file holds the accounts above only, encrypted with the passphrase. Push keys never "
               "leave this phone: a new phone pairs for sign-in prompts again.")


class FieldError(AuthenticatorError):
    """A refusal about one field of a form: the cursor goes back there."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def offset_text(seconds: int) -> str:
    """``1 min 30 s fast``, ``30 s slow``."""
    minutes, rest = divmod(abs(seconds), 60)
    parts = ([f"{minutes} min"] if minutes else []) + ([f"{rest} s"] if rest or not minutes else [])
    return f"{' '.join(parts)} {'fast' if seconds > 0 else 'slow'}"


def code_row(code: Code) -> Text:
    """Two lines: the code and its countdown, then the issuer and account (as text, never markup)."""
    filled = round(BAR * code.seconds_left / code.entry.period)
    ending = code.seconds_left <= 5
    row = Text()
    row.append(code.grouped, style="bold")
    row.append("   ")
    row.append("█" * filled, style="red" if ending else "green")
    row.append("░" * (BAR - filled), style="dim")
    row.append(f" {code.seconds_left:>3} s\n")
    row.append(code.entry.issuer or "(no issuer)", style="bold" if code.entry.issuer else "dim")
    if code.entry.account:
        row.append(" · ")
        row.append(code.entry.account)
    return row


class AuthenticatorScreen(Screen[None]):
    CSS_PATH = [stylesheet("phone-authenticator")]
    #: Short names: the phone app's own keys (f1 Prompts...) share the footer's 80 columns.
    BINDINGS = [
        Binding("a", "add_uri", "Link", id="phone.auth.add_uri"),
        Binding("k", "add_key", "Key", id="phone.auth.add_key"),
        Binding("d,delete", "remove", "Remove", id="phone.auth.remove"),
        Binding("minus", "shift(-1)", "Clock", key_display="-/+", id="phone.auth.slower"),
        Binding("plus,equals_sign", "shift(1)", "Clock faster", show=False, id="phone.auth.faster"),
        Binding("0", "reset_clock", "Clock right", show=False, id="phone.auth.reset_clock"),
        Binding("e", "export", "Export", id="phone.auth.export"),
        Binding("i", "import", "Import", id="phone.auth.import"),
        Binding("escape", "back", "Back", show=False, id="phone.auth.back"),
    ]

    def __init__(self, authenticator: Authenticator, save: Callable[[], None], clock: Clock) -> None:
        super().__init__()
        self.authenticator = authenticator
        self.save = save
        self.clock = clock

    def compose(self) -> ComposeResult:
        with Horizontal(id="auth-top"):
            yield Static("Authenticator", id="auth-title")
            yield Static(id="auth-time")
        yield Static(id="auth-offset")
        yield OptionList(id="auth-codes")
        yield Static(EMPTY, id="auth-empty", markup=False)
        yield Static(id="auth-message")
        yield Footer()

    def on_mount(self) -> None:
        self.rebuild()
        self.set_interval(1, self.refresh_codes, name="authenticator countdown")

    # -- drawing --------------------------------------------------------------------------

    def rebuild(self, highlight: int | None = None) -> None:
        """The list afresh (after an add, a removal or an import); codes and countdowns follow."""
        codes = self.query_one("#auth-codes", OptionList)
        keep = highlight if highlight is not None else self.selected_id()
        was = codes.highlighted or 0  # a removed account's neighbour takes its place
        codes.clear_options()
        now = self.clock.now()
        options: list[Option | None] = []
        for code in self.authenticator.codes(now):
            options += [None, Option(code_row(code), id=str(code.entry.id))] if options else \
                [Option(code_row(code), id=str(code.entry.id))]
        codes.add_options(options)  # None: a rule between two accounts
        has = bool(self.authenticator.entries)
        codes.display = has
        self.query_one("#auth-empty").display = not has
        if has:
            ids = [e.id for e in self.authenticator.entries]
            codes.highlighted = ids.index(keep) if keep in ids else min(was, len(ids) - 1)
            codes.focus()
        self.refresh_codes()

    def refresh_codes(self) -> None:
        """Each second: the codes, their countdowns, the phone's time and its offset."""
        now = self.clock.now()
        codes = self.query_one("#auth-codes", OptionList)
        for code in self.authenticator.codes(now):
            codes.replace_option_prompt(str(code.entry.id), code_row(code))
        phone_time = self.authenticator.phone_time(now)
        self.query_one("#auth-time", Static).update(plain(f"phone time {phone_time:%H:%M:%S} UTC"))
        offset = self.authenticator.clock_offset
        banner = self.query_one("#auth-offset", Static)
        banner.display = offset != 0
        if offset:
            banner.update(plain(f"This phone's clock is {offset_text(offset)} · -/+ move it {OFFSET_STEP} s · "
                                "0 sets it right"))

    def selected_id(self) -> int | None:
        codes = self.query_one("#auth-codes", OptionList)
        option = codes.highlighted_option if codes.option_count else None
        return int(option.id) if option is not None else None

    def say(self, message: str, *, error: bool = False) -> None:
        line = self.query_one("#auth-message", Static)
        line.update(plain(message))
        line.set_class(error, "-error")

    def changed(self, message: str, highlight: int | None = None) -> None:
        """Save the profile after a change, then redraw and say what happened."""
        try:
            self.save()
        except Exception as e:  # the profile's own errors and OSError: the change stays in memory
            self.say(f"{message} But the profile could not be saved: {e}", error=True)
        else:
            self.say(message)
        self.rebuild(highlight)

    # -- actions --------------------------------------------------------------------------

    def action_add_uri(self) -> None:
        def add(values: dict[str, str]) -> Entry:
            return self.authenticator.add_uri(values["uri"])

        self.app.push_screen(FormDialog("Add an account from a link", [("uri", "otpauth:// link", False)], add,
                                        submit="Add", hint="Paste the link a site's QR code holds."),
                             self._added)

    def action_add_key(self) -> None:
        def add(values: dict[str, str]) -> Entry:
            return self.authenticator.add_key(values["issuer"], values["account"], values["key"])

        fields = [("issuer", "Site (issuer)", False), ("account", "Account name", False), ("key", "Key", False)]
        self.app.push_screen(FormDialog("Type a key", fields, add, submit="Add",
                                        hint="Spaces and case do not matter. SHA1, 6 digits, 30 seconds."),
                             self._added)

    def _added(self, entry: Entry | None) -> None:
        if entry is not None:
            self.changed(f"Added {entry.label}.", highlight=entry.id)

    def action_remove(self) -> None:
        selected = self.selected_id()
        entry = self.authenticator.get(selected) if selected is not None else None
        if entry is None:
            self.say("There is nothing to remove.", error=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.authenticator.remove(entry.id)
                self.changed(f"Removed {entry.label}.")

        self.app.push_screen(RemoveDialog(
            "Remove this account?",
            f"Remove {entry.label}? Its codes will be gone from this phone: if the account still asks "
            "for them, you will need another way to sign in.", confirm="Remove"), answered)

    def action_shift(self, steps: int) -> None:
        self.authenticator.shift(steps * OFFSET_STEP)
        offset = self.authenticator.clock_offset
        self.changed(f"Phone clock: {offset_text(offset)}." if offset else "Phone clock: right.")

    def action_reset_clock(self) -> None:
        if self.authenticator.clock_offset:
            self.authenticator.clock_offset = 0
            self.changed("Phone clock: right.")

    def action_export(self) -> None:
        def export(values: dict[str, str]) -> str:
            if values["passphrase"] != values["again"]:
                raise AuthenticatorError("The two passphrases differ: type the same one twice.")
            data = self.authenticator.export(values["passphrase"])
            path = _path(values["path"])
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise FieldError(f"{path} is already there: choose another name.", "path") from None
            except OSError as e:
                raise FieldError(f"Cannot write {path}: {e.strerror}.", "path") from None
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return str(path)

        fields = [("path", "Save to file", False), ("passphrase", "Passphrase", True),
                  ("again", "Passphrase again", True)]
        self.app.push_screen(FormDialog("Export for a new phone", fields, export, submit="Export",
                                        hint=f"{EXPORT_NOTE}\n{PASSPHRASE_RULE}"), self._exported)

    def _exported(self, path: str | None) -> None:
        if path is not None:
            n = len(self.authenticator.entries)
            self.say(f"Exported {n} account{'s' if n != 1 else ''} to {path}. Push keys stay on this phone.")

    def action_import(self) -> None:
        def import_(values: dict[str, str]):
            path = _path(values["path"])
            try:
                with open(path, "rb") as f:
                    data = f.read(MAX_IMPORT_BYTES + 1)
            except OSError as e:
                raise FieldError(f"Cannot read {path}: {e.strerror}.", "path") from None
            if len(data) > MAX_IMPORT_BYTES:
                raise FieldError(f"{path} is too big to be an authenticator export.", "path")
            return self.authenticator.merge(data, values["passphrase"])

        fields = [("path", "File", False), ("passphrase", "Passphrase", True)]
        self.app.push_screen(FormDialog("Import from another phone", fields, import_, submit="Import",
                                        hint="Accounts already here are skipped."), self._imported)

    def _imported(self, merged) -> None:
        if merged is not None:
            self.changed(merged.message)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)


def _path(text: str) -> Path:
    if not text.strip():
        raise FieldError("Type the file's name.", "path")
    return Path(text.strip()).expanduser()


class RemoveDialog(ConfirmDialog):
    """The console's yes/no dialog, with a look of its own here: the phone's app does not load the
    console's global sheet (``.card``), so styles/phone-authenticator.tcss styles it under this type."""

    CSS_PATH = [*ConfirmDialog.CSS_PATH, stylesheet("phone-authenticator")]


class FormDialog(Dialog[object]):
    """A few fields and one action: ``apply(values)`` either returns the result (the dialog
    closes with it) or raises ``AuthenticatorError``, shown under the fields (the dialog stays)."""

    CSS_PATH = [*Dialog.CSS_PATH, stylesheet("phone-authenticator")]

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="phone.form.cancel")]

    def __init__(self, title: str, fields: list[tuple[str, str, bool]], apply: Callable[[dict[str, str]], object],
                 *, submit: str, hint: str = "") -> None:
        super().__init__(title, keys="Enter next field, then " + submit.lower() + " · Esc cancel")
        self.fields = fields
        self.apply = apply
        self.submit = submit
        self.hint = hint

    def compose_body(self) -> ComposeResult:
        if self.hint:
            yield Static(plain(self.hint), classes="form-hint")
        for name, label, password in self.fields:
            yield Label(label, classes="form-label")
            yield TextField(id=f"field-{name}", password=password, compact=True)
        yield ErrorLine(id="form-error")
        with Horizontal(classes="buttons"):
            yield ActionButton(self.submit, id="form-submit", primary=True)
            yield ActionButton("Cancel", id="form-cancel")

    def on_mount(self) -> None:
        self.query_one(TextField).focus()

    @on(TextField.Submitted)
    def _next(self, event: TextField.Submitted) -> None:
        inputs = list(self.query(TextField))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._submit()

    @on(ActionButton.Pressed)
    def _pressed(self, event: ActionButton.Pressed) -> None:
        if event.button.id == "form-submit":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        values = {name: self.query_one(f"#field-{name}", TextField).value for name, _, _ in self.fields}
        try:
            result = self.apply(values)
        except AuthenticatorError as e:
            self.query_one("#form-error", ErrorLine).show(str(e))
            for name, _, password in self.fields:
                if password:  # a refused passphrase is typed again, never left in a field
                    self.query_one(f"#field-{name}", TextField).value = ""
            if isinstance(e, FieldError):
                self.query_one(f"#field-{e.field}", TextField).focus_to_correct()
            else:
                inputs = list(self.query(TextField))
                next((f for f in inputs if not f.value), inputs[0]).focus_to_correct()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
