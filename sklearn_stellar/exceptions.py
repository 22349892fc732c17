"""Warning classes raised by sklearn-stellar, so that callers can filter them."""

__all__ = ["EmptySpectrumWarning"]


class EmptySpectrumWarning(UserWarning):
    """A spectrum has no usable pixel: all flux NaN, or all masked / ``ivar <= 0``.

    Raised (once per call, with a count) by the readers when a file's flux is
    NaN or masked at every pixel, and by every function taking ``ivar`` when a
    row has no positive inverse variance. Such a row yields NaN downstream.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_stellar.exceptions import EmptySpectrumWarning
    >>> issubclass(EmptySpectrumWarning, UserWarning)
    True
    """
