/* libmnv3: 1x1 convolution (GEMM) reference kernel
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[m][n] = act (bias[n] + sum_k in[m][k] * kscale[k] * w[k][n])
 *             + residual[m][n]
 * Layout: in m x k (row stride in_stride), w k x n (row stride w_stride),
 * out and residual m x n (row stride out_stride), all f32, no alignment
 * needed, no over-read. in and out must not overlap; residual may equal out.
 * Accumulates in float, k in increasing order.
 */
#include <assert.h>
#include "kernels.h"

void
mnv3_f32_conv1x1__ref (const float *in, float *out,
    const struct mnv3_conv1x1_params *p)
{
  assert (p->w_panel || p->w_stride >= p->n);
  assert (p->out_stride >= p->n);
  assert (p->in_stride >= p->k);

  for (size_t m = 0; m < p->m; m++) {
    const float *a = in + m * p->in_stride;
    float *o = out + m * p->out_stride;
    for (size_t n = 0; n < p->n; n++) {
      float acc = p->bias[n];
      for (size_t k = 0; k < p->k; k++) {
        float x = p->kscale ? a[k] * p->kscale[k] : a[k];
        acc += x * p->w[p->w_panel ? n / MNV3_CONV1X1_PANEL * p->w_panel
            + k * MNV3_CONV1X1_PANEL + n % MNV3_CONV1X1_PANEL
            : k * p->w_stride + n];
      }
      acc = mnv3_apply_act (acc, p->act);
      if (p->residual)
        acc += p->residual[m * p->out_stride + n];
      o[n] = acc;
    }
  }
}
