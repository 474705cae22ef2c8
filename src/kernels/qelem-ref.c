/* libmnv3 kernels: integer element-wise ops and pooling, reference
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TensorFlow Lite's reference uint8 AVERAGE_POOL_2D, MUL and ADD, and the
 * byte table that stands for HARD_SWISH (kernels.h).
 */
#include "kernels.h"

static inline uint8_t
clamp_u8 (int32_t v, int32_t lo, int32_t hi)
{
  v = v < lo ? lo : v;
  return (uint8_t) (v > hi ? hi : v);
}

void
mnv3_u8_lut__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qlut_params *p)
{
  for (size_t i = 0; i < p->n; i++)
    out[i] = p->lut[in[i]];
}

void
mnv3_u8_gap__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qgap_u8_params *p)
{
  const int32_t hw = (int32_t) p->hw;
  for (size_t c = p->c0; c < p->c1; c++) {
    int32_t acc = 0;
    for (size_t i = 0; i < p->hw; i++)
      acc += in[i * p->c + c];
    out[c] = clamp_u8 ((acc + hw / 2) / hw, p->lo, p->hi);
  }
}

void
mnv3_u8_cmul__ref (const uint8_t * in, uint8_t * out,
    const struct mnv3_qcmul_params *p)
{
  for (size_t m = 0; m < p->m; m++) {
    for (size_t c = 0; c < p->c; c++) {
      int32_t a = (int32_t) in[m * p->c + c] - p->in_zp;
      int32_t g = (int32_t) p->gate[c] - p->gate_zp;
      int32_t v = p->out_zp + mnv3_requant (a * g, p->mult, p->shift);
      out[m * p->c + c] = clamp_u8 (v, p->out_min, p->out_max);
    }
  }
}

void
mnv3_u8_add__ref (const uint8_t * a, const uint8_t * b, uint8_t * out,
    const struct mnv3_qadd_params *p)
{
  for (size_t i = 0; i < p->n; i++) {
    int32_t x = ((int32_t) a[i] - p->a_zp) * (1 << 20);
    int32_t y = ((int32_t) b[i] - p->b_zp) * (1 << 20);
    int32_t sx = mnv3_requant (x, p->a_mult, p->a_shift);
    int32_t sy = mnv3_requant (y, p->b_mult, p->b_shift);
    int32_t v = p->out_zp + mnv3_requant (sx + sy, p->mult, p->shift);
    out[i] = clamp_u8 (v, p->out_min, p->out_max);
  }
}
