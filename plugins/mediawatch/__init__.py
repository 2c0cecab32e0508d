"""MediaWatch: Russia–Syria media monitoring. Each stage is a module; the CLI and the DAGs call them."""

__version__ = "0.1.0"
