"""Demo mode only: the Dev drawer's phone. It answers app prompts the way any phone does, through
this console's own push API (``phone.client.PushClient``: signed requests, prompts checked against
the server's key), paired with a one-time code the first time an account needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from secconsole.phone.profile import Account

DEVICE_NAME = "Demo drawer"


class DemoDevice:
    """One per console: its pairings (in memory: the demo's database goes with the console)."""

    def __init__(self, app) -> None:
        self.app = app
        self.paired: dict[str, Account] = {}

    async def answer(self, username: str, decision: str) -> str:
        """``approve`` (with the number the console shows) or ``deny`` the account's waiting
        prompt; the result as the API answered it (``approved``, ``denied``), or why not."""
        from secconsole.demo.drawer import prompt_of
        from secconsole.phone.client import PhoneError, PushClient

        services = await self.app.services()
        view = await self.app.run_core(prompt_of, services, username)
        if view is None or view.status != "pending":
            return "No prompt is waiting."
        async with PushClient(services.clock, timeout=10) as client:
            for _ in range(2):  # once more, paired anew, if the device was removed in Settings
                try:
                    paired = await self._paired(client, services, username)
                    prompts, _untrusted = await client.prompts(paired)
                    prompt = next((p for p in prompts if p.id == view.id), None)
                    if prompt is None:
                        return "The prompt is no longer waiting."
                    number = view.number if decision == "approve" else None
                    return await client.answer(prompt, decision, number)
                except PhoneError as exc:
                    if exc.code != "device_removed":
                        return str(exc)
                    self.paired.pop(username, None)
            return "The demo phone could not pair."

    async def pair(self, username: str) -> str:
        """Pair the demo phone with the account now (as a phone scanning the wizard's code would;
        the wizard's own code stops working: one unused code per account)."""
        from secconsole.phone.client import PhoneError, PushClient

        services = await self.app.services()
        self.paired.pop(username, None)
        async with PushClient(services.clock, timeout=10) as client:
            try:
                await self._paired(client, services, username)
            except PhoneError as exc:
                return str(exc)
        return "The demo phone is paired."

    async def _paired(self, client, services, username: str) -> Account:
        from secconsole.demo.drawer import pairing_code

        paired = self.paired.get(username)
        if paired is None:
            url, code = await self.app.run_core(pairing_code, services, username)
            paired = self.paired[username] = await client.pair(url, code, DEVICE_NAME)
        return paired
