/* libmnv3: full k x k convolution reference kernel (the stem conv)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][co] = act (bias[co] + sum_{ky,kx,ci} w[ky][kx][ci][co] *
 *                   in[oy*s - pad_top + ky][ox*s - pad_left + kx][ci])
 * Out-of-range input pixels are 0. Layout NHWC; w k x k x cin x cout.
 * Rows [oy0, oy1) only. No over-read; in/out must not overlap.
 */
#include <assert.h>
#include "kernels.h"

void
mnv3_f32_conv__ref (const float *in, float *out,
    const struct mnv3_conv_params *p)
{
  assert (p->oy1 <= p->oh);

  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      float *o = out + (oy * p->ow + ox) * p->cout;
      for (size_t co = 0; co < p->cout; co++) {
        float acc = p->bias[co];
        for (int ky = 0; ky < p->k; ky++) {
          long iy = (long) oy * p->stride - p->pad_top + ky;
          if (iy < 0 || iy >= (long) p->ih)
            continue;
          for (int kx = 0; kx < p->k; kx++) {
            long ix = (long) ox * p->stride - p->pad_left + kx;
            if (ix < 0 || ix >= (long) p->iw)
              continue;
            const float *px = in + ((size_t) iy * p->iw + (size_t) ix) * p->cin;
            const float *wt = p->w + (size_t) (ky * p->k + kx) * p->cin *
                p->cout + co;
            for (size_t ci = 0; ci < p->cin; ci++)
              acc += px[ci] * wt[ci * p->cout];
          }
        }
        o[co] = mnv3_apply_act (acc, p->act);
      }
    }
  }
}
