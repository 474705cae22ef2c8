/* libmnv3: the element-wise activation-quantization kernels, one body for
 * every ISA (quant-ref.c, quant-avx2.c)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C that the compiler vectorizes where the including file allows it:
 * every operation is element-wise and rounds as written (no contraction into
 * FMA: the files are built with -ffp-contract=off where FMA exists), so each
 * ISA gives bit-identical results. QUANT_FN (op) names the kernel.
 */

/* One loop per activation (act is a constant after inlining): no branch
 * per element, parameters in registers. */
static inline void
quant_loop (const float *in, float *out, size_t n, enum mnv3_act act,
    float mul, float add, struct mnv3_qgrid q)
{
  if (q.scale == 0.0f) {
    for (size_t i = 0; i < n; i++)
      out[i] = mnv3_apply_act (in[i], act) * mul + add;
    return;
  }
  const float lo = q.qmin - q.zero_point, hi = q.qmax - q.zero_point;
  for (size_t i = 0; i < n; i++) {
    float v = (mnv3_apply_act (in[i], act) * mul + add) / q.scale;
    v = v < lo ? lo : v;
    v = v > hi ? hi : v;
    out[i] = mnv3_round_even (v) * q.scale;
  }
}

void
QUANT_FN (quant) (const float *in, float *out,
    const struct mnv3_quant_params * p)
{
  switch (p->act) {
    case MNV3_ACT_RELU:
          quant_loop (in, out, p->n, MNV3_ACT_RELU, p->mul, p->add, p->q);
          break;
    case MNV3_ACT_HSWISH:
          quant_loop (in, out, p->n, MNV3_ACT_HSWISH, p->mul, p->add, p->q);
          break;
    case MNV3_ACT_HSIGMOID:
          quant_loop (in, out, p->n, MNV3_ACT_HSIGMOID, p->mul, p->add, p->q);
          break;
    case MNV3_ACT_HSWISH_K2:
          quant_loop (in, out, p->n, MNV3_ACT_HSWISH_K2, p->mul, p->add, p->q);
          break;
    case MNV3_ACT_HSIGMOID_K2:
          quant_loop (in, out, p->n, MNV3_ACT_HSIGMOID_K2, p->mul, p->add,
              p->q);
          break;
    default:
          quant_loop (in, out, p->n, MNV3_ACT_NONE, p->mul, p->add, p->q);
          break;
      }
    }

    void
    QUANT_FN (add) (const float *a, const float *b, float *out,
        const struct mnv3_add_params * p) {
      for (size_t i = 0; i < p->n; i++)
    out[i] = mnv3_fake_quant (a[i] + b[i], &p->q);}

    void
    QUANT_FN (cscale) (const float *in, float *out,
        const struct mnv3_cscale_params * p) {
      for (size_t m = 0; m < p->m; m++)
      for (size_t c = 0; c < p->c; c++)
    out[m * p->c + c] = mnv3_fake_quant (in[m * p->c + c] * p->scale[c],
          &p->q);}
