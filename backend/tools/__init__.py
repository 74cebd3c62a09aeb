"""Agent tools: registry, permissions, executors and one module per built-in tool."""
