"""Screens of the TUI, one Screen or ModalScreen per module."""
