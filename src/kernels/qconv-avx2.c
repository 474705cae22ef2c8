/* libmnv3 kernels: integer convolutions, AVX2
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reference integer convolutions (qconv-ref.c) with vpmaddwd: inputs
 * widened to int16 and taken in pairs against the weight pairs the
 * builder packs (kernels.h), int32 sums, then the vector requantization of
 * q-avx2.h. Bit-exact with the reference kernels (tests/kernels).
 */
#include <string.h>
#include "q-avx2.h"

#define MR 4                    /* rows per 1x1 tile */
#define MAX_KPAIRS 2048         /* K up to 4096, else the reference kernel */
#define MAX_DW_C 4096           /* channels of the depthwise zero-point row */

/* One row of a 1x1 conv from its input pairs @xs. */
static void
conv1x1_row (const int32_t * xs, uint8_t * y, size_t kp,
    const struct mnv3_qconv1x1_params *p)
{
  const size_t P = MNV3_QPANEL;
  const __m256i zp = _mm256_set1_epi32 (p->rq.out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->rq.out_min);
  const __m256i hi = _mm256_set1_epi32 (p->rq.out_max);
  for (size_t n0 = 0; n0 < p->n; n0 += P) {
    const size_t nn = p->n - n0 < P ? p->n - n0 : P;
    int32_t pad[3][16];
    const int32_t *bias = p->bias + n0, *mult = p->rq.mult + n0;
    const int32_t *shift = p->rq.shift + n0;
    if (nn < P) {               /* the last panel: zeros past N */
      memset (pad, 0, sizeof pad);
      for (size_t j = 0; j < nn; j++) {
        pad[0][j] = bias[j];
        pad[1][j] = mult[j];
        pad[2][j] = shift[j];
      }
      bias = pad[0];
      mult = pad[1];
      shift = pad[2];
    }
    const int16_t *w = p->wp + (n0 / P) * p->wp_panel;
    __m256i a0 = _mm256_loadu_si256 ((const __m256i *) bias);
    __m256i a1 = _mm256_loadu_si256 ((const __m256i *) (bias + 8));
    __m256i c0 = _mm256_setzero_si256 (), c1 = _mm256_setzero_si256 ();
    size_t j = 0;
    for (; j + 2 <= kp; j += 2) {
      __m256i x0 = _mm256_set1_epi32 (xs[j]);
      __m256i x1 = _mm256_set1_epi32 (xs[j + 1]);
      a0 = _mm256_add_epi32 (a0, _mm256_madd_epi16 (x0,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32))));
      a1 = _mm256_add_epi32 (a1, _mm256_madd_epi16 (x0,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32 + 16))));
      c0 = _mm256_add_epi32 (c0, _mm256_madd_epi16 (x1,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32 + 32))));
      c1 = _mm256_add_epi32 (c1, _mm256_madd_epi16 (x1,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32 + 48))));
    }
    for (; j < kp; j++) {
      __m256i x0 = _mm256_set1_epi32 (xs[j]);
      a0 = _mm256_add_epi32 (a0, _mm256_madd_epi16 (x0,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32))));
      a1 = _mm256_add_epi32 (a1, _mm256_madd_epi16 (x0,
              _mm256_loadu_si256 ((const __m256i *) (w + j * 32 + 16))));
    }
    a0 = _mm256_add_epi32 (a0, c0);
    a1 = _mm256_add_epi32 (a1, c1);
    mnv3_store_u8x8_avx2 (y + n0, mnv3_requant_avx2 (a0,
            _mm256_loadu_si256 ((const __m256i *) mult),
            _mm256_loadu_si256 ((const __m256i *) shift), zp, lo, hi), nn);
    if (nn > 8)
      mnv3_store_u8x8_avx2 (y + n0 + 8, mnv3_requant_avx2 (a1,
              _mm256_loadu_si256 ((const __m256i *) (mult + 8)),
              _mm256_loadu_si256 ((const __m256i *) (shift + 8)), zp, lo,
              hi), nn - 8);
  }
}

/* 1x1: MR rows x 16 columns per tile, the row inputs as (x[2j] | x[2j+1]
 * << 16) pairs broadcast against a panel's 2 x 16 weights. */
