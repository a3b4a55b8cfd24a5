"""The runner: planning, the environment, episodes, the run store and the progress display."""
