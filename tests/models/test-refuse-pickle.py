#!/usr/bin/python3
# mnv3classify: tests/models/test-refuse-pickle.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A .pth whose pickle references os.system (or any other non-tensor global) is refused by
models/convert.py before anything runs.

The payloads are written opcode by opcode (no torch). Each would run `touch MARKER` under a plain
pickle.load; the test first proves that with a control marker (so the payloads are live), then
checks that convert.py exits 1 with a one-line "refusing to unpickle global ..." error, creates no
output and that the marker never appears."""

import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402


def unicode2(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def short_unicode4(s):
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def payloads(cmd):
    """name -> (pickle bytes, global it names)."""
    p = {}
    # protocol 2: GLOBAL 'os system', (cmd,), REDUCE
    p["global-os-system"] = (b"\x80\x02cos\nsystem\n" + unicode2(cmd) + b"\x85R.", "os.system")
    # protocol 4: STACK_GLOBAL 'posix' 'system'
    p["stack-global-posix"] = (b"\x80\x04" + short_unicode4("posix")
                               + short_unicode4("system") + b"\x93" + short_unicode4(cmd)
                               + b"\x85R.", "posix.system")
    # hidden inside an otherwise plausible state_dict: OrderedDict() then a value from os.system
    p["inside-ordereddict"] = (b"\x80\x02ccollections\nOrderedDict\n)R" + unicode2("features.0.0.weight")
                               + b"cos\nsystem\n" + unicode2(cmd) + b"\x85Rs.", "os.system")
    # builtins.exec of python source
    p["builtins-exec"] = (b"\x80\x02cbuiltins\nexec\n"
                          + unicode2("import os; os.system(%r)" % cmd) + b"\x85R.", "builtins.exec")
    return p


def as_zip(pkl):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def as_legacy(pkl):
    # legacy torch.save: magic number, protocol version, sys info, then the main pickle
    return (pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1001, protocol=2)
            + pickle.dumps({"little_endian": True}, protocol=2) + pkl)


def main():
    failures = []
    with tempfile.TemporaryDirectory(prefix="mnv3-pickle-") as tmp:
        control = os.path.join(tmp, "control-marker")
        marker = os.path.join(tmp, "MARKER")
        # Control: under a plain unpickler the payloads really run the command.
        for name, (pkl, _) in payloads("touch " + control).items():
            if os.path.exists(control):
                os.unlink(control)
            try:
                pickle.loads(pkl)
            except Exception as e:  # inside-ordereddict: the SETITEM after the call may fail
                pass
            if not os.path.exists(control):
                failures.append("control: payload %s did not run under pickle.loads (test is broken)"
                                % name)
        for name, (pkl, glob) in payloads("touch " + marker).items():
            for wrap, data in (("zip", as_zip(pkl)), ("bare", pkl), ("legacy", as_legacy(pkl))):
                src = os.path.join(tmp, "%s-%s.pth" % (name, wrap))
                out = os.path.join(tmp, "%s-%s.safetensors" % (name, wrap))
                with open(src, "wb") as f:
                    f.write(data)
                rc, so, se = M.convert(src, out)
                lines = se.strip().splitlines()
                what = "%s (%s)" % (name, wrap)
                if rc != 1:
                    failures.append("%s: exit code %d, expected 1" % (what, rc))
                if len(lines) != 1 or ("refusing to unpickle global " + glob) not in lines[0]:
                    failures.append("%s: expected one line 'refusing to unpickle global %s', got %r"
                                    % (what, glob, se))
                if os.path.exists(marker):
                    failures.append("%s: THE PAYLOAD RAN (marker file exists)" % what)
                    os.unlink(marker)
                if os.path.exists(out):
                    failures.append("%s: an output file was written" % what)
                print("%-28s rc=%d  %s" % (what, rc, lines[0] if lines else ""))
        # A persistent id that is not a tensor storage is refused as well.
        pkl = b"\x80\x02" + unicode2("module") + b"\x85Q."
        src = os.path.join(tmp, "persid.pth")
        with open(src, "wb") as f:
            f.write(as_zip(pkl))
        rc, so, se = M.convert(src, os.path.join(tmp, "persid.safetensors"))
        if rc != 1 or "refusing persistent id" not in se or len(se.strip().splitlines()) != 1:
            failures.append("non-storage persistent id: rc %d, %r" % (rc, se))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
