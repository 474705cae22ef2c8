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
import pickletools
import struct
import zipfile
import zlib

import numpy as np

from mnv3format import FormatError

# storage type -> numpy dtype ("bf16" is widened by hand)
STORAGE_TYPES = {
    "FloatStorage": "<f4", "HalfStorage": "<f2", "DoubleStorage": "<f8", "BFloat16Storage": "bf16",
    "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2", "CharStorage": "i1",
    "ByteStorage": "u1", "BoolStorage": "?",
}

LEGACY_MAGIC = 0x1950a86a20f9469cfc6c

# Size limits (models/README.md, "Limits"). A MobileNetV3-Large at width 1 has 5.5 M parameters
# and a 20 KB data.pkl; these bounds leave room for very wide models and refuse files that
# would make the reader allocate far more than they hold.
MAX_PICKLE_BYTES = 64 << 20         # one pickle (data.pkl) inflated
MAX_MEMO_INDEX = 1 << 20            # pickle memo slots (PUT opcodes); CPython allocates up to the index
MAX_STORAGE_BYTES = 1 << 30         # all storages together
MAX_INFLATE_RATIO = 16              # storage bytes per byte of a compressed .pth
MAX_TENSOR_ELEMENTS = 1 << 28       # all tensors together (1 GiB as float32)
MAX_DIMS = 8
MAX_WRAPPER_DEPTH = 4               # {"model": {"state_dict": {...}}} and the like


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
        if len(self.size) != len(self.stride) or any(s < 0 for s in self.size + self.stride) \
                or len(self.size) > MAX_DIMS or self.offset < 0:
            raise FormatError("corrupt .pth: bad tensor size/stride")
        self.numel = 1
        for n in self.size:
            self.numel *= n
        # A tensor never holds more elements than its storage, except views that repeat elements
        # (stride 0, overlapping strides), which no state_dict needs: checking this first keeps a
        # tiny file from asking for gigabytes.
        if self.numel > storage.numel:
            raise FormatError("corrupt .pth: a tensor of %d elements (shape %s) in a storage of %d "
                              "elements (repeating views such as stride 0 are not accepted)"
                              % (self.numel, list(self.size)[:MAX_DIMS], storage.numel))
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
        # (the stride of a size-1 dimension is never used: any value is legal there)
        view = np.lib.stride_tricks.as_strided(
            a[self.offset:], shape=self.size,
            strides=tuple(s * a.itemsize if n > 1 else 0 for n, s in zip(self.size, self.stride)),
            writeable=False)
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


