"""The runner: scheduler, episodes, the run store and the progress display."""
