/* libmnv3: full k x k convolution kernel (the stem conv), AVX-512
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][co] = act (bias[co] + sum_{ky,kx,ci} w[ky][kx][ci][co] *
 *                   in[oy*s - pad_top + ky][ox*s - pad_left + kx][ci])
 * Out-of-range input pixels are 0. Layout NHWC; w k x k x cin x cout (cout
 * innermost). Rows [oy0, oy1) only. f32, no alignment needed; in and out
 * must not overlap.
 *
 * The AVX2 kernel's structure (conv-avx2.c) at 16 lanes: vectorized over
 * cout, 32 output channels (2 zmm) per block; interior columns go 8 pixels
 * at a time (16 accumulators; each weight vector loaded once per (tap, ci)
 * and used by 8 pixels), border columns one at a time with clipped taps.
 * For the 16-channel stem that halves the FMAs per output of the AVX2
 * kernel. cin = 3 is a compile-time constant in its own instantiation.
 *
 * Over-read: none (the cout tail uses masked loads and stores).
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx512.h"

#define CONV_V __m512
#define CONV_VL 16
#define CONV_MASK __mmask16
#define CONV_MASK_FIRST(r) ((__mmask16) ((1u << (r)) - 1u))
#define CONV_LOADU(p) _mm512_loadu_ps (p)
#define CONV_MASKLOAD(p, m) _mm512_maskz_loadu_ps ((m), (p))
#define CONV_STOREU(p, v) _mm512_storeu_ps ((p), (v))
#define CONV_MASKSTORE(p, m, v) _mm512_mask_storeu_ps ((p), (m), (v))
#define CONV_SET1(x) _mm512_set1_ps (x)
#define CONV_FMADD(a, b, c) _mm512_fmadd_ps ((a), (b), (c))
#define CONV_ACT(v, act) act16 ((v), (act))
#define CONV_PX_MAX 8
#define CONV_FN mnv3_f32_conv__avx512
#include "conv-tmpl.h"
