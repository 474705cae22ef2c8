/* libmnv3 kernels: integer convolutions, reference (plain C)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TensorFlow Lite's reference uint8 / int8 convolutions (kernels.h):
 * int32 sums of (input - input zero point) * (weight - weight zero point)
 * plus the bias, then MultiplyByQuantizedMultiplier per output channel.
 */
#include "kernels.h"

#define COLS 64

void
mnv3_u8_conv1x1__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qconv1x1_params *p)
{
  int32_t acc[COLS];
  for (size_t m = 0; m < p->m; m++) {
    const uint8_t *x = in + m * p->in_stride;
    uint8_t *y = out + m * p->out_stride;
    for (size_t n0 = 0; n0 < p->n; n0 += COLS) {
      size_t nn = p->n - n0 < COLS ? p->n - n0 : COLS;
      for (size_t j = 0; j < nn; j++)
        acc[j] = p->bias[n0 + j];
      for (size_t k = 0; k < p->k; k++) {
        const int32_t xv = x[k];
        const int16_t *w = p->w + k * p->w_stride + n0;
        for (size_t j = 0; j < nn; j++)
          acc[j] += xv * w[j];
      }
      for (size_t j = 0; j < nn; j++)
        y[n0 + j] = mnv3_requant_u8 (acc[j], &p->rq, n0 + j);
    }
  }
}

void
mnv3_u8_dwconv__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qdwconv_params *p)
{
  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      uint8_t *y = out + (oy * p->ow + ox) * p->c;
      for (size_t c = 0; c < p->c; c++) {
        int32_t acc = p->bias[c];
        for (int ky = 0; ky < p->k; ky++) {
          long iy = (long) oy * p->stride - p->pad_top + ky;
          if (iy < 0 || iy >= (long) p->ih)
            continue;
          for (int kx = 0; kx < p->k; kx++) {
            long ix = (long) ox * p->stride - p->pad_left + kx;
            if (ix < 0 || ix >= (long) p->iw)
              continue;
            int32_t xv = in[((size_t) iy * p->iw + (size_t) ix) * p->c + c];
            acc += (xv - p->in_zp) * p->w[(size_t) (ky * p->k + kx) * p->c + c];
          }
        }
        y[c] = mnv3_requant_u8 (acc, &p->rq, c);
      }
    }
  }
}

void
mnv3_u8_conv__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qconv_params *p)
{
  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      uint8_t *y = out + (oy * p->ow + ox) * p->cout;
      for (size_t co = 0; co < p->cout; co++) {
        int32_t acc = p->bias[co];
        for (int ky = 0; ky < p->k; ky++) {
          long iy = (long) oy * p->stride - p->pad_top + ky;
          if (iy < 0 || iy >= (long) p->ih)
            continue;
          for (int kx = 0; kx < p->k; kx++) {
            long ix = (long) ox * p->stride - p->pad_left + kx;
            if (ix < 0 || ix >= (long) p->iw)
              continue;
            const uint8_t *x = in + ((size_t) iy * p->iw + (size_t) ix) *
                p->cin;
            const int16_t *w = p->w + (size_t) (ky * p->k + kx) * p->cin *
                p->cout + co;
            for (size_t ci = 0; ci < p->cin; ci++)
              acc += ((int32_t) x[ci] - p->in_zp) * w[ci * p->cout];
          }
        }
        y[co] = mnv3_requant_u8 (acc, &p->rq, co);
      }
    }
  }
}
