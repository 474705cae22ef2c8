/* libmnv3 kernels: AVX-512 helpers shared by the *-avx512.c files
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included only by files compiled with the AVX-512 flags.
 */
#ifndef __MNV3_SIMD_AVX512_H__
#define __MNV3_SIMD_AVX512_H__

#include <immintrin.h>
#include "kernels.h"

/* The activations of kernels.h on 16 lanes (see simd-avx2.h). */
static inline __m512
act16 (__m512 x, enum mnv3_act act)
{
  const __m512 zero = _mm512_setzero_ps ();
  __m512 r6;
  switch (act) {
    case MNV3_ACT_RELU:
      return _mm512_max_ps (x, zero);
    case MNV3_ACT_HSWISH:
      r6 = _mm512_min_ps (_mm512_max_ps (_mm512_add_ps (x,
                  _mm512_set1_ps (3.0f)), zero), _mm512_set1_ps (6.0f));
      return _mm512_mul_ps (_mm512_mul_ps (x, r6),
          _mm512_set1_ps (1.0f / 6.0f));
    case MNV3_ACT_HSIGMOID:
      r6 = _mm512_min_ps (_mm512_max_ps (_mm512_add_ps (x,
                  _mm512_set1_ps (3.0f)), zero), _mm512_set1_ps (6.0f));
      return _mm512_mul_ps (r6, _mm512_set1_ps (1.0f / 6.0f));
    case MNV3_ACT_HSWISH_K2:
      r6 = _mm512_min_ps (_mm512_max_ps (_mm512_fmadd_ps (x,
                  _mm512_set1_ps (0.2f), _mm512_set1_ps (0.5f)), zero),
          _mm512_set1_ps (1.0f));
      return _mm512_mul_ps (x, r6);
    case MNV3_ACT_HSIGMOID_K2:
      return _mm512_min_ps (_mm512_max_ps (_mm512_fmadd_ps (x,
                  _mm512_set1_ps (0.2f), _mm512_set1_ps (0.5f)), zero),
          _mm512_set1_ps (1.0f));
    default:
      return x;
  }
}

#endif /* __MNV3_SIMD_AVX512_H__ */
