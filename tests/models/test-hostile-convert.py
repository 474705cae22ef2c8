#!/usr/bin/python3
# mnv3classify: tests/models/test-hostile-convert.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""models/convert.py on hostile inputs (issue 16 items 2, 5, 6, 7, 8): every case must be refused
with exit status 1 and one line on stderr naming the reason, quickly, in little memory, without
reading files the model names, and without writing or leaving anything in the output folder.

- external data (2): an ONNX initializer whose data is in another file is refused without
  --external-data-dir; with it, paths escaping the folder (.., absolute, symlinks), FIFOs, missing
  and short files are refused; a proper file converts to the same model as the embedded data.
- FIFOs and endless devices (5): input, --labels and external data that are FIFOs, /dev/zero or
  directories; a sparse input larger than the limit.
- huge allocations from tiny files (6): a stride-0 tensor (a few hundred bytes asking for 2 GiB),
  a deflated storage that declares 512 MiB, a 2**62-element storage, a pickle memo index of 2**31.
- output path (7): `<out>.tmp` or any other name in the folder being a symlink must not be
  followed; the output being a directory or in a missing folder gives one line and no leftovers.
- tracebacks (8): invalid UTF-8 operator names in ONNX, 100,000 nested wrapper dicts in a .pth,
  a 2**62-element ONNX tensor, missing external data, names with newlines.

Each case runs in a child limited to 2 GiB of address space; its peak RSS (wait4) must stay under
300 MB and it must finish within 30 s."""

import io
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402
import pthbuild as P  # noqa: E402

MAX_RSS_KB = 300 * 1024
TIMEOUT = 30


def limit_child():
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run(args, timeout=TIMEOUT):
    """(rc, stderr, peak RSS in KB, seconds, timed out) of convert.py args."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen([sys.executable, M.CONVERT] + args, stdout=subprocess.DEVNULL,
                             stderr=err, stdin=subprocess.DEVNULL, preexec_fn=limit_child)
        deadline = t0 + timeout
        timed_out = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        se = err.read().decode("utf-8", "replace")
    return p.returncode, se, ru.ru_maxrss, time.monotonic() - t0, timed_out


