"""Shops: install state, encrypted offline tokens, uninstall and redaction lifecycle."""
