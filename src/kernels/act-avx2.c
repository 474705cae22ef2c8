/* libmnv3: activation kernel (ReLU, h-swish, h-sigmoid), AVX2
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * relu(x) = max (x, 0); h-sigmoid(x) = relu6 (x + 3) / 6;
 * h-swish(x) = x * relu6 (x + 3) / 6 (computed as (x * relu6) * (1/6), the
 * reference's order). In place over n floats, no alignment needed.
 *
 * Tiling: 32 values per iteration, then 8, then the masked tail.
 * Over-read: none (_mm256_maskload_ps / _mm256_maskstore_ps for the tail).
 */
#include <immintrin.h>
#include "simd-avx2.h"

static inline __attribute__((always_inline))
     void act_loop (float *x, size_t n, const enum mnv3_act act)
{
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 a0 = act8 (_mm256_loadu_ps (x + i), act);
    __m256 a1 = act8 (_mm256_loadu_ps (x + i + 8), act);
    __m256 a2 = act8 (_mm256_loadu_ps (x + i + 16), act);
    __m256 a3 = act8 (_mm256_loadu_ps (x + i + 24), act);
    _mm256_storeu_ps (x + i, a0);
    _mm256_storeu_ps (x + i + 8, a1);
    _mm256_storeu_ps (x + i + 16, a2);
    _mm256_storeu_ps (x + i + 24, a3);
  }
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps (x + i, act8 (_mm256_loadu_ps (x + i), act));
  if (i < n) {
    __m256i mask = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 -
            (n - i)));
    _mm256_maskstore_ps (x + i, mask, act8 (_mm256_maskload_ps (x + i, mask),
            act));
  }
}

void
mnv3_f32_act__avx2 (float *x, const struct mnv3_act_params *p)
{
  switch (p->act) {
    case MNV3_ACT_RELU:
      act_loop (x, p->n, MNV3_ACT_RELU);
      break;
    case MNV3_ACT_HSWISH:
      act_loop (x, p->n, MNV3_ACT_HSWISH);
      break;
    case MNV3_ACT_HSIGMOID:
      act_loop (x, p->n, MNV3_ACT_HSIGMOID);
      break;
    case MNV3_ACT_HSWISH_K2:
      act_loop (x, p->n, MNV3_ACT_HSWISH_K2);
      break;
    case MNV3_ACT_HSIGMOID_K2:
      act_loop (x, p->n, MNV3_ACT_HSIGMOID_K2);
      break;
    default:
      break;
  }
}
