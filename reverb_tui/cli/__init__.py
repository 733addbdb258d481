"""Command groups of the ``reverb-tui`` CLI, one module each."""
