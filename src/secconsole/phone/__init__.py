"""The companion phone app: plays the user's phone (push prompts and an authenticator)."""
