"""Survey scale: prediction chunk by chunk over arrays, memory maps and dask arrays."""

from ._chunked import chunk_slices, predict_chunked

__all__ = ["chunk_slices", "predict_chunked"]
