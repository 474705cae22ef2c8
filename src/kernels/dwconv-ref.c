/* libmnv3: depthwise k x k convolution reference kernel
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[oy][ox][c] = act (bias[c] + sum_{ky,kx} w[ky*k+kx][c] *
 *                  in[oy*s - pad_top + ky][ox*s - pad_left + kx][c])
 * with out-of-range input pixels taken as 0 (covers symmetric and TF SAME
 * padding). Layout NHWC, w tap-major k*k x c. Rows [oy0, oy1) only, so
 * callers split rows across threads. No over-read; in/out must not overlap.
 */
#include <assert.h>
#include "kernels.h"

void
mnv3_f32_dwconv__ref (const float *in, float *out,
    const struct mnv3_dwconv_params *p)
{
  const size_t c = p->c;
  assert (p->k == 3 || p->k == 5);
  assert (p->stride == 1 || p->stride == 2);
  assert (p->oy1 <= p->oh);

  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      float *o = out + (oy * p->ow + ox) * c;
      for (size_t ch = 0; ch < c; ch++) {
        float acc = p->bias[ch];
        for (int ky = 0; ky < p->k; ky++) {
          long iy = (long) oy * p->stride - p->pad_top + ky;
          if (iy < 0 || iy >= (long) p->ih)
            continue;
          for (int kx = 0; kx < p->k; kx++) {
            long ix = (long) ox * p->stride - p->pad_left + kx;
            if (ix < 0 || ix >= (long) p->iw)
              continue;
            acc += in[((size_t) iy * p->iw + (size_t) ix) * c + ch] *
                p->w[(size_t) (ky * p->k + kx) * c + ch];
          }
        }
        o[ch] = mnv3_apply_act (acc, p->act);
      }
    }
  }
}
