/* libmnv3 kernels: integer element-wise ops, AVX2
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TensorFlow Lite's uint8 ADD and MUL of qelem-ref.c, eight values at a
 * time with the vector requantization of q-avx2.h (bit-exact).
 */
#include "q-avx2.h"

static inline __m256i
load8_u8 (const uint8_t * p)
{
  return _mm256_cvtepu8_epi32 (_mm_loadl_epi64 ((const __m128i *) p));
}

void
mnv3_u8_add__avx2 (const uint8_t * a, const uint8_t * b, uint8_t * out,
    const struct mnv3_qadd_params *p)
{
  const __m256i azp = _mm256_set1_epi32 (p->a_zp);
  const __m256i bzp = _mm256_set1_epi32 (p->b_zp);
  const __m256i am = _mm256_set1_epi32 (p->a_mult);
  const __m256i as = _mm256_set1_epi32 (p->a_shift);
  const __m256i bm = _mm256_set1_epi32 (p->b_mult);
  const __m256i bs = _mm256_set1_epi32 (p->b_shift);
  const __m256i om = _mm256_set1_epi32 (p->mult);
  const __m256i os = _mm256_set1_epi32 (p->shift);
  const __m256i zp = _mm256_set1_epi32 (p->out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->out_min);
  const __m256i hi = _mm256_set1_epi32 (p->out_max);
  const __m256i zero = _mm256_setzero_si256 ();
  const __m256i wide_lo = _mm256_set1_epi32 (INT32_MIN);
  const __m256i wide_hi = _mm256_set1_epi32 (INT32_MAX);
  size_t i = 0;
  for (; i + 8 <= p->n; i += 8) {
    __m256i x = _mm256_slli_epi32 (_mm256_sub_epi32 (load8_u8 (a + i), azp),
        20);
    __m256i y = _mm256_slli_epi32 (_mm256_sub_epi32 (load8_u8 (b + i), bzp),
        20);
    x = mnv3_requant_avx2 (x, am, as, zero, wide_lo, wide_hi);
    y = mnv3_requant_avx2 (y, bm, bs, zero, wide_lo, wide_hi);
    __m256i v = mnv3_requant_avx2 (_mm256_add_epi32 (x, y), om, os, zp, lo,
        hi);
    mnv3_store_u8x8_avx2 (out + i, v, 8);
  }
  if (i < p->n) {
    struct mnv3_qadd_params t = *p;
    t.n = p->n - i;
    mnv3_u8_add__ref (a + i, b + i, out + i, &t);
  }
}

void
mnv3_u8_cmul__avx2 (const uint8_t * in, uint8_t * out,
    const struct mnv3_qcmul_params *p)
{
  const __m256i izp = _mm256_set1_epi32 (p->in_zp);
  const __m256i gzp = _mm256_set1_epi32 (p->gate_zp);
  const __m256i m = _mm256_set1_epi32 (p->mult);
  const __m256i s = _mm256_set1_epi32 (p->shift);
  const __m256i zp = _mm256_set1_epi32 (p->out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->out_min);
  const __m256i hi = _mm256_set1_epi32 (p->out_max);
  if (p->c % 8) {
    mnv3_u8_cmul__ref (in, out, p);
    return;
  }
  for (size_t r = 0; r < p->m; r++) {
    const uint8_t *x = in + r * p->c;
    uint8_t *y = out + r * p->c;
    for (size_t c = 0; c < p->c; c += 8) {
      __m256i a = _mm256_sub_epi32 (load8_u8 (x + c), izp);
      __m256i g = _mm256_sub_epi32 (load8_u8 (p->gate + c), gzp);
      __m256i v = mnv3_requant_avx2 (_mm256_mullo_epi32 (a, g), m, s, zp, lo,
          hi);
      mnv3_store_u8x8_avx2 (y + c, v, 8);
    }
  }
}
