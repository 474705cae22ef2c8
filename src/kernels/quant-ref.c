/* libmnv3: TensorFlow Lite activation-quantization emulation kernels
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The graph uses these only for models that carry mnv3.act_quant
 * (models/FORMAT.md): each rounds activations to the uint8 / int8 grid that
 * TensorFlow Lite stores them on, fq (x) = (clamp (rint (x / scale) +
 * zero_point, qmin, qmax) - zero_point) * scale (mnv3_fake_quant () in
 * kernels.h, half to even). Layout NHWC, counts in elements, no alignment
 * needed, no over-read; in-place use as stated per kernel in kernels.h.
 *
 * quant:  out = fq (act (in) * mul + add)
 * add:    out = fq (a + b)
 * cscale: out[m][c] = fq (in[m][c] * scale[c])
 * qgap:   out[c] = fq_out (mean over hw of in[p][c]), summed exactly on qin's
 *         integer grid
 */
#include <assert.h>
#include <math.h>
#include "kernels.h"

#define QUANT_FN(op) mnv3_f32_##op##__ref
#include "quant-tmpl.h"

void
mnv3_f32_qgap__ref (const float *in, float *out,
    const struct mnv3_qgap_params *p)
{
  assert (p->c1 <= p->c && p->hw > 0 && p->qin.scale > 0.0f);
  const struct mnv3_qgrid *qo = &p->qout;
  double ratio = qo->scale > 0.0f ? (double) p->qin.scale / qo->scale : 1.0;
  for (size_t ch = p->c0; ch < p->c1; ch++) {
    /* Integers (q - zero_point) of the input grid: an exact sum. */
    double acc = 0.0;
    for (size_t i = 0; i < p->hw; i++)
      acc += mnv3_round_even (in[i * p->c + ch] / p->qin.scale);
    if (qo->scale == 0.0f) {
      out[ch] = (float) (acc * p->qin.scale / (double) p->hw);
      continue;
    }
    /* Same grid (TFLite's pools): acc / hw is exact to the last bit, so a
     * tie is a tie. */
    double v = ratio == 1.0 ? acc / (double) p->hw :
        acc * ratio / (double) p->hw;
    v = rint (v) + qo->zero_point;
    v = v < qo->qmin ? qo->qmin : (v > qo->qmax ? qo->qmax : v);
    out[ch] = (float) ((v - qo->zero_point) * qo->scale);
  }
}
