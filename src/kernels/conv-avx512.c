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

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

struct blk
{
  const float *in;
  float *out;
  const struct mnv3_conv_params *p;
  size_t oy, ox, cb;
  int ky0, ky1, kx0, kx1;
  __mmask16 mask;               /* for the last vector when masked */
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
  __m512 acc[8][2];

#define LOADV(ptr, j) ((masked && (j) == nv - 1) \
    ? _mm512_maskz_loadu_ps (b->mask, (ptr)) : _mm512_loadu_ps (ptr))

#pragma GCC unroll 2
  for (int j = 0; j < nv; j++) {
    __m512 v = LOADV (p->bias + b->cb + 16 * j, j);
#pragma GCC unroll 8
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
        __m512 wv[2];
#pragma GCC unroll 2
        for (int j = 0; j < nv; j++)
          wv[j] = LOADV (wp + 16 * j, j);
#pragma GCC unroll 8
        for (int i = 0; i < PX; i++) {
          __m512 a = _mm512_set1_ps (ip[i * pstep + ci]);
#pragma GCC unroll 2
          for (int j = 0; j < nv; j++)
            acc[i][j] = _mm512_fmadd_ps (a, wv[j], acc[i][j]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++) {
    float *o = b->out + (b->oy * p->ow + b->ox + (size_t) i) * cout + b->cb;
#pragma GCC unroll 2
    for (int j = 0; j < nv; j++) {
      __m512 v = act16 (acc[i][j], p->act);
      if (masked && j == nv - 1)
        _mm512_mask_storeu_ps (o + 16 * j, b->mask, v);
      else
        _mm512_storeu_ps (o + 16 * j, v);
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
  b->mask = (__mmask16) 0xffff;
  for (; cb + 32 <= cout; cb += 32) {
    b->cb = cb;
    conv_block (b, PX, 2, 0, CIN);
  }
  if (cb < cout) {
    size_t r = cout - cb;
    b->cb = cb;
    if (r == 16) {
      conv_block (b, PX, 1, 0, CIN);
    } else if (r < 16) {
      b->mask = (__mmask16) ((1u << r) - 1u);
      conv_block (b, PX, 1, 1, CIN);
    } else {
      b->mask = (__mmask16) ((1u << (r - 16)) - 1u);
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
      if (ox >= (size_t) lo && ox + 8 <= (size_t) hi) {
        b.ox = ox;
        b.kx0 = 0;
        b.kx1 = K;
        conv_pixels (&b, 8, CIN);
        ox += 8;
      } else if (ox >= (size_t) lo && ox + 4 <= (size_t) hi) {
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
mnv3_f32_conv__avx512 (const float *in, float *out,
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
