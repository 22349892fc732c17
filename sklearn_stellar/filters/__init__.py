"""Selection filters (EW cuts, Q colour index) and the filtered classifier."""

from ._ew_filter import EWFilter
from ._filtered import FilteredClassifier
from ._ir_colours import IR_EXTINCTION, classify_ir_colours, deredden_ir
from ._layout import split_photometry, stack_photometry
from ._qcolor import QColorFilter, q_index
from ._report import FilterRejectionWarning

__all__ = [
    "EWFilter",
    "FilterRejectionWarning",
    "FilteredClassifier",
    "IR_EXTINCTION",
    "QColorFilter",
    "classify_ir_colours",
    "deredden_ir",
    "q_index",
    "split_photometry",
    "stack_photometry",
]
