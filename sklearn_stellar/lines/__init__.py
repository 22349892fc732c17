"""lines subpackage of sklearn-stellar."""

__all__ = []
