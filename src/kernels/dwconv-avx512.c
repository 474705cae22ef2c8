/* libmnv3: depthwise k x k convolution kernel, AVX-512 (F, VL, DQ, BW)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][c] = act (bias[c] + sum_{ky,kx} w[ky*k+kx][c] *
 *                  in[oy*s - pad_top + ky][ox*s - pad_left + kx][c])
 * with out-of-range input pixels taken as 0. Layout NHWC, w tap-major
 * k*k x c; k = 3 or 5, stride 1 or 2. Rows [oy0, oy1) only. f32, no
 * alignment needed; in and out must not overlap.
 *
 * Tiling: vectorized over channels, 16 at a time. For each output row the
 * columns whose k taps all lie inside the input ("interior") go 8 pixels at
 * a time: per channel block and tap, one weight vector is loaded and used
 * by 8 independent accumulators (8 FMAs per weight load, no bounds checks,
 * kx unrolled; the tap rows are clipped once per output row). Border
 * columns go one pixel at a time with clipped tap ranges and 4 channel
 * blocks in flight. k and stride are compile-time constants in each of the
 * four instantiations.
 *
 * Over-read: none. A channel remainder of 8 uses 256-bit loads and stores;
 * other remainders use __mmask16 masked loads and stores (a masked load
 * whose masked-off lanes reach an unmapped page is slow on some CPUs, so
 * the common 8-channel tail avoids masks).
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx512.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

/* tail: 0 full 16 lanes, 1 masked, 2 the low 8 lanes (256-bit moves) */
#define LOAD(ptr) (tail == 0 ? _mm512_loadu_ps (ptr) \
    : tail == 2 ? _mm512_zextps256_ps512 (_mm256_loadu_ps (ptr)) \
    : _mm512_maskz_loadu_ps (mask, (ptr)))
#define STORE(ptr, v) do { \
    if (tail == 0) _mm512_storeu_ps ((ptr), (v)); \
    else if (tail == 2) _mm256_storeu_ps ((ptr), _mm512_castps512_ps256 (v)); \
    else _mm512_mask_storeu_ps ((ptr), mask, (v)); } while (0)

/* PX interior pixels of one output row, one block of 16 channels.
 * ip: input at tap row ky0, tap column 0 of the first pixel, this block;
 * wp: weights of tap row ky0, this block. */
static ALWAYS_INLINE void
interior_block (const float *ip, const float *wp, const float *bias,
    float *o, size_t c, size_t iw, int nky, enum mnv3_act act,
    const int K, const int S, const int PX, const int tail, __mmask16 mask)
{
  __m512 acc[8];
  __m512 b = LOAD (bias);
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    acc[i] = b;
  for (int ky = 0; ky < nky; ky++) {
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m512 wv = LOAD (wp + (size_t) kx * c);
#pragma GCC unroll 8
      for (int i = 0; i < PX; i++)
        acc[i] = _mm512_fmadd_ps (LOAD (ip + (size_t) (i * S + kx) * c), wv,
            acc[i]);
    }
    ip += iw * c;
    wp += (size_t) K *c;
  }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    STORE (o + (size_t) i * c, act16 (acc[i], act));
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
  size_t cb = 0;

  for (; cb + 16 <= c; cb += 16)
    interior_block (ip + cb, wp + cb, p->bias + cb, o + cb, c, p->iw,
        ky1 - ky0, p->act, K, S, PX, 0, 0xffff);
  if (c - cb == 8) {
    interior_block (ip + cb, wp + cb, p->bias + cb, o + cb, c, p->iw,
        ky1 - ky0, p->act, K, S, PX, 2, 0xff);
  } else if (cb < c) {
    __mmask16 mask = (__mmask16) ((1u << (c - cb)) - 1u);
    interior_block (ip + cb, wp + cb, p->bias + cb, o + cb, c, p->iw,
        ky1 - ky0, p->act, K, S, PX, 1, mask);
  }
}

/* One border pixel, 16 channels a block: taps clipped to rows [ky0, ky1),
 * columns [kx0, kx1). tail as in interior_block. */
