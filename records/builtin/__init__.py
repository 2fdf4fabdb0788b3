"""Built-in plugins: the core uses its own extension API (records.plugins.DEFAULT_PLUGINS)."""
