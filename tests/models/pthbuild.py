# mnv3classify: tests/models/pthbuild.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write PyTorch .pth files opcode by opcode, without torch: what torch.save writes for a dict of
tensors (zip: <name>/data.pkl, <name>/data/<key>, <name>/byteorder), with any sizes, strides,
storage sizes and wrapper nesting a test wants, including ones torch would never write."""

import io
import pickle
import zipfile


def _int(v):
    return pickle.dumps(v, protocol=2)[2:-1]


def _str(s):
    return pickle.dumps(s, protocol=2)[2:-1]


def _tuple(items):
    return b"(" + b"".join(_int(i) for i in items) + b"t"


def tensor_op(key, numel, size, stride, offset=0, storage="FloatStorage"):
    """Pickle opcodes that push one tensor (a _rebuild_tensor_v2 call on a persistent storage)."""
    pid = (b"(" + _str("storage") + b"ctorch\n" + storage.encode() + b"\n" + _str(key)
           + _str("cpu") + _int(numel) + b"tQ")
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + pid + _int(offset) + _tuple(size)
            + _tuple(stride) + b"\x89ccollections\nOrderedDict\n)Rt" + b"R")


def state_dict_pickle(tensors, wrap=(), wrap_depth=0):
    """tensors: list of (name, tensor_op bytes). wrap: keys of wrapper dicts, outermost first;
    wrap_depth: extra levels of {"model": ...} around that (built without recursion)."""
    body = b"ccollections\nOrderedDict\n)R("
    for name, op in tensors:
        body += _str(name) + op
    body += b"u"
    keys = list(wrap) + ["model"] * wrap_depth
    head = b"".join(b"}" + _str(k) for k in keys)
    return b"\x80\x02" + head + body + b"s" * len(keys) + b"."


def pth_zip(pkl, storages, name="archive", compress=None):
    """storages: key -> bytes, or key -> (callable writing to a file object) for big entries."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name + "/data.pkl", pkl)
        z.writestr(name + "/byteorder", "little")
        for key, data in storages.items():
            info = zipfile.ZipInfo(name + "/data/" + key)
            info.compress_type = compress or zipfile.ZIP_STORED
            if callable(data):
                with z.open(info, "w", force_zip64=True) as f:
                    data(f)
            else:
                z.writestr(info, data)
        z.writestr(name + "/version", "3\n")
    return buf.getvalue()
