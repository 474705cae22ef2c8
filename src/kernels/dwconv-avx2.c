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
 * four instantiations. Maps at most 16 columns wide go through the
 * small-map path below instead (a zero-padded tile per channel block).
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

/* Small maps (7x7, 14x14: mostly border columns) go channel block by
 * channel block, as in dwconv-avx512.c: the block's input rows are copied
 * once into a zero-padded tile in L1 (so no tap is ever clipped), and every
 * output pixel then takes all K*K taps from the tile, 8 pixels per weight
 * vector. A block is 16 channels (one 64-byte line per pixel, as for
 * AVX-512), computed as two halves of 8; the K*K weight vectors of a half
 * are loaded once into a local array (16 ymm registers hold the 8
 * accumulators, not the 25 weights as well). */
#define SMALL_MAX_OW 16
#define SMALL_TILE_FLOATS (24 * 1024 / 4)       /* 24 KiB of L1 */

/* PX pixels of output row oy, one half block: t is the tile at this half
 * (pw columns, 16 floats each). */
static ALWAYS_INLINE void
small_pixels (const float *t, size_t pw, const __m256 * wv, __m256 b,
    float *o, size_t ostride, enum mnv3_act act, const int K, const int S,
    const int PX, const int masked, __m256i mask)
{
  __m256 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    acc[i] = b;
  /* Each tile column of a tap row is loaded once and used by every output
   * pixel it reaches (up to K FMAs per load): PX accumulators, K weights
   * and the column fit the 16 ymm registers, where one load per FMA made
   * the loads, not the FMAs, the limit. */
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++) {
    __m256 w[5];
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++)
      w[kx] = wv[ky * K + kx];
    const float *tr = t + (size_t) ky * pw * 16;
#pragma GCC unroll 20
    for (int x = 0; x < (PX - 1) * S + K; x++) {
      __m256 v = _mm256_load_ps (tr + (size_t) x * 16);
#pragma GCC unroll 5
      for (int kx = 0; kx < K; kx++) {
        const int d = x - kx, i = d / S;
        if (d >= 0 && d % S == 0 && i < PX)
          acc[i] = _mm256_fmadd_ps (v, w[kx], acc[i]);
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    STORE (o + (size_t) i * ostride, act8 (acc[i], act));
}

/* One half block (8 channels at cb) over rows [oy0, oy1) from the tile. */
static ALWAYS_INLINE void
small_half (float *out, const struct mnv3_dwconv_params *p, size_t cb,
    const float *t, long r0, size_t pw, const int K, const int S,
    const int masked, __m256i mask)
{
  const size_t c = p->c;
  __m256 wv[25];
#pragma GCC unroll 25
  for (int j = 0; j < K * K; j++)
    wv[j] = LOAD (p->w + (size_t) j * c + cb);
  const __m256 b = LOAD (p->bias + cb);
  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    const float *trow = t + ((size_t) ((long) oy * S - p->pad_top - r0) * pw)
        * 16;
    float *o = out + oy * p->ow * c + cb;
    size_t ox = 0;
    for (; ox + 8 <= p->ow; ox += 8)
      small_pixels (trow + ox * S * 16, pw, wv, b, o + ox * c, c, p->act, K,
          S, 8, masked, mask);
    switch (p->ow - ox) {
#define SMALL_REST(px) case px: \
        small_pixels (trow + ox * S * 16, pw, wv, b, o + ox * c, c, p->act, \
            K, S, px, masked, mask); break;
        SMALL_REST (7) SMALL_REST (6) SMALL_REST (5) SMALL_REST (4)
            SMALL_REST (3) SMALL_REST (2) SMALL_REST (1)
#undef SMALL_REST
      default:
        break;
    }
  }
}

/* One block of up to 16 channels at cb: masked == 0 for 16 channels, else
 * m0 / m1 are the lanes of the low and high half (m1 all off: no high
 * half). */
