# mnv3classify: models/mnv3pth.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Read a PyTorch .pth state_dict WITHOUT PyTorch and without running the pickle's code.

torch.save writes a pickle whose only legitimate globals are the tensor-rebuild helpers, storage
types and OrderedDict. A pickle may name any importable callable, so a .pth from a stranger can
run arbitrary code under a plain pickle.load. RestrictedUnpickler resolves only an allow-list of
globals to local stand-ins (never importing torch or anything else) and refuses every other
global before it is called. Both the zip format (torch >= 1.6: <name>/data.pkl plus one file per
storage under <name>/data/) and the legacy format (magic pickles, main pickle, storage keys,
then raw storages) are read."""

import collections
import io
import pickle
import struct
import zipfile

import numpy as np

from mnv3format import FormatError

# storage type -> numpy dtype ("bf16" is widened by hand)
STORAGE_TYPES = {
    "FloatStorage": "<f4", "HalfStorage": "<f2", "DoubleStorage": "<f8", "BFloat16Storage": "bf16",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c


class StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = STORAGE_TYPES[name]

    @property
    def itemsize(self):
        return 2 if self.dtype == "bf16" else np.dtype(self.dtype).itemsize


class Storage:
    def __init__(self, stype, key, numel):
        self.stype = stype
        self.key = str(key)
        self.numel = numel
        self.array = None   # 1-D numpy array, filled once the bytes are known

    def set_bytes(self, raw):
        need = self.numel * self.stype.itemsize
        if len(raw) < need:
            raise FormatError("truncated .pth: storage %s has %d bytes, needs %d"
                              % (self.key, len(raw), need))
        raw = raw[:need]
        if self.stype.dtype == "bf16":
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(raw, dtype=self.stype.dtype)
        self.array = a


class LazyTensor:
    """A tensor view of a storage; materialized after all storages are read."""

    def __init__(self, storage, offset, size, stride):
        if not isinstance(storage, Storage):
            raise FormatError("corrupt .pth: tensor rebuilt from a %s, not a storage"
                              % type(storage).__name__)
        try:
            self.size = tuple(int(s) for s in size)
            self.stride = tuple(int(s) for s in stride)
            self.offset = int(offset)
        except (TypeError, ValueError):
            raise FormatError("corrupt .pth: bad tensor size/stride")
        if len(self.size) != len(self.stride) or any(s < 0 for s in self.size + self.stride):
            raise FormatError("corrupt .pth: bad tensor size/stride")
        self.storage = storage

    def numpy(self):
        a = self.storage.array
        if a is None:
            raise FormatError("corrupt .pth: storage %s has no data" % self.storage.key)
        if any(s == 0 for s in self.size):
            return np.zeros(self.size, dtype=a.dtype)
        last = self.offset + sum((n - 1) * s for n, s in zip(self.size, self.stride))
        if self.offset < 0 or last >= len(a):
            raise FormatError("corrupt .pth: tensor view exceeds storage %s" % self.storage.key)
        view = np.lib.stride_tricks.as_strided(
            a[self.offset:], shape=self.size,
            strides=tuple(s * a.itemsize for s in self.stride), writeable=False)
        return np.array(view)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    return LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False, backward_hooks=None, state=None):
    return data


ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
}


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that maps allowed globals to harmless stand-ins and refuses all others."""

    def __init__(self, f, legacy=False):
        super().__init__(f)
        self.legacy = legacy
        self.storages = {}

    def find_class(self, module, name):
        fn = ALLOWED.get((module, name))
        if fn is not None:
            return fn
        if module == "torch" and name in STORAGE_TYPES:
            return StorageType(name)
        hint = ""
        if module.startswith("torchvision") or module.startswith("torch.nn"):
            hint = " (a pickled model object; save model.state_dict() instead)"
        raise FormatError("refusing to unpickle global %s.%s: a .pth may only contain tensors, "
                          "storages and OrderedDicts%s" % (module, name, hint))

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid or pid[0] != "storage":
            raise FormatError("refusing persistent id %r: only tensor storages are allowed"
                              % (pid[0] if isinstance(pid, tuple) and pid else type(pid).__name__))
        if len(pid) < 5 or not isinstance(pid[1], StorageType):
            raise FormatError("corrupt .pth: bad storage reference")
        stype, key, numel = pid[1], str(pid[2]), pid[4]
        if self.legacy and len(pid) > 5 and pid[5] is not None:
            raise FormatError("legacy .pth storage views are not supported; re-save the "
                              "state_dict with a current PyTorch")
        if not isinstance(numel, int) or numel < 0:
            raise FormatError("corrupt .pth: bad storage size")
        st = self.storages.get(key)
        if st is None:
            st = self.storages[key] = Storage(stype, key, numel)
        return st


