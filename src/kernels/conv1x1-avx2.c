/* libmnv3: 1x1 convolution (GEMM) kernel, AVX2 + FMA
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * out[m][n] = act (bias[n] + sum_k in[m][k] * kscale[k] * w[k][n])
 *             + residual[m][n]
 * Layout: in m x k (row stride in_stride), w k x n row-major (row stride
 * w_stride), out and residual m x n (row stride out_stride); f32, no
 * alignment needed. in and out must not overlap; residual may equal out
 * (each element is read before it is written, by the same thread).
 *
 * Tiling: register tiles of MR = 6 rows x NR = 16 columns (12 ymm
 * accumulators, initialised with the bias), k innermost: per k, 2 weight
 * vectors are loaded and 6 input values broadcast. Rows are split into
 * tiles of near-equal height (49 rows: 9 tiles of 5-6 rows, no 1-row tile). The bias, activation and
 * residual are applied in the epilogue before a single store. kscale is
 * folded into the weight vectors (or into the broadcast for tiles with more
 * columns than rows). For m <= 2 a GEMV tile of 1 row x 64 columns keeps 8
 * accumulators in flight. Loop order: when the K x N weights fit in L1 the
 * row tiles are outermost (weights stay hot), otherwise the 16-column
 * panels are (the K x 16 panel stays hot while the rows stream).
 *
 * Weights may be packed in 32-column panels (kernels.h), which the graph
 * does: a panel is then one sequential stream. The weight rows PF_ROWS
 * ahead are prefetched: on the small late layers (7x7 maps) and the GEMVs
 * the weights come from L3 or DRAM on every inference, and the hardware
 * prefetchers alone left them at about half the in-cache speed.
 *
 * Over-read: none (prefetches do not fault). The column remainder (n % 8) uses _mm256_maskload_ps /
 * _mm256_maskstore_ps, which do not touch masked-off elements.
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx2.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define VL 8
#define MR 6
#define PF_ROWS 16              /* weight rows prefetched ahead */
#define GEMV_NV 8               /* vectors per GEMV tile: 64 columns */

/* lanes [0, r) on, r in 1..8 */
#define MASK_T __m256i
static inline __m256i
tail_mask (size_t r)
{
  return _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 - r));
}

/* variant 1: the last vector is masked (fewer than 8 columns) */
#define TAIL_VARIANT(last) ((last) != VL)
#define CONV1X1_FN mnv3_f32_conv1x1__avx2
#include "conv1x1-driver.h"

/* One mr x (8 * nv) tile; the last vector is masked when `masked`. All of
 * mr, nv, masked, ks are compile-time constants in each instantiation. */
static ALWAYS_INLINE void
tile (const struct tile_args *t, const int mr, const int nv, const int ks,
    const int variant)
{
  const int masked = variant;
  __m256 acc[MR][GEMV_NV];
  const int scale_w = ks && mr > nv;
  const int scale_a = ks && !scale_w;

#define LOADV(ptr, j) \
  ((masked && (j) == nv - 1) ? _mm256_maskload_ps ((ptr), t->mask) \
                             : _mm256_loadu_ps (ptr))

#pragma GCC unroll 8
  for (int j = 0; j < nv; j++) {
    __m256 b = LOADV (t->bias + 8 * j, j);
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++)
      acc[i][j] = b;
  }

  const float *w = t->w;
  for (size_t k = 0; k < t->k; k++, w += t->ldw) {
    __m256 wv[GEMV_NV];
    __m256 s = _mm256_setzero_ps ();
    if (scale_w)
      s = _mm256_broadcast_ss (t->kscale + k);
#pragma GCC unroll 8
    for (int j = 0; j < nv; j++) {
      if (PF_ROWS && !(j & 1))  /* one 64-byte line per 2 vectors */
        _mm_prefetch ((const char *) (w + PF_ROWS * t->ldw
                + (j >> 2) * t->pstride + 8 * (j & 3)), _MM_HINT_T0);
      wv[j] = LOADV (w + (j >> 2) * t->pstride + 8 * (j & 3), j);
      if (scale_w)
        wv[j] = _mm256_mul_ps (wv[j], s);
    }
#pragma GCC unroll 6
    for (int i = 0; i < mr; i++) {
      __m256 a;
      if (scale_a)
        a = _mm256_set1_ps (t->a[i * t->lda + k] * t->kscale[k]);
      else
        a = _mm256_broadcast_ss (t->a + i * t->lda + k);
#pragma GCC unroll 8
      for (int j = 0; j < nv; j++)
        acc[i][j] = _mm256_fmadd_ps (a, wv[j], acc[i][j]);
    }
  }

  /* epilogue: locals, not t->..., so stores to out cannot force reloads */
  const enum mnv3_act act = t->act;
  const float *res = t->res;
  float *out = t->out;
  const size_t ldo = t->ldo;
#define APPLY_ACT(a) \
  _Pragma ("GCC unroll 6") for (int i = 0; i < mr; i++) \
    _Pragma ("GCC unroll 8") for (int j = 0; j < nv; j++) \
      acc[i][j] = act8 (acc[i][j], (a))
  switch (act) {
    case MNV3_ACT_RELU:
      APPLY_ACT (MNV3_ACT_RELU);
      break;
    case MNV3_ACT_HSWISH:
      APPLY_ACT (MNV3_ACT_HSWISH);
      break;
    case MNV3_ACT_HSIGMOID:
      APPLY_ACT (MNV3_ACT_HSIGMOID);
      break;
    case MNV3_ACT_HSWISH_K2:
      APPLY_ACT (MNV3_ACT_HSWISH_K2);
      break;
    case MNV3_ACT_HSIGMOID_K2:
      APPLY_ACT (MNV3_ACT_HSIGMOID_K2);
      break;
    default:
      break;
  }
#undef APPLY_ACT
#pragma GCC unroll 6
  for (int i = 0; i < mr; i++) {
#pragma GCC unroll 8
    for (int j = 0; j < nv; j++) {
      __m256 v = acc[i][j];
      if (res)
        v = _mm256_add_ps (v, LOADV (res + i * ldo + 8 * j, j));
      float *o = out + i * ldo + 8 * j;
      if (masked && j == nv - 1)
        _mm256_maskstore_ps (o, t->mask, v);
      else
        _mm256_storeu_ps (o, v);
    }
  }
#undef LOADV
}