static ALWAYS_INLINE void
small_block (const float *in, float *out, const struct mnv3_dwconv_params *p,
    size_t cb, float *t, long r0, size_t ph, size_t pw, const int K,
    const int S, const int masked, __m256i m0, __m256i m1, int halves)
{
  const size_t c = p->c;
  /* the padded tile, rows r0 .. r0 + ph, columns -pad_left ..; the next
   * block's input and weights are prefetched (see dwconv-avx512.c) */
  for (size_t y = 0; y < ph; y++) {
    long iy = r0 + (long) y;
    for (size_t x = 0; x < pw; x++) {
      long ix = (long) x - p->pad_left;
      __m256 v0 = _mm256_setzero_ps (), v1 = v0;
      if (iy >= 0 && iy < (long) p->ih && ix >= 0 && ix < (long) p->iw) {
        const float *ip = in + ((size_t) iy * p->iw + (size_t) ix) * c + cb;
        _mm_prefetch ((const char *) (ip + 16), _MM_HINT_T0);
        if (masked) {
          v0 = _mm256_maskload_ps (ip, m0);
          v1 = _mm256_maskload_ps (ip + 8, m1);
        } else {
          v0 = _mm256_loadu_ps (ip);
          v1 = _mm256_loadu_ps (ip + 8);
        }
      }
      _mm256_store_ps (t + (y * pw + x) * 16, v0);
      _mm256_store_ps (t + (y * pw + x) * 16 + 8, v1);
    }
  }
  for (int j = 0; j < K * K; j++)
    _mm_prefetch ((const char *) (p->w + (size_t) j * c + cb + 16),
        _MM_HINT_T0);
  small_half (out, p, cb, t, r0, pw, K, S, masked, m0);
  if (halves > 1)
    small_half (out, p, cb + 8, t + 8, r0, pw, K, S, masked, m1);
}

/* Returns FALSE (nothing done) when the map is not small. Output rows go in
 * chunks whose padded tile fits SMALL_TILE_FLOATS. */
static ALWAYS_INLINE int
dwconv_small (const float *in, float *out, const struct mnv3_dwconv_params *p,
    const int K, const int S)
{
  size_t pw = (p->ow - 1) * S + K;
  size_t max_ph = SMALL_TILE_FLOATS / (pw * 16);
  /* measured here (test-kernels --bench, AVX2 row driver -> this path):
   * 7x7x960 k5 61 -> 40 us, 14x14x672 k5 121 -> 108 us, but 14x14x480 k3
   * 25 -> 35 us and 14x14x672 k5 s2 36 -> 42 us: 5x5 stride 1 only */
  if (K != 5 || S != 1 || p->ow > SMALL_MAX_OW || max_ph < (size_t) K)
    return 0;
  size_t chunk = (max_ph - K) / S + 1;  /* output rows per tile */
  float t[SMALL_TILE_FLOATS] __attribute__((aligned (64)));
  const size_t c = p->c;
  const __m256i ones = _mm256_set1_epi32 (-1);
  struct mnv3_dwconv_params q = *p;
  for (q.oy0 = p->oy0; q.oy0 < p->oy1; q.oy0 = q.oy1) {
    q.oy1 = p->oy1 - q.oy0 < chunk ? p->oy1 : q.oy0 + chunk;
    long r0 = (long) q.oy0 * S - p->pad_top;
    size_t ph = (q.oy1 - q.oy0 - 1) * S + K;
    size_t cb = 0;
    for (; cb + 16 <= c; cb += 16)
      small_block (in, out, &q, cb, t, r0, ph, pw, K, S, 0, ones, ones, 2);
    if (cb < c) {
      size_t r = c - cb, r0n = r < 8 ? r : 8, r1n = r > 8 ? r - 8 : 0;
      __m256i m0 = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 -
              r0n));
      __m256i m1 = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 -
              r1n));
      small_block (in, out, &q, cb, t, r0, ph, pw, K, S, 1, m0, m1,
          r1n ? 2 : 1);
    }
  }
  return 1;
}

#define DWCONV_SMALL dwconv_small
#define DWCONV_FN mnv3_f32_dwconv__avx2
#include "dwconv-driver.h"
