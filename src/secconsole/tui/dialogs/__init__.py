"""Modal dialogs (the delete-and-disable confirmation arrives with Settings)."""
