/* libmnv3: the 1x1 convolution (GEMM) driver, shared by conv1x1-avx2.c and
 * conv1x1-avx512.c
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included by each ISA file after it has defined:
 *   VL        lanes of one vector (8 or 16); a tile is at most NR = 2 * VL
 *             columns wide, and NR divides MNV3_CONV1X1_PANEL
 *   MR        the tallest register tile (at most 12)
 *   GEMV_NV   vectors of the one-row GEMV tile (8)
 *   MASK_T    the type of a lane mask, and tail_mask (r): lanes [0, r) on
 *   TAIL_VARIANT (last)  0 or 1: which of the two instantiations of a tile
 *             handles a last vector with `last` live lanes (1..VL)
 *   ALWAYS_INLINE
 * It declares struct tile_args and tile (), instantiates tile () for every
 * height, width and variant, and defines CONV1X1_FN (the kernel): the GEMV
 * path for m <= 2, the split of the rows into near-equal tiles and the loop
 * order (row tiles outermost when the weights fit in L1, column panels
 * outermost otherwise). The ISA file defines tile () after the include:
 *   static ALWAYS_INLINE void tile (const struct tile_args *t,
 *       const int mr, const int nv, const int ks, const int variant);
 * one mr x (VL * nv) tile, the last vector handled as `variant` says, the
 * input scaled by t->kscale when ks; all four are compile-time constants.
 */
#define NR (2 * VL)
_Static_assert (MNV3_CONV1X1_PANEL % NR == 0, "panels hold whole tiles");
_Static_assert (MR <= 12, "tile tables go up to 12 rows");
#define L1_WEIGHT_BYTES (32 * 1024)

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
  MASK_T mask;                  /* for the last vector (all lanes if full) */
  enum mnv3_act act;
};

static ALWAYS_INLINE void tile (const struct tile_args *t, const int mr,
    const int nv, const int ks, const int variant);

typedef void (*tile_fn) (const struct tile_args * t);

#define TILE_FN(mr, nv, variant, ks) \
  static void tile_##mr##x##nv##_##variant##ks (const struct tile_args *t) \
  { tile (t, mr, nv, ks, variant); }

#define TILE_FNS(mr, nv) \
  TILE_FN (mr, nv, 0, 0) TILE_FN (mr, nv, 0, 1) \
  TILE_FN (mr, nv, 1, 0) TILE_FN (mr, nv, 1, 1)

#define TILE_ENTRY(mr, nv) \
  { { tile_##mr##x##nv##_00, tile_##mr##x##nv##_01 }, \
    { tile_##mr##x##nv##_10, tile_##mr##x##nv##_11 } }

TILE_FNS (1, 1) TILE_FNS (2, 1) TILE_FNS (3, 1) TILE_FNS (4, 1)
    TILE_FNS (5, 1) TILE_FNS (6, 1)
    TILE_FNS (1, 2) TILE_FNS (2, 2) TILE_FNS (3, 2) TILE_FNS (4, 2)
    TILE_FNS (5, 2) TILE_FNS (6, 2)
    TILE_FNS (1, 3) TILE_FNS (1, 4) TILE_FNS (1, 5) TILE_FNS (1, 6)
    TILE_FNS (1, 7) TILE_FNS (1, 8)
#if MR > 6
    TILE_FNS (7, 1) TILE_FNS (8, 1) TILE_FNS (9, 1) TILE_FNS (10, 1)
    TILE_FNS (11, 1) TILE_FNS (12, 1)
    TILE_FNS (7, 2) TILE_FNS (8, 2) TILE_FNS (9, 2) TILE_FNS (10, 2)
    TILE_FNS (11, 2) TILE_FNS (12, 2)
#define TILE_ENTRIES_7_12(nv) , TILE_ENTRY (7, nv), TILE_ENTRY (8, nv), \
  TILE_ENTRY (9, nv), TILE_ENTRY (10, nv), TILE_ENTRY (11, nv), \
  TILE_ENTRY (12, nv)
#else
#define TILE_ENTRIES_7_12(nv)
#endif
/* [nv - 1][mr - 1][variant][ks] */
     static const
         tile_fn
         tiles[2][MR][2][2] = {
       {TILE_ENTRY (1, 1), TILE_ENTRY (2, 1), TILE_ENTRY (3, 1), TILE_ENTRY (4,
                 1),
           TILE_ENTRY (5, 1), TILE_ENTRY (6, 1) TILE_ENTRIES_7_12 (1)},
       {TILE_ENTRY (1, 2), TILE_ENTRY (2, 2), TILE_ENTRY (3, 2), TILE_ENTRY (4,
                 2),
           TILE_ENTRY (5, 2), TILE_ENTRY (6, 2) TILE_ENTRIES_7_12 (2)},
     };


/* [nv - 1][variant][ks], one row */
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
CONV1X1_FN (const float *in, float *out, const struct mnv3_conv1x1_params *p)
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
    for (size_t n0 = 0; n0 < p->n; n0 += VL * GEMV_NV) {
      size_t nr = p->n - n0 < VL * GEMV_NV ? p->n - n0 : VL * GEMV_NV;
      size_t nv = (nr + VL - 1) / VL;
      size_t last = nr - VL * (nv - 1);
      t.mask = tail_mask (last);
      tile_fn fn = gemv_tiles[nv - 1][TAIL_VARIANT (last)][ks];
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
  const int rem_nv = rem > VL ? 2 : 1;
  const MASK_T full_mask = tail_mask (VL);
  const size_t rem_last = rem ? rem - VL * (size_t) (rem_nv - 1) : VL;
  const MASK_T rem_mask = tail_mask (rem_last);
  const int rem_variant = TAIL_VARIANT (rem_last);

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
        tiles[rem_nv - 1][mr - 1][rem_variant][ks] (&t);
      }
    }
  } else {
    /* column panels outermost: the k x NR panel stays in cache */
    for (size_t n0 = 0; n0 < p->n; n0 += NR) {
      int nv = 2, variant = 0;
      t.mask = full_mask;
      if (n0 == n_full) {
        nv = rem_nv;
        variant = rem_variant;
        t.mask = rem_mask;
      }
      for (size_t b = 0; b < nb; b++) {
        size_t mr, m0 = row_tile (p->m, nb, b, &mr);
        set_tile (&t, in, out, p, m0, n0);
        tiles[nv - 1][mr - 1][variant][ks] (&t);
      }
    }
  }
}
