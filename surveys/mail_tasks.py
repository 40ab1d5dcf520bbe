"""Invitation email tasks (filled by the distribution work)."""

__all__: list[str] = []
