/* libmnv3: global average pool kernel, AVX2
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[c] = (1 / hw) * sum_p in[p][c], for c in [c0, c1). Layout NHWC
 * (hw x c), f32, no alignment needed; out must not overlap in.
 *
 * Tiling: 32 channels (4 accumulators) per pass over the hw pixels, then 8,
 * then the masked tail. Sums in float, pixels in increasing order.
 *
 * Over-read: none (the channel tail uses _mm256_maskload_ps).
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx2.h"

void
mnv3_f32_gap__avx2 (const float *in, float *out,
    const struct mnv3_gap_params *p)
{
  assert (p->c1 <= p->c && p->hw > 0);
  const size_t c = p->c;
  const __m256 scale = _mm256_set1_ps (1.0f / (float) p->hw);
  size_t ch = p->c0;

  for (; ch + 32 <= p->c1; ch += 32) {
    __m256 a0 = _mm256_setzero_ps (), a1 = a0, a2 = a0, a3 = a0;
    const float *ip = in + ch;
    for (size_t i = 0; i < p->hw; i++, ip += c) {
      a0 = _mm256_add_ps (a0, _mm256_loadu_ps (ip));
      a1 = _mm256_add_ps (a1, _mm256_loadu_ps (ip + 8));
      a2 = _mm256_add_ps (a2, _mm256_loadu_ps (ip + 16));
      a3 = _mm256_add_ps (a3, _mm256_loadu_ps (ip + 24));
    }
    _mm256_storeu_ps (out + ch, _mm256_mul_ps (a0, scale));
    _mm256_storeu_ps (out + ch + 8, _mm256_mul_ps (a1, scale));
    _mm256_storeu_ps (out + ch + 16, _mm256_mul_ps (a2, scale));
    _mm256_storeu_ps (out + ch + 24, _mm256_mul_ps (a3, scale));
  }
  for (; ch < p->c1; ch += 8) {
    size_t r = p->c1 - ch < 8 ? p->c1 - ch : 8;
    __m256i mask = _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 - r));
    __m256 a = _mm256_setzero_ps ();
    const float *ip = in + ch;
    for (size_t i = 0; i < p->hw; i++, ip += c)
      a = _mm256_add_ps (a, _mm256_maskload_ps (ip, mask));
    _mm256_maskstore_ps (out + ch, mask, _mm256_mul_ps (a, scale));
  }
}
