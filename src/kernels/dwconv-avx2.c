/* libmnv3: depthwise k x k convolution kernel, AVX2 + FMA
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][c] = act (bias[c] + sum_{ky,kx} w[ky*k+kx][c] *
 *                  in[oy*s - pad_top + ky][ox*s - pad_left + kx][c])
 * with out-of-range input pixels taken as 0. Layout NHWC, w tap-major
 * k*k x c; k = 3 or 5, stride 1 or 2. Rows [oy0, oy1) only. f32, no
 * alignment needed; in and out must not overlap.
 *
 * Tiling: vectorized over channels, 8 at a time. For each output row the
 * columns whose k taps all lie inside the input ("interior") go 8 pixels at
 * a time: per channel block and tap, one weight vector is loaded and used
 * by 8 independent accumulators (8 FMAs per weight load, no bounds checks,
 * kx unrolled; the tap rows are clipped once per output row). Border
 * columns go one pixel at a time with clipped tap ranges and 4 channel
 * blocks in flight. k and stride are compile-time constants in each of the
 * four instantiations.
 *
 * Over-read: none. The channel remainder (c % 8) uses _mm256_maskload_ps /
 * _mm256_maskstore_ps.
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx2.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

#define LOAD(ptr) (masked ? _mm256_maskload_ps ((ptr), mask) \
                          : _mm256_loadu_ps (ptr))
#define STORE(ptr, v) do { if (masked) _mm256_maskstore_ps ((ptr), mask, (v)); \
                           else _mm256_storeu_ps ((ptr), (v)); } while (0)

/* PX interior pixels of one output row, one block of 8 channels.
 * ip: input at tap row ky0, tap column 0 of the first pixel, this block;
 * wp: weights of tap row ky0, this block. */
static ALWAYS_INLINE void
interior_block (const float *ip, const float *wp, const float *bias,
    float *o, size_t c, size_t iw, int nky, enum mnv3_act act,
    const int K, const int S, const int PX, const int masked, __m256i mask)
{
  __m256 acc[8];
  __m256 b = LOAD (bias);
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    acc[i] = b;
  for (int ky = 0; ky < nky; ky++) {
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m256 wv = LOAD (wp + (size_t) kx * c);
#pragma GCC unroll 8
      for (int i = 0; i < PX; i++)
        acc[i] = _mm256_fmadd_ps (LOAD (ip + (size_t) (i * S + kx) * c), wv,
            acc[i]);
    }
    ip += iw * c;
    wp += (size_t) K *c;
  }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    STORE (o + (size_t) i * c, act8 (acc[i], act));
}

static ALWAYS_INLINE void
interior_pixels (const float *in, float *out,
    const struct mnv3_dwconv_params *p, size_t oy, size_t ox, int ky0,
    int ky1, const int K, const int S, const int PX)
{
  const size_t c = p->c;
  const long iy = (long) oy * S - p->pad_top + ky0;
  const long ix = (long) ox * S - p->pad_left;
  const float *ip = in + ((size_t) iy * p->iw + (size_t) ix) * c;
  const float *wp = p->w + (size_t) (ky0 * K) * c;
  float *o = out + (oy * p->ow + ox) * c;
  const __m256i ones = _mm256_set1_epi32 (-1);
  size_t cb = 0;

  for (; cb + 8 <= c; cb += 8)
    interior_block (ip + cb, wp + cb, p->bias + cb, o + cb, c, p->iw,
        ky1 - ky0, p->act, K, S, PX, 0, ones);
  if (cb < c) {
    __m256i mask = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 -
            (c - cb)));
    interior_block (ip + cb, wp + cb, p->bias + cb, o + cb, c, p->iw,
        ky1 - ky0, p->act, K, S, PX, 1, mask);
  }
}

/* One border pixel: taps clipped to rows [ky0, ky1), columns [kx0, kx1). */
static void
border_pixel (const float *in, float *out,
    const struct mnv3_dwconv_params *p, size_t oy, size_t ox, int ky0, int ky1)
{
  const size_t c = p->c;
  const int K = p->k;
  const long iy = (long) oy * p->stride - p->pad_top;
  const long ix = (long) ox * p->stride - p->pad_left;
  int kx0 = ix < 0 ? (int) -ix : 0;
  int kx1 = (long) p->iw - ix < K ? (int) ((long) p->iw - ix) : K;
  float *o = out + (oy * p->ow + ox) * c;
  size_t cb = 0;

  for (; cb + 32 <= c; cb += 32) {
    __m256 a0 = _mm256_loadu_ps (p->bias + cb);
    __m256 a1 = _mm256_loadu_ps (p->bias + cb + 8);
    __m256 a2 = _mm256_loadu_ps (p->bias + cb + 16);
    __m256 a3 = _mm256_loadu_ps (p->bias + cb + 24);
    for (int ky = ky0; ky < ky1; ky++)
      for (int kx = kx0; kx < kx1; kx++) {
        const float *ip = in + ((size_t) (iy + ky) * p->iw +
            (size_t) (ix + kx)) * c + cb;
        const float *wp = p->w + (size_t) (ky * K + kx) * c + cb;
        a0 = _mm256_fmadd_ps (_mm256_loadu_ps (ip), _mm256_loadu_ps (wp), a0);
        a1 = _mm256_fmadd_ps (_mm256_loadu_ps (ip + 8),
            _mm256_loadu_ps (wp + 8), a1);
        a2 = _mm256_fmadd_ps (_mm256_loadu_ps (ip + 16),
            _mm256_loadu_ps (wp + 16), a2);
        a3 = _mm256_fmadd_ps (_mm256_loadu_ps (ip + 24),
            _mm256_loadu_ps (wp + 24), a3);
      }
    _mm256_storeu_ps (o + cb, act8 (a0, p->act));
    _mm256_storeu_ps (o + cb + 8, act8 (a1, p->act));
    _mm256_storeu_ps (o + cb + 16, act8 (a2, p->act));
    _mm256_storeu_ps (o + cb + 24, act8 (a3, p->act));
  }
  for (; cb < c; cb += 8) {
    __m256i mask = _mm256_loadu_si256 ((const __m256i *) (mask_table +
            (c - cb >= 8 ? 0 : 8 - (c - cb))));
    __m256 a = _mm256_maskload_ps (p->bias + cb, mask);
    for (int ky = ky0; ky < ky1; ky++)
      for (int kx = kx0; kx < kx1; kx++) {
        const float *ip = in + ((size_t) (iy + ky) * p->iw +
            (size_t) (ix + kx)) * c + cb;
        const float *wp = p->w + (size_t) (ky * K + kx) * c + cb;
        a = _mm256_fmadd_ps (_mm256_maskload_ps (ip, mask),
            _mm256_maskload_ps (wp, mask), a);
      }
    _mm256_maskstore_ps (o + cb, mask, act8 (a, p->act));
  }
}

#define DWCONV_FN mnv3_f32_dwconv__avx2
#include "dwconv-driver.h"