static ALWAYS_INLINE void
border_block (const float *in, const float *w, const float *bias, float *o,
    const struct mnv3_dwconv_params *p, long iy, long ix, int ky0, int ky1,
    int kx0, int kx1, const int tail, __mmask16 mask)
{
  const size_t c = p->c;
  const int K = p->k;
  __m512 a = LOAD (bias);
  for (int ky = ky0; ky < ky1; ky++)
    for (int kx = kx0; kx < kx1; kx++) {
      const float *ip = in + ((size_t) (iy + ky) * p->iw +
          (size_t) (ix + kx)) * c;
      const float *wp = w + (size_t) (ky * K + kx) * c;
      a = _mm512_fmadd_ps (LOAD (ip), LOAD (wp), a);
    }
  STORE (o, act16 (a, p->act));
}

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

  /* 4 blocks in flight */
  for (; cb + 64 <= c; cb += 64) {
    __m512 a0 = _mm512_loadu_ps (p->bias + cb);
    __m512 a1 = _mm512_loadu_ps (p->bias + cb + 16);
    __m512 a2 = _mm512_loadu_ps (p->bias + cb + 32);
    __m512 a3 = _mm512_loadu_ps (p->bias + cb + 48);
    for (int ky = ky0; ky < ky1; ky++)
      for (int kx = kx0; kx < kx1; kx++) {
        const float *ip = in + ((size_t) (iy + ky) * p->iw +
            (size_t) (ix + kx)) * c + cb;
        const float *wp = p->w + (size_t) (ky * K + kx) * c + cb;
        a0 = _mm512_fmadd_ps (_mm512_loadu_ps (ip), _mm512_loadu_ps (wp), a0);
        a1 = _mm512_fmadd_ps (_mm512_loadu_ps (ip + 16),
            _mm512_loadu_ps (wp + 16), a1);
        a2 = _mm512_fmadd_ps (_mm512_loadu_ps (ip + 32),
            _mm512_loadu_ps (wp + 32), a2);
        a3 = _mm512_fmadd_ps (_mm512_loadu_ps (ip + 48),
            _mm512_loadu_ps (wp + 48), a3);
      }
    _mm512_storeu_ps (o + cb, act16 (a0, p->act));
    _mm512_storeu_ps (o + cb + 16, act16 (a1, p->act));
    _mm512_storeu_ps (o + cb + 32, act16 (a2, p->act));
    _mm512_storeu_ps (o + cb + 48, act16 (a3, p->act));
  }
  for (; cb + 16 <= c; cb += 16)
    border_block (in + cb, p->w + cb, p->bias + cb, o + cb, p, iy, ix, ky0,
        ky1, kx0, kx1, 0, 0xffff);
  if (c - cb == 8)
    border_block (in + cb, p->w + cb, p->bias + cb, o + cb, p, iy, ix, ky0,
        ky1, kx0, kx1, 2, 0xff);
  else if (cb < c)
    border_block (in + cb, p->w + cb, p->bias + cb, o + cb, p, iy, ix, ky0,
        ky1, kx0, kx1, 1, (__mmask16) ((1u << (c - cb)) - 1u));
}

/* Small maps (7x7, 14x14: mostly border columns) go channel block by
 * channel block: the block's input rows are copied once into a zero-padded
 * tile in L1 (so no tap is ever clipped), its K*K weight vectors are loaded
 * once, and every output pixel then takes all K*K taps from the tile, 8
 * pixels per weight vector. */
/* wider maps measured slower this way (bench-kernels: 112x112x64
 * s2 68 -> 111 us with the limit at 64), stride 2 above all */
#define SMALL_MAX_OW 16
#define SMALL_TILE_FLOATS (24 * 1024 / 4)       /* 24 KiB of L1 */

/* PX pixels of output row oy: t is the tile (pw columns, 16 floats each),
 * its row 0 is input row r0. */
static ALWAYS_INLINE void
small_pixels (const float *t, size_t pw, const __m512 * wv, __m512 b,
    float *o, size_t ostride, enum mnv3_act act, const int K, const int S,
    const int PX, const int tail, __mmask16 mask)
{
  __m512 acc[8];
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    acc[i] = b;
#pragma GCC unroll 5
  for (int ky = 0; ky < K; ky++)
#pragma GCC unroll 5
    for (int kx = 0; kx < K; kx++) {
      __m512 w = wv[ky * K + kx];
#pragma GCC unroll 8
      for (int i = 0; i < PX; i++)
        acc[i] = _mm512_fmadd_ps (_mm512_load_ps (t + ((size_t) ky * pw +
                    (size_t) (i * S + kx)) * 16), w, acc[i]);
    }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++)
    STORE (o + (size_t) i * ostride, act16 (acc[i], act));
}