class Checker:
    def __init__(self):
        self.failures = []
        self.n = 0

    def refused(self, name, args, want, outdir, extra_check=None, env_note=""):
        self.n += 1
        rc, se, rss, secs, timed_out = run(args)
        lines = se.strip().splitlines()
        msg = lines[0] if lines else ""
        print("%-28s rc=%-3d %5.1fs %5d MB  %s" % (name, rc, secs, rss // 1024, msg[:150]))
        bad = []
        if timed_out:
            bad.append("did not finish within %d s" % TIMEOUT)
        if rc != 1:
            bad.append("exit status %d, expected 1" % rc)
        if len(lines) != 1 or "Traceback" in se or not msg.startswith("convert.py: "):
            bad.append("expected one line on stderr, got %r" % se[-400:])
        if want and not any(w in msg for w in (want if isinstance(want, tuple) else (want,))):
            bad.append("message lacks %r" % (want,))
        if rss > MAX_RSS_KB:
            bad.append("peak RSS %d MB" % (rss // 1024))
        left = [f for f in os.listdir(outdir)] if outdir else []
        if left:
            bad.append("output folder not empty: %s" % left)
        if extra_check:
            problem = extra_check()
            if problem:
                bad.append(problem)
        for b in bad:
            self.failures.append("%s: %s" % (name, b))


def onnx_with_external(src, tensor_name, location, offset=None, length=None):
    """The fixture ONNX with one initializer's data moved out to `location` (returns the model
    bytes and the bytes the external file must hold)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(src)
    t = [i for i in m.graph.initializer if i.name == tensor_name][0]
    raw = numpy_helper.to_array(t).tobytes()
    t.ClearField("raw_data")
    del t.float_data[:]
    t.data_location = onnx.TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    return m.SerializeToString(), raw


def main():
    M.need_numpy()
    import numpy as np
    import mnv3format as F
    c = Checker()
    with tempfile.TemporaryDirectory(prefix="mnv3-hostile-") as tmp:
        outdir = os.path.join(tmp, "out")
        os.mkdir(outdir)
        out = os.path.join(outdir, "model.safetensors")
        pth = os.path.join(M.FIXTURES, "small-sym-f16.pth")

        def write(name, data):
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(data)
            return path

        # -- 5: FIFOs, devices, directories, oversized inputs
        fifo = os.path.join(tmp, "fifo.pth")
        os.mkfifo(fifo)
        c.refused("input-fifo", [fifo, "-o", out], "FIFO", outdir)
        c.refused("input-dev-zero", ["/dev/zero", "-o", out], "character device", outdir)
        c.refused("input-directory", [tmp, "-o", out], ("directory", "regular"), outdir)
        sparse = os.path.join(tmp, "huge.pth")
        with open(sparse, "wb") as f:
            f.truncate((1 << 30) + 1)
        c.refused("input-sparse-1GiB", [sparse, "-o", out], "limit", outdir)
        os.unlink(sparse)
        c.refused("labels-dev-zero", [pth, "-o", out, "--labels", "/dev/zero"], "character device",
                  outdir)
        c.refused("labels-fifo", [pth, "-o", out, "--labels", fifo], "FIFO", outdir)
        big_labels = os.path.join(tmp, "labels.txt")
        with open(big_labels, "wb") as f:
            f.truncate(64 << 20)
        c.refused("labels-64MiB", [pth, "-o", out, "--labels", big_labels], "limit", outdir)
        os.unlink(big_labels)

        # -- 6: tiny .pth files that ask for huge allocations
        one = np.zeros(1, "<f4").tobytes()
        stride0 = P.pth_zip(P.state_dict_pickle(
            [("features.0.0.weight", P.tensor_op("0", 1, (1 << 29,), (0,)))]), {"0": one})
        c.refused("pth-stride0-%dB" % len(stride0), [write("stride0.pth", stride0), "-o", out],
                  "storage of 1 elements", outdir)
        overlap = P.pth_zip(P.state_dict_pickle(
            [("w", P.tensor_op("0", 4, (1 << 14, 1 << 14), (1, 1)))]), {"0": one * 4})
        c.refused("pth-overlapping-strides", [write("overlap.pth", overlap), "-o", out],
                  "in a storage of 4 elements", outdir)
        numel = 1 << 27   # 512 MiB of float32 zeros, deflated to about 0.5 MB

        def zeros(f):
            chunk = bytes(1 << 20)
            for _ in range(numel * 4 // len(chunk)):
                f.write(chunk)
        import zipfile as Z
        bomb = P.pth_zip(P.state_dict_pickle([("w", P.tensor_op("0", numel, (numel,), (1,)))]),
                         {"0": zeros}, compress=Z.ZIP_DEFLATED)
        c.refused("pth-deflate-%dKB-512MiB" % (len(bomb) // 1024), [write("bomb.pth", bomb), "-o",
                                                                      out], "declare", outdir)
        huge = P.pth_zip(P.state_dict_pickle([("w", P.tensor_op("0", 1 << 62, (1 << 62,), (1,)))]),
                         {"0": one})
        c.refused("pth-2^62-storage", [write("huge.pth", huge), "-o", out], "truncated", outdir)
        memo = P.pth_zip(b"\x80\x02}r\xff\xff\xff\x7f.", {})
        c.refused("pth-memo-2^31", [write("memo.pth", memo), "-o", out], "memo index", outdir)

        # found by tests/models/fuzz-convert.py
        import zipfile as Z
        good = P.state_dict_pickle([("w", P.tensor_op("0", 4096, (4096,), (1,)))])
        z = bytearray(P.pth_zip(good, {"0": bytes(range(256)) * 64}, compress=Z.ZIP_DEFLATED))
        info = Z.ZipFile(io.BytesIO(bytes(z))).getinfo("archive/data/0")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        z[start:start + 8] = b"\xff" * 8     # an invalid deflate block
        c.refused("fuzz-pth-bad-deflate", [write("deflate.pth", bytes(z)), "-o", out], "corrupt",
                  outdir)
        buf = io.BytesIO()
        with Z.ZipFile(buf, "w") as zz:
            i = Z.ZipInfo("archive/data.pkl")
            i.extract_version = 115
            zz.writestr(i, good)
        c.refused("fuzz-pth-zip-version", [write("zipver.pth", buf.getvalue()), "-o", out],
                  "zip", outdir)
        big_stride = P.pth_zip(P.state_dict_pickle(
            [("w", P.tensor_op("0", 6, (1, 6), (1 << 62, 1)))]), {"0": one * 6})
        c.refused("fuzz-pth-size1-stride-2^62", [write("stride.pth", big_stride), "-o", out],
                  "expected", outdir)

        # -- 8: tracebacks
        nested = P.pth_zip(P.state_dict_pickle(
            [("w", P.tensor_op("0", 1, (1,), (1,)))], wrap_depth=100000), {"0": one})
        c.refused("pth-nested-100000", [write("nested.pth", nested), "-o", out], "nested", outdir)
        newline = P.pth_zip(P.state_dict_pickle(
            [("evil\nsecond line", P.tensor_op("0", 1, (1,), (1,)))]),
            {"0": one})
        c.refused("pth-newline-name", [write("newline.pth", newline), "-o", out], "expected",
                  outdir)

        try:
            import onnx
        except ImportError:
            onnx = None
            print("note: python3-onnx absent, ONNX cases not run")
        onnx_src = os.path.join(M.FIXTURES, "small-sym-f16.onnx")
        if onnx is not None:
            m = onnx.load(onnx_src)
            relu = [n for n in m.graph.node if n.op_type == "Relu"][0]
            relu.op_type = "Rel\u00fc"
            data = m.SerializeToString().replace("Rel\u00fc".encode(), b"Rel\xff\xfe")
            c.refused("onnx-invalid-utf8-op", [write("utf8.onnx", data), "-o", out], "UTF-8",
                      outdir)
            m = onnx.load(onnx_src)
            m.graph.initializer.append(onnx.TensorProto(name="big", data_type=onnx.TensorProto.FLOAT,
                                                         dims=[1 << 31, 1 << 31], raw_data=bytes(16)))
            c.refused("onnx-2^62-elements", [write("big.onnx", m.SerializeToString()), "-o", out],
                      "elements", outdir)
            m = onnx.load(onnx_src)
            m.graph.node[3].op_type = "Evil\nsecond line"
            c.refused("onnx-newline-op", [write("nl.onnx", m.SerializeToString()), "-o", out],
                      "unexpected ONNX operators", outdir)

            # -- 2: external data
            name = [i.name for i in onnx.load(onnx_src).graph.initializer][0]
            ext = os.path.join(tmp, "ext")
            os.mkdir(ext)
            secret = os.path.join(tmp, "secret.bin")
            model, raw = onnx_with_external(onnx_src, name, "../secret.bin")
            with open(secret, "wb") as f:
                f.write(raw)
            cwd_model = write("ext-cwd.onnx", model)
            # without the option: refused, even though ../secret.bin exists relative to cwd
            old = os.getcwd()
            os.chdir(ext)
            try:
                c.refused("ext-no-option", [cwd_model, "-o", out], "--external-data-dir", outdir)
            finally:
                os.chdir(old)
            c.refused("ext-dotdot", [cwd_model, "-o", out, "--external-data-dir", ext], "outside",
                      outdir)
            model_abs, _ = onnx_with_external(onnx_src, name, secret)
            c.refused("ext-absolute", [write("ext-abs.onnx", model_abs), "-o", out,
                                       "--external-data-dir", ext], "relative", outdir)
            os.symlink(secret, os.path.join(ext, "link.bin"))
            model_link, _ = onnx_with_external(onnx_src, name, "link.bin")
            c.refused("ext-symlink-out", [write("ext-link.onnx", model_link), "-o", out,
                                          "--external-data-dir", ext], "outside", outdir)
            os.mkfifo(os.path.join(ext, "fifo.bin"))
            model_fifo, _ = onnx_with_external(onnx_src, name, "fifo.bin")
            c.refused("ext-fifo", [write("ext-fifo.onnx", model_fifo), "-o", out,
                                   "--external-data-dir", ext], "FIFO", outdir)
            os.symlink("/dev/zero", os.path.join(ext, "zero.bin"))
            model_zero, _ = onnx_with_external(onnx_src, name, "zero.bin")
            c.refused("ext-dev-zero", [write("ext-zero.onnx", model_zero), "-o", out,
                                       "--external-data-dir", ext], "outside", outdir)
            model_missing, _ = onnx_with_external(onnx_src, name, "missing.bin")
            c.refused("ext-missing", [write("ext-missing.onnx", model_missing), "-o", out,
                                      "--external-data-dir", ext], "No such file", outdir)
            with open(os.path.join(ext, "short.bin"), "wb") as f:
                f.write(raw[:-4])
            model_short, _ = onnx_with_external(onnx_src, name, "short.bin")
            c.refused("ext-short", [write("ext-short.onnx", model_short), "-o", out,
                                    "--external-data-dir", ext], "needs", outdir)
            model_len, _ = onnx_with_external(onnx_src, name, "good.bin", 0, len(raw) * 1000)
            c.refused("ext-wrong-length", [write("ext-len.onnx", model_len), "-o", out,
                                           "--external-data-dir", ext], "need", outdir)
            # a proper external file at an offset converts to exactly the embedded model
            with open(os.path.join(ext, "good.bin"), "wb") as f:
                f.write(b"x" * 16 + raw)
            model_good, _ = onnx_with_external(onnx_src, name, "good.bin", 16, len(raw))
            c.n += 1
            ref_out = os.path.join(tmp, "ref.safetensors")
            M.convert_ok(onnx_src, ref_out)
            rc, se, _, _, _ = run([write("ext-good.onnx", model_good), "-o", out, "-q",
                                   "--external-data-dir", ext])
            if rc != 0:
                c.failures.append("ext-good: conversion failed: %s" % se.strip())
            else:
                a, _ = F.read_safetensors(out)
                b, _ = F.read_safetensors(ref_out)
                if set(a) != set(b) or any(not np.array_equal(a[k], b[k]) for k in a):
                    c.failures.append("ext-good: tensors differ from the embedded model's")
                else:
                    print("%-28s converted, equal to the embedded model" % "ext-good")
                os.unlink(out)

        # -- 7: the output path
        victim = os.path.join(tmp, "victim.txt")
        with open(victim, "w") as f:
            f.write("precious\n")
        for stale in (out + ".tmp", os.path.join(outdir, ".model.safetensors.tmp")):
            os.symlink(victim, stale)
        c.n += 1
        rc, se, _, _, _ = run([pth, "-o", out, "-q"])
        if rc != 0:
            c.failures.append("tmp-symlink: conversion failed: %s" % se.strip())
        if open(victim, "rb").read() != b"precious\n":
            c.failures.append("tmp-symlink: the symlink's target was overwritten")
        if not os.path.isfile(out) or os.path.islink(out):
            c.failures.append("tmp-symlink: no regular output file")
        else:
            print("%-28s victim untouched, output written" % "tmp-symlink")
        for f in os.listdir(outdir):
            os.unlink(os.path.join(outdir, f))
        os.mkdir(out)   # the output is a directory
        c.refused("out-is-directory", [pth, "-o", out], "directory", None,
                  lambda: "left %s" % os.listdir(outdir) if os.listdir(outdir) != ["model.safetensors"]
                  else None)
        os.rmdir(out)
        c.refused("out-missing-folder", [pth, "-o", os.path.join(outdir, "no", "x.st")],
                  "No such file", outdir)
    for f in c.failures:
        print("FAIL: " + f)
    print("%d cases, %d failures" % (c.n, len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
