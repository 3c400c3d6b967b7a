"""Modal dialogs, each a `Dialog` (base.py): a titled card over the dimmed screen."""