static ALWAYS_INLINE void
small_block (const float *in, float *out, const struct mnv3_dwconv_params *p,
    size_t cb, float *t, long r0, size_t ph, size_t pw, const int K,
    const int S, const int tail, __mmask16 mask)
{
  const size_t c = p->c;
  /* the padded tile: rows r0 .. r0 + ph, columns -pad_left .. The next
   * block's input and weights are the next cache line of each of these
   * (channels innermost): fetched now, they arrive while this block runs;
   * left to the hardware they came from L3 at one miss per pixel. */
  for (size_t y = 0; y < ph; y++) {
    long iy = r0 + (long) y;
    for (size_t x = 0; x < pw; x++) {
      long ix = (long) x - p->pad_left;
      __m512 v = _mm512_setzero_ps ();
      if (iy >= 0 && iy < (long) p->ih && ix >= 0 && ix < (long) p->iw) {
        const float *ip = in + ((size_t) iy * p->iw + (size_t) ix) * c + cb;
        _mm_prefetch ((const char *) (ip + 16), _MM_HINT_T0);
        v = LOAD (ip);
      }
      _mm512_store_ps (t + (y * pw + x) * 16, v);
    }
  }
  for (int j = 0; j < K * K; j++)
    _mm_prefetch ((const char *) (p->w + (size_t) j * c + cb + 16),
        _MM_HINT_T0);
  __m512 wv[25];
#pragma GCC unroll 25
  for (int j = 0; j < K * K; j++)
    wv[j] = LOAD (p->w + (size_t) j * c + cb);
  const __m512 b = LOAD (p->bias + cb);
  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    const float *trow = t + ((size_t) ((long) oy * S - p->pad_top - r0) * pw)
        * 16;
    float *o = out + oy * p->ow * c + cb;
    size_t ox = 0;
    for (; ox + 8 <= p->ow; ox += 8)
      small_pixels (trow + ox * S * 16, pw, wv, b, o + ox * c, c, p->act, K,
          S, 8, tail, mask);
    switch (p->ow - ox) {
#define SMALL_REST(px) case px: \
        small_pixels (trow + ox * S * 16, pw, wv, b, o + ox * c, c, p->act, \
            K, S, px, tail, mask); break;
        SMALL_REST (7) SMALL_REST (6) SMALL_REST (5) SMALL_REST (4)
            SMALL_REST (3) SMALL_REST (2) SMALL_REST (1)
#undef SMALL_REST
      default:
        break;
    }
  }
}

/* Returns FALSE (nothing done) when the map is not small. Output rows go in
 * chunks whose padded tile fits SMALL_TILE_FLOATS. */
static ALWAYS_INLINE int
dwconv_small (const float *in, float *out, const struct mnv3_dwconv_params *p,
    const int K, const int S)
{
  size_t pw = (p->ow - 1) * S + K;
  size_t max_ph = SMALL_TILE_FLOATS / (pw * 16);
  if (p->ow > SMALL_MAX_OW || max_ph < (size_t) K)
    return 0;
  size_t chunk = (max_ph - K) / S + 1;  /* output rows per tile */
  float t[SMALL_TILE_FLOATS] __attribute__((aligned (64)));
  const size_t c = p->c;
  struct mnv3_dwconv_params q = *p;
  for (q.oy0 = p->oy0; q.oy0 < p->oy1; q.oy0 = q.oy1) {
    q.oy1 = p->oy1 - q.oy0 < chunk ? p->oy1 : q.oy0 + chunk;
    long r0 = (long) q.oy0 * S - p->pad_top;
    size_t ph = (q.oy1 - q.oy0 - 1) * S + K;
    size_t cb = 0;
    for (; cb + 16 <= c; cb += 16)
      small_block (in, out, &q, cb, t, r0, ph, pw, K, S, 0, 0xffff);
    if (c - cb == 8)
      small_block (in, out, &q, cb, t, r0, ph, pw, K, S, 2, 0xff);
    else if (cb < c)
      small_block (in, out, &q, cb, t, r0, ph, pw, K, S, 1,
          (__mmask16) ((1u << (c - cb)) - 1u));
  }
  return 1;
}

#define DWCONV_SMALL dwconv_small
#define DWCONV_FN mnv3_f32_dwconv__avx512
#include "dwconv-driver.h"