void
mnv3_u8_conv1x1__avx2 (const uint8_t * in, uint8_t * out,
    const struct mnv3_qconv1x1_params *p)
{
  const size_t K = p->k, kp = (K + 1) / 2, P = MNV3_QPANEL;
  if (kp > MAX_KPAIRS || !p->wp) {
    mnv3_u8_conv1x1__ref (in, out, p);
    return;
  }
  static _Thread_local int32_t xs[MR][MAX_KPAIRS];
  const __m256i zp = _mm256_set1_epi32 (p->rq.out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->rq.out_min);
  const __m256i hi = _mm256_set1_epi32 (p->rq.out_max);

  for (size_t m0 = 0; m0 < p->m; m0 += MR) {
    size_t mr = p->m - m0 < MR ? p->m - m0 : MR;
    for (size_t r = 0; r < MR; r++) {
      const uint8_t *x = in + (m0 + (r < mr ? r : 0)) * p->in_stride;
      for (size_t j = 0; j < K / 2; j++)
        xs[r][j] = (int32_t) x[2 * j] | ((int32_t) x[2 * j + 1] << 16);
      if (K % 2)
        xs[r][kp - 1] = x[K - 1];
    }
    if (mr < MR) {
      /* the last rows (and GEMVs) one at a time */
      for (size_t r = 0; r < mr; r++)
        conv1x1_row (xs[r], out + (m0 + r) * p->out_stride, kp, p);
      continue;
    }
    for (size_t n0 = 0; n0 < p->n; n0 += P) {
      const size_t nn = p->n - n0 < P ? p->n - n0 : P;
      int32_t pad[3][16];
      const int32_t *bias = p->bias + n0, *mult = p->rq.mult + n0;
      const int32_t *shift = p->rq.shift + n0;
      if (nn < P) {             /* the last panel: zeros past N */
        memset (pad, 0, sizeof pad);
        for (size_t j = 0; j < nn; j++) {
          pad[0][j] = bias[j];
          pad[1][j] = mult[j];
          pad[2][j] = shift[j];
        }
        bias = pad[0];
        mult = pad[1];
        shift = pad[2];
      }
      const int16_t *w = p->wp + (n0 / P) * p->wp_panel;
      __m256i b0 = _mm256_loadu_si256 ((const __m256i *) bias);
      __m256i b1 = _mm256_loadu_si256 ((const __m256i *) (bias + 8));
      __m256i a00 = b0, a01 = b1, a10 = b0, a11 = b1;
      __m256i a20 = b0, a21 = b1, a30 = b0, a31 = b1;
      for (size_t j = 0; j < kp; j++) {
        __m256i w0 = _mm256_loadu_si256 ((const __m256i *) (w + j * 32));
        __m256i w1 = _mm256_loadu_si256 ((const __m256i *) (w + j * 32 + 16));
        __m256i x0 = _mm256_set1_epi32 (xs[0][j]);
        __m256i x1 = _mm256_set1_epi32 (xs[1][j]);
        __m256i x2 = _mm256_set1_epi32 (xs[2][j]);
        __m256i x3 = _mm256_set1_epi32 (xs[3][j]);
        a00 = _mm256_add_epi32 (a00, _mm256_madd_epi16 (x0, w0));
        a01 = _mm256_add_epi32 (a01, _mm256_madd_epi16 (x0, w1));
        a10 = _mm256_add_epi32 (a10, _mm256_madd_epi16 (x1, w0));
        a11 = _mm256_add_epi32 (a11, _mm256_madd_epi16 (x1, w1));
        a20 = _mm256_add_epi32 (a20, _mm256_madd_epi16 (x2, w0));
        a21 = _mm256_add_epi32 (a21, _mm256_madd_epi16 (x2, w1));
        a30 = _mm256_add_epi32 (a30, _mm256_madd_epi16 (x3, w0));
        a31 = _mm256_add_epi32 (a31, _mm256_madd_epi16 (x3, w1));
      }
      __m256i m0v = _mm256_loadu_si256 ((const __m256i *) mult);
      __m256i m1v = _mm256_loadu_si256 ((const __m256i *) (mult + 8));
      __m256i s0v = _mm256_loadu_si256 ((const __m256i *) shift);
      __m256i s1v = _mm256_loadu_si256 ((const __m256i *) (shift + 8));
      __m256i acc[MR][2] = { {a00, a01}, {a10, a11}, {a20, a21}, {a30, a31} };
      for (size_t r = 0; r < mr; r++) {
        uint8_t *y = out + (m0 + r) * p->out_stride + n0;
        mnv3_store_u8x8_avx2 (y, mnv3_requant_avx2 (acc[r][0], m0v, s0v, zp,
                lo, hi), nn);
        if (nn > 8)
          mnv3_store_u8x8_avx2 (y + 8, mnv3_requant_avx2 (acc[r][1], m1v,
                  s1v, zp, lo, hi), nn - 8);
      }
    }
  }
}

/* Eight channels of one output pixel: taps in pairs, each pair's inputs
 * interleaved per channel against the packed weight pairs. Taps outside
 * the map read a row of zero points (input - zero point = 0). */
