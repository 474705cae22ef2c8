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

#define MR 6
#define NR 16
_Static_assert (MNV3_CONV1X1_PANEL % NR == 0, "panels hold whole tiles");
#define PF_ROWS 16              /* weight rows prefetched ahead */
#define GEMV_NV 8               /* vectors per GEMV tile: 64 columns */
#define L1_WEIGHT_BYTES (32 * 1024)

/* lanes [0, r) on, r in 1..8 */
static inline __m256i
tail_mask (size_t r)
{
  return _mm256_loadu_si256 ((const __m256i *) (mask_table + 8 - r));
}

struct tile_args
{
  const float *a;               /* first row of the tile */
  size_t lda;
  const float *w;               /* first column of the tile */
  size_t ldw;
  size_t pstride;               /* from a 32-column weight panel to the next */
  const float *bias;
  const float *kscale;
  const float *res;             /* NULL or first element like out */
  float *out;
  size_t ldo;
  size_t k;
  __m256i mask;                 /* for the last vector when masked */
  enum mnv3_act act;
};

/* One mr x (8 * nv) tile; the last vector is masked when `masked`. All of
 * mr, nv, masked, ks are compile-time constants in each instantiation. */
static inline __attribute__((always_inline))
     void tile (const struct tile_args *t, const int mr, const int nv,
    const int masked, const int ks)
{
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

typedef void (*tile_fn) (const struct tile_args * t);

#define TILE_FN(mr, nv, masked, ks) \
  static void tile_##mr##x##nv##_##masked##ks (const struct tile_args *t) \
  { tile (t, mr, nv, masked, ks); }

#define TILE_FNS_MR(mr, nv) \
  TILE_FN (mr, nv, 0, 0) TILE_FN (mr, nv, 0, 1) \
  TILE_FN (mr, nv, 1, 0) TILE_FN (mr, nv, 1, 1)

TILE_FNS_MR (1, 1) TILE_FNS_MR (2, 1) TILE_FNS_MR (3, 1)
    TILE_FNS_MR (4, 1) TILE_FNS_MR (5, 1) TILE_FNS_MR (6, 1)
    TILE_FNS_MR (1, 2) TILE_FNS_MR (2, 2) TILE_FNS_MR (3, 2)
    TILE_FNS_MR (4, 2) TILE_FNS_MR (5, 2) TILE_FNS_MR (6, 2)
    TILE_FNS_MR (1, 3) TILE_FNS_MR (1, 4) TILE_FNS_MR (1, 5)
    TILE_FNS_MR (1, 6) TILE_FNS_MR (1, 7) TILE_FNS_MR (1, 8)
#define TILE_ENTRY(mr, nv) \
  { { tile_##mr##x##nv##_00, tile_##mr##x##nv##_01 }, \
    { tile_##mr##x##nv##_10, tile_##mr##x##nv##_11 } }
/* [nv - 1][mr - 1][masked][ks] */
     static const
         tile_fn
         tiles[2][MR][2][2] = {
       {TILE_ENTRY (1, 1), TILE_ENTRY (2, 1), TILE_ENTRY (3, 1),
           TILE_ENTRY (4, 1), TILE_ENTRY (5, 1), TILE_ENTRY (6, 1)},
       {TILE_ENTRY (1, 2), TILE_ENTRY (2, 2), TILE_ENTRY (3, 2),
           TILE_ENTRY (4, 2), TILE_ENTRY (5, 2), TILE_ENTRY (6, 2)},
     };

/* [nv - 1][masked][ks], one row */
static const tile_fn gemv_tiles[GEMV_NV][2][2] = {
  TILE_ENTRY (1, 1), TILE_ENTRY (1, 2), TILE_ENTRY (1, 3), TILE_ENTRY (1, 4),
  TILE_ENTRY (1, 5), TILE_ENTRY (1, 6), TILE_ENTRY (1, 7), TILE_ENTRY (1, 8),
};

static inline void
set_tile (struct tile_args *t, const float *in, float *out,
    const struct mnv3_conv1x1_params *p, size_t m0, size_t n0)
{
  t->a = in + m0 * p->in_stride;
  /* n0 is a multiple of NR, which divides MNV3_CONV1X1_PANEL */
  t->w = p->w_panel ? p->w + n0 / MNV3_CONV1X1_PANEL * p->w_panel
      + n0 % MNV3_CONV1X1_PANEL : p->w + n0;
  t->bias = p->bias + n0;
  t->res = p->residual ? p->residual + m0 * p->out_stride + n0 : NULL;
  t->out = out + m0 * p->out_stride + n0;
}

/* Row tile b of nb near-equal tiles over m rows: first row and height. */
static inline size_t
row_tile (size_t m, size_t nb, size_t b, size_t *mr)
{
  size_t base = m / nb, extra = m % nb;
  *mr = base + (b < extra);
  return b * base + (b < extra ? b : extra);
}

void
mnv3_f32_conv1x1__avx2 (const float *in, float *out,
    const struct mnv3_conv1x1_params *p)
{
  assert (p->w_panel || p->w_stride >= p->n);
  assert (p->out_stride >= p->n);
  assert (p->in_stride >= p->k);

  if (p->m == 0 || p->n == 0)
    return;

  struct tile_args t = {
    .lda = p->in_stride,
    .ldw = p->w_panel ? MNV3_CONV1X1_PANEL : p->w_stride,
    .pstride = p->w_panel ? p->w_panel : MNV3_CONV1X1_PANEL,
    .kscale = p->kscale,
    .ldo = p->out_stride,
    .k = p->k,
    .act = p->act,
  };
  const int ks = p->kscale != NULL;

  if (p->m <= 2) {
    for (size_t n0 = 0; n0 < p->n; n0 += 8 * GEMV_NV) {
      size_t nr = p->n - n0 < 8 * GEMV_NV ? p->n - n0 : 8 * GEMV_NV;
      size_t nv = (nr + 7) / 8;
      int masked = (nr % 8) != 0;
      t.mask = tail_mask (nr - 8 * (nv - 1));
      tile_fn fn = gemv_tiles[nv - 1][masked][ks];
      for (size_t m0 = 0; m0 < p->m; m0++) {
        set_tile (&t, in, out, p, m0, n0);
        fn (&t);
      }
    }
    return;
  }

  const size_t nb = (p->m + MR - 1) / MR;       /* row tiles */
  const size_t n_full = p->n / NR * NR;
  const size_t rem = p->n - n_full;
  const int rem_nv = rem > 8 ? 2 : 1;
  const int rem_masked = (rem % 8) != 0;
  const __m256i full_mask = tail_mask (8);
  const __m256i rem_mask = tail_mask (rem - 8 * (size_t) (rem_nv - 1));

  if (p->k * p->n * sizeof (float) <= L1_WEIGHT_BYTES) {
    /* row tiles outermost: the whole weight matrix stays in L1 */
    for (size_t b = 0; b < nb; b++) {
      size_t mr, m0 = row_tile (p->m, nb, b, &mr);
      t.mask = full_mask;
      for (size_t n0 = 0; n0 < n_full; n0 += NR) {
        set_tile (&t, in, out, p, m0, n0);
        tiles[1][mr - 1][0][ks] (&t);
      }
      if (rem) {
        t.mask = rem_mask;
        set_tile (&t, in, out, p, m0, n_full);
        tiles[rem_nv - 1][mr - 1][rem_masked][ks] (&t);
      }
    }
  } else {
    /* column panels outermost: the k x 16 panel stays in cache */
    for (size_t n0 = 0; n0 < p->n; n0 += NR) {
      int nv = 2, masked = 0;
      t.mask = full_mask;
      if (n0 == n_full) {
        nv = rem_nv;
        masked = rem_masked;
        t.mask = rem_mask;
      }
      for (size_t b = 0; b < nb; b++) {
        size_t mr, m0 = row_tile (p->m, nb, b, &mr);
        set_tile (&t, in, out, p, m0, n0);
        tiles[nv - 1][mr - 1][masked][ks] (&t);
      }
    }
  }
}
