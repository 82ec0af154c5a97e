"""`jost tui`: the full-screen terminal UI (Textual) over the same functions as the CLI."""
