/* libmnv3 kernels: AVX2 helpers shared by the *-avx2.c files
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included only by files compiled with -mavx2 -mfma (static inline, so
 * nothing leaks into baseline code).
 */
#ifndef __MNV3_SIMD_AVX2_H__
#define __MNV3_SIMD_AVX2_H__

#include <immintrin.h>
#include "kernels.h"

/* mask_table + 8 - r: lanes [0, r) on, for r in 0..8. */
static const int32_t mask_table[16] = {
  -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0
};

/* The activations of kernels.h on 8 lanes: relu = max (x, 0);
 * h-swish = x * relu6 (x + 3) / 6; h-sigmoid = relu6 (x + 3) / 6; the
 * Keras 2 variants with clip (0.2 x + 0.5, 0, 1) as the h-sigmoid. */
static inline __m256
act8 (__m256 x, enum mnv3_act act)
{
  const __m256 zero = _mm256_setzero_ps ();
  __m256 r6;
  switch (act) {
    case MNV3_ACT_RELU:
      return _mm256_max_ps (x, zero);
    case MNV3_ACT_HSWISH:
      r6 = _mm256_min_ps (_mm256_max_ps (_mm256_add_ps (x,
                  _mm256_set1_ps (3.0f)), zero), _mm256_set1_ps (6.0f));
      return _mm256_mul_ps (_mm256_mul_ps (x, r6),
          _mm256_set1_ps (1.0f / 6.0f));
    case MNV3_ACT_HSIGMOID:
      r6 = _mm256_min_ps (_mm256_max_ps (_mm256_add_ps (x,
                  _mm256_set1_ps (3.0f)), zero), _mm256_set1_ps (6.0f));
      return _mm256_mul_ps (r6, _mm256_set1_ps (1.0f / 6.0f));
    case MNV3_ACT_HSWISH_K2:
      r6 = _mm256_min_ps (_mm256_max_ps (_mm256_fmadd_ps (x,
                  _mm256_set1_ps (0.2f), _mm256_set1_ps (0.5f)), zero),
          _mm256_set1_ps (1.0f));
      return _mm256_mul_ps (x, r6);
    case MNV3_ACT_HSIGMOID_K2:
      return _mm256_min_ps (_mm256_max_ps (_mm256_fmadd_ps (x,
                  _mm256_set1_ps (0.2f), _mm256_set1_ps (0.5f)), zero),
          _mm256_set1_ps (1.0f));
    default:
      return x;
  }
}

#endif /* __MNV3_SIMD_AVX2_H__ */
