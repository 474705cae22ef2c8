/* libmnv3: the stem conv kernel body, shared by conv-avx2.c and conv-avx512.c
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included once by each ISA file after it defines the vector operations:
 * CONV_V (vector type), CONV_VL (lanes), CONV_MASK (tail mask type),
 * CONV_MASK_FIRST (r) (lanes [0, r) on, 1 <= r <= CONV_VL), CONV_LOADU,
 * CONV_MASKLOAD (ptr, mask), CONV_STOREU, CONV_MASKSTORE (ptr, mask, v),
 * CONV_SET1 (float), CONV_FMADD, CONV_ACT (v, act), CONV_PX_MAX (pixels per
 * interior tile: 4 or 8) and CONV_FN (the kernel's name). The formula,
 * layout, tiling and over-read contract are in those files' headers.
 */
#include <assert.h>
#include "kernels.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))

struct blk
{
  const float *in;
  float *out;
  const struct mnv3_conv_params *p;
  size_t oy, ox, cb;
  int ky0, ky1, kx0, kx1;
  CONV_MASK mask;               /* for the last vector when masked */
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
  CONV_V acc[CONV_PX_MAX][2];

#define LOADV(ptr, j) ((masked && (j) == nv - 1) \
    ? CONV_MASKLOAD ((ptr), b->mask) : CONV_LOADU (ptr))

#pragma GCC unroll 2
  for (int j = 0; j < nv; j++) {
    CONV_V v = LOADV (p->bias + b->cb + CONV_VL * j, j);
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
        CONV_V wv[2];
#pragma GCC unroll 2
        for (int j = 0; j < nv; j++)
          wv[j] = LOADV (wp + CONV_VL * j, j);
#pragma GCC unroll 8
        for (int i = 0; i < PX; i++) {
          CONV_V a = CONV_SET1 (ip[i * pstep + ci]);
#pragma GCC unroll 2
          for (int j = 0; j < nv; j++)
            acc[i][j] = CONV_FMADD (a, wv[j], acc[i][j]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < PX; i++) {
    float *o = b->out + (b->oy * p->ow + b->ox + (size_t) i) * cout + b->cb;
#pragma GCC unroll 2
    for (int j = 0; j < nv; j++) {
      CONV_V v = CONV_ACT (acc[i][j], p->act);
      if (masked && j == nv - 1)
        CONV_MASKSTORE (o + CONV_VL * j, b->mask, v);
      else
        CONV_STOREU (o + CONV_VL * j, v);
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
  b->mask = CONV_MASK_FIRST (CONV_VL);
  for (; cb + 2 * CONV_VL <= cout; cb += 2 * CONV_VL) {
    b->cb = cb;
    conv_block (b, PX, 2, 0, CIN);
  }
  if (cb < cout) {
    size_t r = cout - cb;
    b->cb = cb;
    if (r == CONV_VL) {
      conv_block (b, PX, 1, 0, CIN);
    } else if (r < CONV_VL) {
      b->mask = CONV_MASK_FIRST (r);
      conv_block (b, PX, 1, 1, CIN);
    } else {
      b->mask = CONV_MASK_FIRST (r - CONV_VL);
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
#if CONV_PX_MAX >= 8
      if (ox >= (size_t) lo && ox + 8 <= (size_t) hi) {
        b.ox = ox;
        b.kx0 = 0;
        b.kx1 = K;
        conv_pixels (&b, 8, CIN);
        ox += 8;
        continue;
      }
#endif
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
CONV_FN (const float *in, float *out,
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