def _unpickle(f, legacy=False):
    up = RestrictedUnpickler(f, legacy)
    try:
        obj = up.load()
    except FormatError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, struct.error, MemoryError, RecursionError) as e:
        raise FormatError("corrupt or truncated .pth pickle (%s: %s)"
                          % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    return obj, up.storages


def load(path):
    """Return an OrderedDict name -> numpy array (native dtype) of a .pth file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            names = zf.namelist()
        except (zipfile.BadZipFile, EOFError, ValueError) as e:
            raise FormatError("truncated or corrupt .pth zip archive (%s)" % e)
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise FormatError("not a PyTorch .pth: zip archive without data.pkl")
        prefix = pkl[0][:-len("data.pkl")]
        try:
            if (prefix + "byteorder") in names and zf.read(prefix + "byteorder").strip() != b"little":
                raise FormatError("big-endian .pth files are not supported")
            obj, storages = _unpickle(io.BytesIO(zf.read(pkl[0])))
            for key, st in storages.items():
                entry = prefix + "data/" + key
                if entry not in names:
                    raise FormatError("truncated .pth: missing storage %s" % entry)
                st.set_bytes(zf.read(entry))
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            if isinstance(e, FormatError):
                raise
            raise FormatError("truncated or corrupt .pth zip archive (%s)" % e)
    elif data[:2] == b"\x80\x02":
        obj, storages = _load_legacy(data)
    elif data[:1] == b"\x80":
        # A bare pickle: still refuse any global before it runs.
        obj, storages = _unpickle(io.BytesIO(data))
        raise FormatError("not a PyTorch .pth: a bare pickle without tensor storages")
    else:
        raise FormatError("not a PyTorch .pth file (expected a zip archive or pickle, found bytes %r)"
                          % data[:8])
    return _materialize(obj)


def _load_legacy(data):
    f = io.BytesIO(data)
    magic, _ = _unpickle(f, legacy=True)
    if magic != LEGACY_MAGIC:
        raise FormatError("not a PyTorch .pth file (pickle without torch magic number)")
    _unpickle(f, legacy=True)   # protocol version
    _unpickle(f, legacy=True)   # sys info
    obj, storages = _unpickle(f, legacy=True)
    keys, _ = _unpickle(f, legacy=True)
    if not isinstance(keys, list):
        raise FormatError("corrupt legacy .pth: bad storage key list")
    for key in keys:
        st = storages.get(str(key))
        if st is None:
            raise FormatError("corrupt legacy .pth: unknown storage %s" % key)
        head = f.read(8)
        if len(head) != 8:
            raise FormatError("truncated .pth: storage %s missing" % key)
        (numel,) = struct.unpack("<q", head)
        if numel != st.numel:
            raise FormatError("corrupt legacy .pth: storage %s has %d elements, expected %d"
                              % (key, numel, st.numel))
        st.set_bytes(f.read(numel * st.stype.itemsize))
    return obj, storages


def _materialize(obj):
    if not isinstance(obj, dict):
        raise FormatError("not a state_dict: the .pth holds a %s, expected a dict of tensors"
                          % type(obj).__name__)
    # Training checkpoints often wrap the state_dict.
    if not any(isinstance(v, LazyTensor) for v in obj.values()):
        for k in ("state_dict", "model", "model_state_dict", "model_ema"):
            if isinstance(obj.get(k), dict):
                return _materialize(obj[k])
        raise FormatError("not a state_dict: no tensors at the top level (keys: %s)"
                          % ", ".join(map(str, list(obj)[:5])))
    out = collections.OrderedDict()
    for k, v in obj.items():
        if isinstance(v, LazyTensor):
            name = str(k)
            if name.startswith("module."):
                name = name[len("module."):]
            out[name] = v.numpy()
    return out
