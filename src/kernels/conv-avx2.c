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

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

struct blk
{
  const float *in;
  float *out;
  const struct mnv3_conv_params *p;
  size_t oy, ox, cb;
  int ky0, ky1, kx0, kx1;
  __m256i mask;                 /* for the last vector when masked */
};

/* PX pixels (oy, ox + i), output channels [cb, cb + 8 * nv), the last
 * vector masked when `masked`. Taps clipped to [ky0, ky1) x [kx0, kx1),
 * the same for all PX pixels. CIN: 3, or 0 for p->cin at run time. */
static ALWAYS_INLINE void
conv_block (const struct blk *b, const int PX, const int nv,
    const int masked, const int CIN)
{
  const struct mnv3_conv_params *p = b->p;
  const size_t cin = CIN ? (size_t) CIN : p->cin, cout = p->cout;
  const long iy = (long) b->oy * p->stride - p->pad_top;
  const long ix = (long) b->ox * p->stride - p->pad_left;
  const size_t pstep = (size_t) p->stride * cin;        /* pixel to pixel */
  __m256 acc[4][2];

#define LOADV(ptr, j) ((masked && (j) == nv - 1) \
    ? _mm256_maskload_ps ((ptr), b->mask) : _mm256_loadu_ps (ptr))

#pragma GCC unroll 2
  for (int j = 0; j < nv; j++) {
    __m256 v = LOADV (p->bias + b->cb + 8 * j, j);
#pragma GCC unroll 4
    for (int i = 0; i < PX; i++)
      acc[i][j] = v;
  }
  for (int ky = b->ky0; ky < b->ky1; ky++) {
    for (int kx = b->kx0; kx < b->kx1; kx++) {
      const float *ip = b->in + ((size_t) (iy + ky) * p->iw +
          (size_t) (ix + kx)) * cin;
      const float *wp = p->w + (size_t) (ky * p->k + kx) * cin * cout + b->cb;
#pragma GCC unroll 3
      for (size_t ci = 0; ci < cin; ci++, wp += cout) {
        __m256 wv[2];
#pragma GCC unroll 2
        for (int j = 0; j < nv; j++)
          wv[j] = LOADV (wp + 8 * j, j);
#pragma GCC unroll 4
        for (int i = 0; i < PX; i++) {
          __m256 a = _mm256_broadcast_ss (ip + i * pstep + ci);
#pragma GCC unroll 2
          for (int j = 0; j < nv; j++)
            acc[i][j] = _mm256_fmadd_ps (a, wv[j], acc[i][j]);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < PX; i++) {
    float *o = b->out + (b->oy * p->ow + b->ox + (size_t) i) * cout + b->cb;
#pragma GCC unroll 2
    for (int j = 0; j < nv; j++) {
      __m256 v = act8 (acc[i][j], p->act);
      if (masked && j == nv - 1)
        _mm256_maskstore_ps (o + 8 * j, b->mask, v);
      else
        _mm256_storeu_ps (o + 8 * j, v);
    }
  }
#undef LOADV
}

/* All cout blocks of PX pixels. */
static ALWAYS_INLINE void
conv_pixels (struct blk *b, const int PX, const int CIN)
{
  const size_t cout = b->p->cout;
  size_t cb = 0;
  b->mask = _mm256_set1_epi32 (-1);
  for (; cb + 16 <= cout; cb += 16) {
    b->cb = cb;
    conv_block (b, PX, 2, 0, CIN);
  }
  if (cb < cout) {
    size_t r = cout - cb;
    b->cb = cb;
    if (r == 8) {
      conv_block (b, PX, 1, 0, CIN);
    } else if (r < 8) {
      b->mask = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 - r));
      conv_block (b, PX, 1, 1, CIN);
    } else {
      b->mask = _mm256_loadu_si256 ((const __m256i *) (mask_table + 16 - r));
      conv_block (b, PX, 2, 1, CIN);
    }
  }
}

static ALWAYS_INLINE void
conv_rows (const float *in, float *out, const struct mnv3_conv_params *p,
    const int CIN)
{
  const int K = p->k, S = p->stride;
  long lo = p->pad_left > 0 ? (p->pad_left + S - 1) / S : 0;
  long last = (long) p->iw - K + p->pad_left;
  long hi = last >= 0 ? last / S + 1 : 0;
  if (hi > (long) p->ow)
    hi = (long) p->ow;
  if (lo >= hi)
    lo = hi = 0;
  struct blk b = {.in = in,.out = out,.p = p };

  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    const long iy = (long) oy * S - p->pad_top;
    b.oy = oy;
    b.ky0 = iy < 0 ? (int) -iy : 0;
    b.ky1 = (long) p->ih - iy < K ? (int) ((long) p->ih - iy) : K;
    if (b.ky1 < b.ky0)
      b.ky1 = b.ky0;
    for (size_t ox = 0; ox < p->ow;) {
      if (ox >= (size_t) lo && ox + 4 <= (size_t) hi) {
        b.ox = ox;
        b.kx0 = 0;
        b.kx1 = K;
        conv_pixels (&b, 4, CIN);
        ox += 4;
      } else {
        const long ix = (long) ox * S - p->pad_left;
        b.ox = ox;
        b.kx0 = ix < 0 ? (int) -ix : 0;
        b.kx1 = (long) p->iw - ix < K ? (int) ((long) p->iw - ix) : K;
        if (b.kx1 < b.kx0)
          b.kx1 = b.kx0;
        conv_pixels (&b, 1, CIN);
        ox += 1;
      }
    }
  }
}

static void
conv_cin3 (const float *in, float *out, const struct mnv3_conv_params *p)
{
  conv_rows (in, out, p, 3);
}

static void
conv_generic (const float *in, float *out, const struct mnv3_conv_params *p)
{
  conv_rows (in, out, p, 0);
}

void
mnv3_f32_conv__avx2 (const float *in, float *out,
    const struct mnv3_conv_params *p)
{
  assert (p->oy1 <= p->oh);
  if (p->cout == 0 || p->ow == 0)
    return;
  if (p->cin == 3)
    conv_cin3 (in, out, p);
  else
    conv_generic (in, out, p);
}
