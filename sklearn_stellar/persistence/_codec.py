"""Values to JSON plus ``.npy`` entries and back, without pickle.

A value is stored as plain JSON when it is ``None``, a bool, an int, a finite
float, a str or a list; every other supported type is a JSON object with a
``"__kind__"`` key (``tuple``, ``dict``, ``float`` for NaN/inf, ``scalar`` for
numpy scalars, ``ndarray`` referring to an ``.npy`` entry of the archive,
``object_array``, ``random_state``, ``path``, ``complex``, ``estimator`` and
``torch_state_dict``). Anything else is refused with a TypeError naming the
place in the model: nothing ever falls back to pickle.
"""

from __future__ import annotations

import io
import math
import pathlib
import re
from collections import OrderedDict

import numpy as np

from ._errors import ModelFileError

__all__ = ["Decoder", "Encoder"]

# numpy dtype kinds that .npy stores as raw bytes (no pickle).
_ARRAY_KINDS = "biufcUS"
_OBJECT_ITEM_TYPES = (str, int, float, bool, type(None), np.generic)
_TORCH_DTYPES = {
    "float16": "<f2",
    "float32": "<f4",
    "float64": "<f8",
    "int8": "|i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "uint8": "|u1",
    "bool": "|b1",
    "complex64": "<c8",
    "complex128": "<c16",
    "bfloat16": "<i2",  # no numpy type: stored as its 16-bit pattern
}


class Encoder:
    """Turns values into JSON-able trees; arrays become archive entries.

    ``entries`` maps archive entry names to their bytes; ``node_hook(est,
    where)`` encodes an estimator (supplied by the model layer).
    """

    def __init__(self, node_hook):
        self.entries: dict[str, bytes] = {}
        self._node_hook = node_hook
        self._by_content: dict[bytes, str] = {}  # one entry for equal arrays

    def _entry_name(self, where: str) -> str:
        base = "arrays/" + (re.sub(r"[^A-Za-z0-9_./-]", "_", where) or "value")
        name, i = f"{base}.npy", 1
        while name in self.entries:
            i += 1
            name = f"{base}.{i}.npy"
        return name

    def array(self, arr: np.ndarray, where: str) -> dict:
        """Store ``arr`` as an ``.npy`` entry; return its reference."""
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        data = buf.getvalue()
        name = self._by_content.get(data)
        if name is None:
            name = self._by_content[data] = self._entry_name(where)
            self.entries[name] = data
        return {
            "__kind__": "ndarray",
            "entry": name,
            "dtype": arr.dtype.str,
            "shape": list(arr.shape),
        }

    def state_dict(self, state, where: str) -> dict:
        """Store a torch state_dict, one ``.npy`` entry per tensor, on CPU."""
        import torch

        tensors = []
        for key, tensor in state.items():
            dtype = str(tensor.dtype).removeprefix("torch.")
            if dtype not in _TORCH_DTYPES:
                raise TypeError(
                    f"cannot store tensor {key!r} of {where!r}: dtype {dtype} is not "
                    f"one of {sorted(_TORCH_DTYPES)}."
                )
            t = tensor.detach().to("cpu")
            if dtype == "bfloat16":
                t = t.view(torch.int16)
            ref = self.array(t.numpy(), f"{where}/{key}")
            tensors.append({"key": key, "torch_dtype": dtype, "array": ref})
        return {"__kind__": "torch_state_dict", "tensors": tensors}

    def value(self, v, where: str):
        """JSON-able form of ``v`` (see the module docstring)."""
        from sklearn.base import BaseEstimator

        if isinstance(v, np.generic):
            return self._scalar(v, where)
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"__kind__": "float", "value": repr(v)}
        if isinstance(v, complex):
            return {
                "__kind__": "complex",
                "real": self.value(v.real, where),
                "imag": self.value(v.imag, where),
            }
        if isinstance(v, list):
            return [self.value(x, f"{where}/{i}") for i, x in enumerate(v)]
        if isinstance(v, tuple):
            items = [self.value(x, f"{where}/{i}") for i, x in enumerate(v)]
            return {"__kind__": "tuple", "items": items}
        if isinstance(v, dict):
            kind = "ordered_dict" if isinstance(v, OrderedDict) else "dict"
            items = [
                [self.value(k, f"{where}/key"), self.value(x, f"{where}/{k}")]
                for k, x in v.items()
            ]
            return {"__kind__": kind, "items": items}
        if type(v) is np.ndarray:
            return self._ndarray(v, where)
        if isinstance(v, np.random.RandomState):
            return {
                "__kind__": "random_state",
                "state": self.value(v.get_state(), where),
            }
        if isinstance(v, pathlib.PurePath):
            return {"__kind__": "path", "value": str(v)}
        if isinstance(v, BaseEstimator):
            return self._node_hook(v, where)
        raise TypeError(
            f"cannot store {where!r} safely: values of type {type(v).__qualname__} "
            "are not supported (model files hold JSON values, numpy arrays, "
            "allowed estimators and torch weights only; nothing is pickled)."
        )

    def _scalar(self, v, where):
        if v.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(
                f"cannot store {where!r}: numpy scalar of dtype {v.dtype} is not "
                f"supported (kinds {_ARRAY_KINDS!r} only)."
            )
        return {
            "__kind__": "scalar",
            "dtype": v.dtype.str,
            "value": self.value(v.item(), where),
        }

    def _ndarray(self, v, where):
        if v.dtype.kind in _ARRAY_KINDS and v.dtype.fields is None:
            return self.array(v, where)
        if v.dtype == object and all(isinstance(x, _OBJECT_ITEM_TYPES) for x in v.flat):
            items = [self.value(x, where) for x in v.flat]
            return {"__kind__": "object_array", "shape": list(v.shape), "items": items}
        raise TypeError(
            f"cannot store array {where!r} of dtype {v.dtype}: only numeric, bool "
            "and string arrays (and object arrays of str/numbers) are supported."
        )