def _prescan(f):
    """Walk the opcodes of the pickle at f's position (pure Python, nothing built) and refuse memo
    indices CPython would allocate a table for (LONG_BINPUT 2**31: 16 GiB) and truncated
    arguments; then rewind."""
    pos = f.tell()
    try:
        for op, arg, _ in pickletools.genops(f):
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT") and int(arg) > MAX_MEMO_INDEX:
                raise FormatError("corrupt .pth pickle: memo index %d (more than %d)"
                                  % (int(arg), MAX_MEMO_INDEX))
    except FormatError:
        raise
    except (ValueError, TypeError, struct.error, UnicodeDecodeError, OverflowError) as e:
        raise FormatError("corrupt or truncated .pth pickle (%s: %s)"
                          % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    f.seek(pos)


def _unpickle(f, legacy=False):
    _prescan(f)
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


def _read_entry(zf, name, limit, what):
    """At most limit bytes of a zip entry, streamed (the entry's declared size is checked first,
    so a deflate bomb is refused before it is inflated)."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise FormatError("%s %s is %d bytes (limit %d)" % (what, name, info.file_size, limit))
    with zf.open(info) as f:
        raw = f.read(limit + 1)
    if len(raw) > limit:
        raise FormatError("%s %s inflates past %d bytes" % (what, name, limit))
    return raw


def load(data):
    """Return an OrderedDict name -> numpy array (native dtype) of a .pth file's bytes (or path)."""
    if isinstance(data, str):
        with open(data, "rb") as f:
            data = f.read()
    if data[:4] == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            names = set(zf.namelist())
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError,
                NotImplementedError, RuntimeError) as e:
            raise FormatError("truncated or corrupt .pth zip archive (%s)" % e)
        if "config.json" in names or "model.weights.h5" in names:
            raise FormatError("a Keras .keras archive, not a PyTorch .pth")
        pkl = sorted(n for n in names if n.endswith("/data.pkl") or n == "data.pkl")
        if not pkl:
            raise FormatError("not a PyTorch .pth: zip archive without data.pkl")
        prefix = pkl[0][:-len("data.pkl")]
        try:
            if (prefix + "byteorder") in names and \
                    _read_entry(zf, prefix + "byteorder", 64, "entry").strip() != b"little":
                raise FormatError("big-endian .pth files are not supported")
            obj, storages = _unpickle(io.BytesIO(_read_entry(zf, pkl[0], MAX_PICKLE_BYTES,
                                                             "pickle")))
            total = 0
            compressed = False
            for key, st in storages.items():
                entry = prefix + "data/" + key
                if entry not in names:
                    raise FormatError("truncated .pth: missing storage %s" % entry)
                info = zf.getinfo(entry)
                compressed |= info.compress_type != zipfile.ZIP_STORED
                need = st.numel * st.stype.itemsize
                if info.file_size < need:
                    raise FormatError("truncated .pth: storage %s has %d bytes, needs %d"
                                      % (entry, info.file_size, need))
                total += need
            limit = MAX_STORAGE_BYTES
            if compressed:
                limit = min(limit, MAX_INFLATE_RATIO * len(data))
            if total > limit:
                raise FormatError("the storages of this .pth declare %d bytes, more than %d (%s)"
                                  % (total, limit, "%dx the compressed file" % MAX_INFLATE_RATIO
                                     if compressed and limit < MAX_STORAGE_BYTES
                                     else "the converter's limit"))
            for key, st in storages.items():
                need = st.numel * st.stype.itemsize
                st.set_bytes(_read_entry(zf, prefix + "data/" + key, need, "storage")[:need])
        except FormatError:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError, zlib.error) as e:
            # (NotImplementedError: an unknown compression method; RuntimeError: encrypted)
            raise FormatError("truncated or corrupt .pth zip archive (%s: %s)"
                              % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
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
    total = sum(st.numel * st.stype.itemsize for st in storages.values())
    if total > len(data):
        raise FormatError("truncated .pth: the storages declare %d bytes, the file has %d"
                          % (total, len(data)))
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


def _key_text(k):
    return k if isinstance(k, str) else "<%s>" % type(k).__name__


def _materialize(obj):
    # Training checkpoints often wrap the state_dict: follow a few levels of known keys.
    for depth in range(MAX_WRAPPER_DEPTH + 1):
        if not isinstance(obj, dict):
            raise FormatError("not a state_dict: the .pth holds a %s, expected a dict of tensors"
                              % type(obj).__name__)
        if any(isinstance(v, LazyTensor) for v in obj.values()):
            break
        inner = [obj.get(k) for k in ("state_dict", "model", "model_state_dict", "model_ema")
                 if isinstance(obj.get(k), dict)]
        if not inner:
            raise FormatError("not a state_dict: no tensors at the top level (keys: %s)"
                              % ", ".join(_key_text(k)[:40] for k in list(obj)[:5]))
        if depth == MAX_WRAPPER_DEPTH:
            raise FormatError("not a state_dict: wrapper dicts nested more than %d levels deep"
                              % MAX_WRAPPER_DEPTH)
        obj = inner[0]
    total = 0
    tensors = []
    for k, v in obj.items():
        if isinstance(v, LazyTensor):
            if not isinstance(k, str):
                raise FormatError("not a state_dict: a tensor under a %s key" % type(k).__name__)
            total += v.numel
            tensors.append((k, v))
    if total > MAX_TENSOR_ELEMENTS:
        raise FormatError("the tensors of this .pth hold %d elements, more than %d"
                          % (total, MAX_TENSOR_ELEMENTS))
    out = collections.OrderedDict()
    for k, v in tensors:
        name = k[len("module."):] if k.startswith("module.") else k
        out[name] = v.numpy()
    return out
