#!/usr/bin/python3
# mnv3classify: fuzz tests
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes tiny synthetic MobileNetV3 safetensors files (random weights, fixed
# seed) into tests/fuzz/seeds: a seed corpus for fuzz-model whose bytes are
# mostly JSON header, so that mutations land where the parsing is and each
# execution is cheap. Channel counts follow models/FORMAT.md and the
# paper's tables (as src/mnv3-arch.c); no torch or numpy needed.
import json
import os
import random
import struct
import sys

LARGE = [  # k, exp, out, se, hs, stride
    (3, 16, 16, 0, 0, 1), (3, 64, 24, 0, 0, 2), (3, 72, 24, 0, 0, 1),
    (5, 72, 40, 1, 0, 2), (5, 120, 40, 1, 0, 1), (5, 120, 40, 1, 0, 1),
    (3, 240, 80, 0, 1, 2), (3, 200, 80, 0, 1, 1), (3, 184, 80, 0, 1, 1),
    (3, 184, 80, 0, 1, 1), (3, 480, 112, 1, 1, 1), (3, 672, 112, 1, 1, 1),
    (5, 672, 160, 1, 1, 2), (5, 960, 160, 1, 1, 1), (5, 960, 160, 1, 1, 1)]
SMALL = [
    (3, 16, 16, 1, 0, 2), (3, 72, 24, 0, 0, 2), (3, 88, 24, 0, 0, 1),
    (5, 96, 40, 1, 1, 2), (5, 240, 40, 1, 1, 1), (5, 240, 40, 1, 1, 1),
    (5, 120, 48, 1, 1, 1), (5, 144, 48, 1, 1, 1), (5, 288, 96, 1, 1, 2),
    (5, 576, 96, 1, 1, 1), (5, 576, 96, 1, 1, 1)]


def make_divisible(v, d=8):
    n = max(d, int(v + d / 2) // d * d)
    if n < 0.9 * v:
        n += d
    return n


def blocks(arch):
    table = LARGE if arch.startswith('large') else SMALL
    if arch.endswith('minimalistic'):
        table = [(3, e, o, 0, 0, s) for (k, e, o, se, hs, s) in table]
    return table


def tensors(arch, width, head, hidden, classes, bn):
    """(name, shape) in file order."""
    out = []

    def conv(prefix, shape):
        if bn:
            out.append((prefix + '.0.weight', shape))
            for t in ('weight', 'bias', 'running_mean', 'running_var'):
                out.append((prefix + '.1.' + t, [shape[0]]))
        else:
            out.append((prefix + '.0.weight', shape))
            out.append((prefix + '.0.bias', [shape[0]]))

    c = make_divisible(16 * width)
    conv('features.0', [c, 3, 3, 3])
    for i, (k, e, o, se, hs, s) in enumerate(blocks(arch)):
        cexp, cout, j = make_divisible(e * width), make_divisible(o * width), 0
        p = 'features.%d.block.' % (i + 1)
        if cexp != c:
            conv(p + str(j), [cexp, c, 1, 1])
            j += 1
        conv(p + str(j), [cexp, 1, k, k])
        j += 1
        if se:
            sq = make_divisible(cexp // 4)
            out += [(p + '%d.fc1.weight' % j, [sq, cexp, 1, 1]),
                    (p + '%d.fc1.bias' % j, [sq]),
                    (p + '%d.fc2.weight' % j, [cexp, sq, 1, 1]),
                    (p + '%d.fc2.bias' % j, [cexp])]
            j += 1
        conv(p + str(j), [cout, cexp, 1, 1])
        c = cout
    conv('features.%d' % (len(blocks(arch)) + 1), [head, c, 1, 1])
    out += [('classifier.0.weight', [hidden, head]),
            ('classifier.0.bias', [hidden]),
            ('classifier.3.weight', [classes, hidden]),
            ('classifier.3.bias', [classes])]
    return out


def write(path, arch, width, size, padding, dtype, bn, labels=None,
          head=16, hidden=16, classes=3, seed=1):
    rng = random.Random(seed)
    header, body = {}, bytearray()
    for name, shape in tensors(arch, width, head, hidden, classes, bn):
        n = 1
        for d in shape:
            n *= d
        fan = max(1, n // shape[0])
        vals = []
        for _ in range(n):
            if name.endswith('running_var'):
                vals.append(rng.uniform(0.5, 1.5))
            elif name.endswith('.1.weight'):
                vals.append(rng.uniform(0.5, 1.5))
            else:
                vals.append(rng.gauss(0, 1) / fan ** 0.5)
        fmt = 'e' if dtype == 'F16' else 'f'
        data = struct.pack('<%d%s' % (n, fmt), *vals)
        header[name] = {'dtype': dtype, 'shape': shape,
                        'data_offsets': [len(body), len(body) + len(data)]}
        body += data
    meta = {'mnv3.arch': arch, 'mnv3.width': repr(width),
            'mnv3.input_size': str(size), 'mnv3.padding': padding,
            'mnv3.mean': '0.485,0.456,0.406', 'mnv3.std': '0.229,0.224,0.225',
            'mnv3.num_classes': str(classes), 'mnv3.bn_eps': '0.001',
            'mnv3.source': 'tests/fuzz/make-seeds.py (random weights)'}
    if labels:
        meta['mnv3.labels'] = labels
    header['__metadata__'] = meta
    text = json.dumps(header, separators=(',', ':')).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + bytes(body))


def write_header_seed(path, tensors, meta_extra, seed):
    """A small file (< 2 KB): full metadata and only the stem's tensors, so
    that loading stops at the first missing tensor. For the fast campaign
    (-max_len=4096) on the container, the JSON and the metadata."""
    rng = random.Random(seed)
    header, body = {}, b''
    for name, dtype, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        fmt = 'e' if dtype == 'F16' else 'f'
        data = struct.pack('<%d%s' % (n, fmt),
                           *[rng.uniform(0.5, 1.5) for _ in range(n)])
        header[name] = {'dtype': dtype, 'shape': shape,
                        'data_offsets': [len(body), len(body) + len(data)]}
        body += data
    meta = {'mnv3.arch': 'small', 'mnv3.width': '0.01',
            'mnv3.input_size': '16', 'mnv3.padding': 'symmetric',
            'mnv3.mean': '0.485,0.456,0.406', 'mnv3.std': '0.229,0.224,0.225',
            'mnv3.num_classes': '3'}
    meta.update(meta_extra)
    header['__metadata__'] = meta
    text = json.dumps(header, separators=(',', ':')).encode()
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + bytes(body))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'seeds')
    os.makedirs(out, exist_ok=True)
    write(out + '/tiny-large-f16.safetensors', 'large', 0.01, 32,
          'symmetric', 'F16', True)
    write(out + '/tiny-small-f32-folded.safetensors', 'small', 0.01, 16,
          'symmetric', 'F32', False, seed=2)
    write(out + '/tiny-large-min-tfsame.safetensors', 'large-minimalistic',
          0.1, 33, 'tf-same', 'F16', True, seed=3)
    write(out + '/tiny-small-min-labels.safetensors', 'small-minimalistic',
          0.05, 24, 'tf-same', 'F16', True, labels='cat\ndog\nbird\n', seed=4)
    write_header_seed(out + '/hdr-stem-folded-f32.safetensors',
                      [('features.0.0.weight', 'F32', [8, 3, 3, 3]),
                       ('features.0.0.bias', 'F32', [8])], {}, 5)
    write_header_seed(out + '/hdr-stem-bn-f16.safetensors',
                      [('features.0.0.weight', 'F16', [8, 3, 3, 3])] +
                      [('features.0.1.' + t, 'F16', [8]) for t in
                       ('weight', 'bias', 'running_mean', 'running_var')],
                      {'mnv3.labels': 'a\nb\nc\n', 'mnv3.bn_eps': '0.001',
                       'mnv3.act_quant': '{"input":[0.0078125,128,0,255]}'},
                      6)
    write_header_seed(out + '/hdr-metadata-only.safetensors', [],
                      {'mnv3.source': 'x'}, 7)


if __name__ == '__main__':
    main()
