/* libmnv3: global average pool reference kernel
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[c] = (1 / hw) * sum_p in[p][c], for c in [c0, c1). Layout NHWC
 * (hw x c). No over-read.
 */
#include <assert.h>
#include "kernels.h"

void
mnv3_f32_gap__ref (const float *in, float *out, const struct mnv3_gap_params *p)
{
  assert (p->c1 <= p->c && p->hw > 0);
  for (size_t ch = p->c0; ch < p->c1; ch++) {
    float acc = 0.0f;
    for (size_t i = 0; i < p->hw; i++)
      acc += in[i * p->c + ch];
    out[ch] = acc * (1.0f / (float) p->hw);
  }
}