class Decoder:
    """Inverse of :class:`Encoder`; every malformed value is a ``fail`` call.

    ``read_array(entry, where)`` returns an array read with
    ``np.load(allow_pickle=False)``; ``node_hook(node, where)`` rebuilds an
    estimator; ``fail(problem, where)`` raises the error naming the file.
    """

    def __init__(self, read_array, node_hook, fail):
        self._read_array = read_array
        self._node_hook = node_hook
        self.fail = fail

    def value(self, v, where: str):
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v
        if isinstance(v, list):
            return [self.value(x, f"{where}/{i}") for i, x in enumerate(v)]
        if not isinstance(v, dict) or not isinstance(v.get("__kind__"), str):
            self.fail(f"malformed value {str(v)[:80]!r}", where)
        kind = v["__kind__"]
        method = getattr(self, f"_decode_{kind}", None)
        if method is None:
            self.fail(f"unknown value kind {kind!r}", where)
        try:
            return method(v, where)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            self.fail(f"malformed {kind} value ({type(exc).__name__}: {exc})", where)

    def _decode_float(self, v, where):
        text = v["value"]
        if text not in ("nan", "inf", "-inf"):
            self.fail(
                f"float value must be 'nan', 'inf' or '-inf', got {text!r}", where
            )
        return float(text)

    def _decode_complex(self, v, where):
        return complex(self.value(v["real"], where), self.value(v["imag"], where))

    def _decode_tuple(self, v, where):
        return tuple(self.value(x, f"{where}/{i}") for i, x in enumerate(v["items"]))

    def _pairs(self, v, where):
        for pair in v["items"]:
            if not isinstance(pair, list) or len(pair) != 2:
                self.fail("dict items must be [key, value] pairs", where)
            key = self.value(pair[0], f"{where}/key")
            yield key, self.value(pair[1], f"{where}/{key}")

    def _decode_dict(self, v, where):
        return dict(self._pairs(v, where))

    def _decode_ordered_dict(self, v, where):
        return OrderedDict(self._pairs(v, where))

    def _dtype(self, text, where):
        if not isinstance(text, str):
            self.fail(f"dtype must be a string, got {text!r}", where)
        dtype = np.dtype(text)
        if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None:
            self.fail(f"dtype {text!r} is not allowed (kinds {_ARRAY_KINDS!r})", where)
        return dtype

    def _decode_scalar(self, v, where):
        dtype = self._dtype(v["dtype"], where)
        return np.array(self.value(v["value"], where), dtype=dtype)[()]

    def _decode_ndarray(self, v, where):
        dtype = self._dtype(v["dtype"], where)
        arr = self._read_array(v["entry"], where)
        if arr.dtype != dtype or list(arr.shape) != v["shape"]:
            self.fail(
                f"array entry {v['entry']!r} holds {arr.dtype.str} {list(arr.shape)}, "
                f"the manifest says {dtype.str} {v['shape']}",
                where,
            )
        return arr

    def _decode_object_array(self, v, where):
        shape = tuple(int(n) for n in v["shape"])
        items = [self.value(x, where) for x in v["items"]]
        if any(isinstance(x, (list, tuple, dict, np.ndarray)) for x in items):
            self.fail("object arrays may hold str, numbers, bool and None only", where)
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)

    def _decode_random_state(self, v, where):
        rs = np.random.RandomState()
        rs.set_state(self.value(v["state"], where))
        return rs

    def _decode_path(self, v, where):
        if not isinstance(v["value"], str):
            self.fail("path value must be a string", where)
        return pathlib.Path(v["value"])

    def _decode_estimator(self, v, where):
        return self._node_hook(v, where)

    def _decode_torch_state_dict(self, v, where):
        import torch

        state = OrderedDict()
        for item in v["tensors"]:
            key, dtype = item["key"], item["torch_dtype"]
            if not isinstance(key, str) or dtype not in _TORCH_DTYPES:
                self.fail(f"bad tensor record {str(item)[:80]!r}", where)
            arr = self._decode_ndarray(item["array"], f"{where}/{key}")
            if arr.dtype.str != np.dtype(_TORCH_DTYPES[dtype]).str:
                self.fail(f"tensor {key!r}: {arr.dtype} array for torch {dtype}", where)
            tensor = torch.from_numpy(arr)
            state[key] = tensor.view(torch.bfloat16) if dtype == "bfloat16" else tensor
        return _StateDict(state)


class _StateDict(OrderedDict):
    """A decoded torch state_dict (only valid as a network's ``module_``)."""
