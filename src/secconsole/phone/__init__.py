"""The companion phone app (`secconsole phone`): a Textual app that plays the user's phone or
tablet. It speaks only the push protocol of docs/push-protocol.md over HTTP, never the database.

Layers: `profile` (the 0600 JSON profile file and its lock) and `client` (the protocol client) are
plain Python with no Textual; `app` and `screens/` are the Textual side. Nothing here imports the
database stack (tests/unit/test_architecture.py and the import-linter contract check it)."""
