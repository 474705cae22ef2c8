/* libmnv3: full k x k convolution kernel (the stem conv), AVX2 + FMA
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][co] = act (bias[co] + sum_{ky,kx,ci} w[ky][kx][ci][co] *
 *                   in[oy*s - pad_top + ky][ox*s - pad_left + kx][ci])
 * Out-of-range input pixels are 0. Layout NHWC; w k x k x cin x cout (cout
 * innermost). Rows [oy0, oy1) only. f32, no alignment needed; in and out
 * must not overlap.
 *
 * Tiling: vectorized over cout, 16 output channels (2 ymm) per block. The
 * columns whose taps all lie inside the input go 4 pixels at a time (8
 * accumulators; each weight pair is loaded once per (tap, ci) and used by 4
 * pixels, each input value broadcast once); border columns one at a time
 * with clipped taps. cin = 3 (the RGB stem) is a compile-time constant in
 * its own instantiation; other cin take a generic loop.
 *
 * Over-read: none (the cout tail uses _mm256_maskload_ps /
 * _mm256_maskstore_ps).
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx2.h"

#define CONV_V __m256
#define CONV_VL 8
#define CONV_MASK __m256i
#define CONV_MASK_FIRST(r) \
    _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 - (r)))
#define CONV_LOADU(p) _mm256_loadu_ps (p)
#define CONV_MASKLOAD(p, m) _mm256_maskload_ps ((p), (m))
#define CONV_STOREU(p, v) _mm256_storeu_ps ((p), (v))
#define CONV_MASKSTORE(p, m, v) _mm256_maskstore_ps ((p), (m), (v))
#define CONV_SET1(x) _mm256_set1_ps (x)
#define CONV_FMADD(a, b, c) _mm256_fmadd_ps ((a), (b), (c))
#define CONV_ACT(v, act) act8 ((v), (act))
#define CONV_PX_MAX 4
#define CONV_FN mnv3_f32_conv__avx2
#include "conv-tmpl.h"
