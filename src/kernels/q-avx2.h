/* libmnv3 kernels: TensorFlow Lite's requantization on AVX2 vectors
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Eight int32 sums at a time, the same results as mnv3_requant () of
 * kernels.h bit for bit: SaturatingRoundingDoublingHighMul is
 * floor ((a * b + 2^30) / 2^31) for every a, b with b > 0 (the nudge of
 * gemmlowp's version turns its truncation into that floor), and
 * RoundingDivideByPOT as in gemmlowp.
 */
#ifndef __MNV3_Q_AVX2_H__
#define __MNV3_Q_AVX2_H__

#include <immintrin.h>
#include "kernels.h"

static inline __m256i
mnv3_srdhm_avx2 (__m256i a, __m256i b)
{
  const __m256i half = _mm256_set1_epi64x (1ll << 30);
  __m256i even = _mm256_add_epi64 (_mm256_mul_epi32 (a, b), half);
  __m256i odd = _mm256_add_epi64 (_mm256_mul_epi32 (_mm256_srli_epi64 (a, 32),
          _mm256_srli_epi64 (b, 32)), half);
  /* bits 31..62 of each product: the low dword of even >> 31, the high
   * dword of odd << 1 */
  return _mm256_blend_epi32 (_mm256_srli_epi64 (even, 31),
      _mm256_slli_epi64 (odd, 1), 0xAA);
}

/* clamp (zp + requant (acc, mult, shift), lo, hi) per lane */
static inline __m256i
mnv3_requant_avx2 (__m256i acc, __m256i mult, __m256i shift, __m256i zp,
    __m256i lo, __m256i hi)
{
  const __m256i zero = _mm256_setzero_si256 (), one = _mm256_set1_epi32 (1);
  __m256i left = _mm256_max_epi32 (shift, zero);
  __m256i right = _mm256_max_epi32 (_mm256_sub_epi32 (zero, shift), zero);
  __m256i x = mnv3_srdhm_avx2 (_mm256_sllv_epi32 (acc, left), mult);
  __m256i mask = _mm256_sub_epi32 (_mm256_sllv_epi32 (one, right), one);
  __m256i rem = _mm256_and_si256 (x, mask);
  __m256i th = _mm256_sub_epi32 (_mm256_srli_epi32 (mask, 1),
      _mm256_cmpgt_epi32 (zero, x));
  x = _mm256_sub_epi32 (_mm256_srav_epi32 (x, right),
      _mm256_cmpgt_epi32 (rem, th));
  x = _mm256_add_epi32 (x, zp);
  return _mm256_min_epi32 (_mm256_max_epi32 (x, lo), hi);
}

/* the low bytes of eight int32 in 0..255, to @n <= 8 bytes at @dst */
static inline void
mnv3_store_u8x8_avx2 (uint8_t *dst, __m256i v, size_t n)
{
  __m128i w = _mm_packs_epi32 (_mm256_castsi256_si128 (v),
      _mm256_extracti128_si256 (v, 1));
  __m128i b = _mm_packus_epi16 (w, w);
  if (n >= 8) {
    _mm_storel_epi64 ((__m128i *) dst, b);
  } else {
    uint8_t tmp[16];
    _mm_storeu_si128 ((__m128i *) tmp, b);
    for (size_t i = 0; i < n; i++)
      dst[i] = tmp[i];
  }
}

#endif /* __MNV3_Q_AVX2_H__ */
