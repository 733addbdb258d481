"""Order download, stock arithmetic, stock push, sync runs and the log. No Textual."""
