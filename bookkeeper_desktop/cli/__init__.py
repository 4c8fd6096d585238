"""The `bookkeeper` command line: the same services as the GUI, for scripts and scheduled tasks."""