void
mnv3_u8_dwconv__avx2 (const uint8_t * in, uint8_t * out,
    const struct mnv3_qdwconv_params *p)
{
  const size_t C = p->c;
  const int taps = p->k * p->k, pairs = (taps + 1) / 2;
  if (C > MAX_DW_C || !p->wp || taps > 49) {
    mnv3_u8_dwconv__ref (in, out, p);
    return;
  }
  static _Thread_local uint8_t zrow[MAX_DW_C];
  memset (zrow, p->in_zp, C);
  const __m128i zp16 = _mm_set1_epi16 ((short) p->in_zp);
  const __m256i zp = _mm256_set1_epi32 (p->rq.out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->rq.out_min);
  const __m256i hi = _mm256_set1_epi32 (p->rq.out_max);
  const uint8_t *ptr[50];

  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      for (int t = 0; t < taps; t++) {
        long iy = (long) oy * p->stride - p->pad_top + t / p->k;
        long ix = (long) ox * p->stride - p->pad_left + t % p->k;
        ptr[t] = (iy < 0 || iy >= (long) p->ih || ix < 0
            || ix >= (long) p->iw) ? zrow :
            in + ((size_t) iy * p->iw + (size_t) ix) * C;
      }
      ptr[taps] = zrow;         /* the zero-weight tap of an odd count */
      uint8_t *y = out + (oy * p->ow + ox) * C;
      size_t c = 0;
      for (; c + 8 <= C; c += 8) {
        __m256i acc = _mm256_loadu_si256 ((const __m256i *) (p->bias + c));
        for (int j = 0; j < pairs; j++) {
          __m128i a = _mm_sub_epi16 (_mm_cvtepu8_epi16 (_mm_loadl_epi64
                  ((const __m128i *) (ptr[2 * j] + c))), zp16);
          __m128i b = _mm_sub_epi16 (_mm_cvtepu8_epi16 (_mm_loadl_epi64
                  ((const __m128i *) (ptr[2 * j + 1] + c))), zp16);
          __m256i x = _mm256_set_m128i (_mm_unpackhi_epi16 (a, b),
              _mm_unpacklo_epi16 (a, b));
          __m256i w = _mm256_loadu_si256 ((const __m256i *) (p->wp +
                  ((size_t) j * C + c) * 2));
          acc = _mm256_add_epi32 (acc, _mm256_madd_epi16 (x, w));
        }
        __m256i v = mnv3_requant_avx2 (acc,
            _mm256_loadu_si256 ((const __m256i *) (p->rq.mult + c)),
            _mm256_loadu_si256 ((const __m256i *) (p->rq.shift + c)), zp, lo,
            hi);
        mnv3_store_u8x8_avx2 (y + c, v, 8);
      }
      for (; c < C; c++) {
        int32_t acc = p->bias[c];
        for (int t = 0; t < taps; t++)
          acc += ((int32_t) ptr[t][c] - p->in_zp) * p->w[(size_t) t * C + c];
        y[c] = mnv3_requant_u8 (acc, &p->rq, c);
      }
    }
  }
}

/* The stem: the k * k * cin inputs of a pixel as int16 pairs (0 outside
 * the map), broadcast against 2 x 8 output channels of packed weights. */
void
mnv3_u8_conv__avx2 (const uint8_t * in, uint8_t * out,
    const struct mnv3_qconv_params *p)
{
  const size_t F = (size_t) p->k * p->k * p->cin, fp = (F + 1) / 2;
  if (fp > 64 || p->cout % 8 || p->cout > 64 || !p->wp) {
    mnv3_u8_conv__ref (in, out, p);
    return;
  }
  const __m256i zp = _mm256_set1_epi32 (p->rq.out_zp);
  const __m256i lo = _mm256_set1_epi32 (p->rq.out_min);
  const __m256i hi = _mm256_set1_epi32 (p->rq.out_max);
  int16_t xv[128];
  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    for (size_t ox = 0; ox < p->ow; ox++) {
      size_t f = 0;
      for (int ky = 0; ky < p->k; ky++) {
        long iy = (long) oy * p->stride - p->pad_top + ky;
        for (int kx = 0; kx < p->k; kx++) {
          long ix = (long) ox * p->stride - p->pad_left + kx;
          int inside = iy >= 0 && iy < (long) p->ih && ix >= 0
              && ix < (long) p->iw;
          const uint8_t *x = inside ? in + ((size_t) iy * p->iw +
              (size_t) ix) * p->cin : NULL;
          for (size_t ci = 0; ci < p->cin; ci++)
            xv[f++] = inside ? (int16_t) ((int32_t) x[ci] - p->in_zp) : 0;
        }
      }
      xv[F] = 0;
      uint8_t *y = out + (oy * p->ow + ox) * p->cout;
      for (size_t c = 0; c < p->cout; c += 8) {
        __m256i acc = _mm256_loadu_si256 ((const __m256i *) (p->bias + c));
        for (size_t j = 0; j < fp; j++) {
          int32_t pair;
          memcpy (&pair, xv + 2 * j, sizeof pair);
          __m256i w = _mm256_loadu_si256 ((const __m256i *) (p->wp +
                  (j * p->cout + c) * 2));
          acc = _mm256_add_epi32 (acc,
              _mm256_madd_epi16 (_mm256_set1_epi32 (pair), w));
        }
        mnv3_store_u8x8_avx2 (y + c, mnv3_requant_avx2 (acc,
                _mm256_loadu_si256 ((const __m256i *) (p->rq.mult + c)),
                _mm256_loadu_si256 ((const __m256i *) (p->rq.shift + c)),
                zp, lo, hi), 8);
      }
    }
  }
}
