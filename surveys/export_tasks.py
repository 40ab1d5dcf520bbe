"""Export tasks (filled by the results/export work)."""

__all__: list[str] = []
