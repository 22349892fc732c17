"""Model files: fitted estimators saved as a JSON manifest plus ``.npy`` arrays.

Loading never unpickles and never imports a class outside an allow-list.
"""

from ._allowlist import allowed_classes
from ._archive import FORMAT_VERSION
from ._errors import ModelFileError
from ._load import load_model, read_manifest
from ._save import save_model

__all__ = [
    "FORMAT_VERSION",
    "ModelFileError",
    "allowed_classes",
    "load_model",
    "read_manifest",
    "save_model",
]
