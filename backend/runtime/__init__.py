"""The agent loop: blueprint -> context -> model -> answer, as a stream of typed events."""
