/* libmnv3: 1x1 convolution (GEMM) kernel, AVX-512 (F, VL, DQ, BW)
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
 * Tiling: register tiles of up to MR = 12 rows x NR = 32 columns (24 zmm
 * accumulators, initialised with the bias), k innermost: per k, 2 weight
 * vectors are loaded and 12 input values broadcast. Rows are split into
 * tiles of near-equal height (49 rows: 5 x 10 rows, not 4 x 12 + 1). The bias, activation and
 * residual are applied in the epilogue before a single store. kscale is
 * folded into the weight vectors (or into the broadcast for tiles with more
 * columns than rows). For m <= 2 a GEMV tile of 1 row x 128 columns keeps
 * 8 accumulators in flight. Loop order: when the K x N weights fit in L1 the
 * row tiles are outermost (weights stay hot), otherwise the 32-column
 * panels are (the K x 32 panel stays hot while the rows stream).
 *
 * Weights may be packed in 32-column panels (kernels.h), which the graph
 * does: a panel is then one sequential stream. The weight rows PF_ROWS
 * ahead are prefetched: on the small late layers (7x7 maps) and the GEMVs
 * the weights come from L3 or DRAM on every inference, and the hardware
 * prefetchers alone left them at about half the in-cache speed.
 *
 * Over-read: none (prefetches do not fault). The column remainder (n % 16) uses AVX-512 masked loads
 * and stores (__mmask16), which do not touch masked-off elements.
 */
#include <assert.h>
#include <immintrin.h>
#include "simd-avx512.h"

#define ALWAYS_INLINE inline __attribute__ ((always_inline))
#define VL 16
#define MR 12
_Static_assert (2 * VL == MNV3_CONV1X1_PANEL, "tile width is the panel width");
#define PF_ROWS 16              /* weight rows prefetched ahead */
#define GEMV_NV 8               /* vectors per GEMV tile: 128 columns */

/* lanes [0, r) on, r in 1..16 */
#define MASK_T __mmask16
static inline __mmask16
tail_mask (size_t r)
{
  return (__mmask16) ((1u << r) - 1u);
}

/* variant 1: the last vector is 8 columns, moved with 256-bit loads and
 * stores (see tile ()); variant 0: masked by t->mask (all lanes if full) */
#define TAIL_VARIANT(last) ((last) == 8)
#define CONV1X1_FN mnv3_f32_conv1x1__avx512
#include "conv1x1-driver.h"

/* One mr x (16 * nv) tile. The last vector is masked by t->mask, or, when
 * `half`, is 8 columns loaded and stored with 256-bit moves: a masked load
 * whose masked-off lanes reach an unmapped page takes a slow microcode
 * assist on some CPUs (2.5x slower GEMM measured with weights ending at a
 * page boundary), and 8-column tails are the common case (MobileNetV3
 * channel counts are multiples of 8). mr, nv, ks and half are compile-time
 * constants in each instantiation. */
static ALWAYS_INLINE void
tile (const struct tile_args *t, const int mr, const int nv, const int ks,
    const int variant)
{
  const int half = variant;
  __m512 acc[MR][GEMV_NV];
  const int scale_w = ks && mr > nv;
  const int scale_a = ks && !scale_w;
  const __mmask16 mask = t->mask;

#define LOADV(ptr, j) \
  (((j) < nv - 1) ? _mm512_loadu_ps (ptr) \
   : half ? _mm512_zextps256_ps512 (_mm256_loadu_ps (ptr)) \
   : _mm512_maskz_loadu_ps (mask, (ptr)))

#pragma GCC unroll 8
  for (int j = 0; j < nv; j++) {
    __m512 b = LOADV (t->bias + 16 * j, j);
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
      acc[i][j] = b;
  }

  const float *w = t->w;
  for (size_t k = 0; k < t->k; k++, w += t->ldw) {
    __m512 wv[GEMV_NV];
    __m512 s = _mm512_setzero_ps ();
    if (scale_w)
      s = _mm512_set1_ps (t->kscale[k]);
#pragma GCC unroll 8
    for (int j = 0; j < nv; j++) {
      if (PF_ROWS)
        _mm_prefetch ((const char *) (w + PF_ROWS * t->ldw
                + (j >> 1) * t->pstride + 16 * (j & 1)), _MM_HINT_T0);
      wv[j] = LOADV (w + (j >> 1) * t->pstride + 16 * (j & 1), j);
      if (scale_w)
        wv[j] = _mm512_mul_ps (wv[j], s);
    }
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++) {
      __m512 a;
      if (scale_a)
        a = _mm512_set1_ps (t->a[i * t->lda + k] * t->kscale[k]);
      else
        a = _mm512_set1_ps (t->a[i * t->lda + k]);
#pragma GCC unroll 8
      for (int j = 0; j < nv; j++)
        acc[i][j] = _mm512_fmadd_ps (a, wv[j], acc[i][j]);
    }
  }

  /* epilogue: locals, not t->..., so stores to out cannot force reloads */
  const enum mnv3_act act = t->act;
  const float *res = t->res;
  float *out = t->out;
  const size_t ldo = t->ldo;
#define APPLY_ACT(a) \
  _Pragma ("GCC unroll 12") for (int i = 0; i < mr; i++) \
    _Pragma ("GCC unroll 8") for (int j = 0; j < nv; j++) \
      acc[i][j] = act16 (acc[i][j], (a))
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
#pragma GCC unroll 12
  for (int i = 0; i < mr; i++) {
#pragma GCC unroll 8
    for (int j = 0; j < nv; j++) {
      __m512 v = acc[i][j];
      if (res)
        v = _mm512_add_ps (v, LOADV (res + i * ldo + 16 * j, j));
      float *o = out + i * ldo + 16 * j;
      if (j < nv - 1)
        _mm512_storeu_ps (o, v);
      else if (half)
        _mm256_storeu_ps (o, _mm512_castps512_ps256 (v));
      else
        _mm512_mask_storeu_ps (o, mask, v);
    }
  }
#undef LOADV
}
