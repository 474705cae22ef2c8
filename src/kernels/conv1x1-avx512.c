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

#define MR 12
#define NR 32
_Static_assert (NR == MNV3_CONV1X1_PANEL, "tile width is the panel width");
#define PF_ROWS 16              /* weight rows prefetched ahead */
#define GEMV_NV 8               /* vectors per GEMV tile: 128 columns */
#define L1_WEIGHT_BYTES (32 * 1024)

/* lanes [0, r) on, r in 1..16 */
static inline __mmask16
tail_mask (size_t r)
{
  return (__mmask16) ((1u << r) - 1u);
}

struct tile_args
{
  const float *a;               /* first row of the tile */
  size_t lda;
  const float *w;               /* first column of the tile */
  size_t ldw;
  size_t pstride;               /* from a 32-column panel to the next */
  const float *bias;
  const float *kscale;
  const float *res;             /* NULL or first element like out */
  float *out;
  size_t ldo;
  size_t k;
  __mmask16 mask;               /* for the last vector (all ones if full) */
  enum mnv3_act act;
};

/* One mr x (16 * nv) tile. The last vector is masked by t->mask, or, when
 * `half`, is 8 columns loaded and stored with 256-bit moves: a masked load
 * whose masked-off lanes reach an unmapped page takes a slow microcode
 * assist on some CPUs (2.5x slower GEMM measured with weights ending at a
 * page boundary), and 8-column tails are the common case (MobileNetV3
 * channel counts are multiples of 8). mr, nv, ks and half are compile-time
 * constants in each instantiation. */
static inline __attribute__((always_inline))
     void tile (const struct tile_args *t, const int mr, const int nv,
    const int ks, const int half)
{
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

typedef void (*tile_fn) (const struct tile_args * t);

#define TILE_FN(mr, nv, half, ks) \
  static void tile_##mr##x##nv##_##half##ks (const struct tile_args *t) \
  { tile (t, mr, nv, ks, half); }

#define TILE_FNS(mr, nv) \
  TILE_FN (mr, nv, 0, 0) TILE_FN (mr, nv, 0, 1) \
  TILE_FN (mr, nv, 1, 0) TILE_FN (mr, nv, 1, 1)

TILE_FNS (1, 1) TILE_FNS (2, 1) TILE_FNS (3, 1) TILE_FNS (4, 1)
    TILE_FNS (5, 1) TILE_FNS (6, 1) TILE_FNS (7, 1) TILE_FNS (8, 1)
    TILE_FNS (9, 1) TILE_FNS (10, 1) TILE_FNS (11, 1) TILE_FNS (12, 1)
    TILE_FNS (1, 2) TILE_FNS (2, 2) TILE_FNS (3, 2) TILE_FNS (4, 2)
    TILE_FNS (5, 2) TILE_FNS (6, 2) TILE_FNS (7, 2) TILE_FNS (8, 2)
    TILE_FNS (9, 2) TILE_FNS (10, 2) TILE_FNS (11, 2) TILE_FNS (12, 2)
    TILE_FNS (1, 3) TILE_FNS (1, 4) TILE_FNS (1, 5) TILE_FNS (1, 6)
    TILE_FNS (1, 7) TILE_FNS (1, 8)
#define TILE_ENTRY(mr, nv) \
  { { tile_##mr##x##nv##_00, tile_##mr##x##nv##_01 }, \
    { tile_##mr##x##nv##_10, tile_##mr##x##nv##_11 } }
/* [nv - 1][mr - 1][half][ks] */
     static const
         tile_fn
         tiles[2][MR][2][2] = {
       {TILE_ENTRY (1, 1), TILE_ENTRY (2, 1), TILE_ENTRY (3, 1),
             TILE_ENTRY (4, 1), TILE_ENTRY (5, 1), TILE_ENTRY (6, 1),
             TILE_ENTRY (7, 1), TILE_ENTRY (8, 1), TILE_ENTRY (9, 1),
           TILE_ENTRY (10, 1), TILE_ENTRY (11, 1), TILE_ENTRY (12, 1)},
       {TILE_ENTRY (1, 2), TILE_ENTRY (2, 2), TILE_ENTRY (3, 2),
             TILE_ENTRY (4, 2), TILE_ENTRY (5, 2), TILE_ENTRY (6, 2),
             TILE_ENTRY (7, 2), TILE_ENTRY (8, 2), TILE_ENTRY (9, 2),
           TILE_ENTRY (10, 2), TILE_ENTRY (11, 2), TILE_ENTRY (12, 2)},
     };

/* [nv - 1][half][ks], one row */
static const tile_fn gemv_tiles[GEMV_NV][2][2] = {
  TILE_ENTRY (1, 1), TILE_ENTRY (1, 2), TILE_ENTRY (1, 3), TILE_ENTRY (1, 4),
  TILE_ENTRY (1, 5), TILE_ENTRY (1, 6), TILE_ENTRY (1, 7), TILE_ENTRY (1, 8),
};

static inline void
set_tile (struct tile_args *t, const float *in, float *out,
    const struct mnv3_conv1x1_params *p, size_t m0, size_t n0)
{
  t->a = in + m0 * p->in_stride;
  /* n0 is a multiple of NR = MNV3_CONV1X1_PANEL */
  t->w = p->w_panel ? p->w + n0 / NR * p->w_panel : p->w + n0;
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
mnv3_f32_conv1x1__avx512 (const float *in, float *out,
    const struct mnv3_conv1x1_params *p)
{
  assert (p->w_panel || p->w_stride >= p->n);
  assert (p->out_stride >= p->n);
  assert (p->in_stride >= p->k);

  if (p->m == 0 || p->n == 0)
    return;

  struct tile_args t = {
    .lda = p->in_stride,
    .ldw = p->w_panel ? NR : p->w_stride,
    .pstride = p->w_panel ? p->w_panel : NR,
    .kscale = p->kscale,
    .ldo = p->out_stride,
    .k = p->k,
    .act = p->act,
  };
  const int ks = p->kscale != NULL;

  if (p->m <= 2) {
    for (size_t n0 = 0; n0 < p->n; n0 += 16 * GEMV_NV) {
      size_t nr = p->n - n0 < 16 * GEMV_NV ? p->n - n0 : 16 * GEMV_NV;
      size_t nv = (nr + 15) / 16;
      size_t last = nr - 16 * (nv - 1);
      t.mask = tail_mask (last);
      tile_fn fn = gemv_tiles[nv - 1][last == 8][ks];
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
  const int rem_nv = rem > 16 ? 2 : 1;
  const __mmask16 full_mask = 0xffff;
  const size_t rem_last = rem ? rem - 16 * (size_t) (rem_nv - 1) : 16;
  const __mmask16 rem_mask = tail_mask (rem_last);
  const int rem_half = rem_last == 8;

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
        tiles[rem_nv - 1][mr - 1][rem_half][ks] (&t);
      }
    }
  } else {
    /* column panels outermost: the k x 32 panel stays in cache */
    for (size_t n0 = 0; n0 < p->n; n0 += NR) {
      int nv = 2, half = 0;
      t.mask = full_mask;
      if (n0 == n_full) {
        nv = rem_nv;
        half = rem_half;
        t.mask = rem_mask;
      }
      for (size_t b = 0; b < nb; b++) {
        size_t mr, m0 = row_tile (p->m, nb, b, &mr);
        set_tile (&t, in, out, p, m0, n0);
        tiles[nv - 1][mr - 1][half][ks] (&t);
      }
    }
  }
}
