"""Application services shared by the TUI and the CLI (no Textual)."""
