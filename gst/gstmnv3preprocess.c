/* mnv3classify: GstVideoFrame to normalized NHWC input tensor
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Crop, antialiased resize, colour conversion and normalization in one pass.
 *
 * The resize is an area average (box filter with fractional coverage): each
 * output pixel is the mean of the source area it covers, which antialiases
 * any downscale and degrades to a blend of at most two source pixels per axis
 * when upscaling. It is separable and linear, and so is the YUV->RGB matrix
 * (applied without clamping), so the three commute: we resize every component
 * in its own plane and subsampling, then convert the 224x224 result to RGB
 * and normalize with one affine map. Chroma is treated as replicated over its
 * 2x2 (or 2x1) luma block, so resizing the chroma plane with halved
 * coordinates equals upsampling first and resizing afterwards.
 *
 * Passes, per output row:
 *  1. vertical: the raw bytes of every source row the output row covers are
 *     accumulated, weighted, into a float row (ORC, mnv3_orc_accum_*). This
 *     works for every 8-bit format because components stay interleaved; only
 *     the bytes of the crop are touched, and a row on the boundary between
 *     two output rows is read once and feeds both (accum_split). On the
 *     fast path the rows an output row wholly covers, which all weigh the
 *     same, are summed exactly as 16-bit integers and the sum is scaled
 *     once, so only the two boundary rows go through float per source row.
 *  2. horizontal: per component, each output column is the weighted sum of
 *     the accumulated samples it covers (precomputed start/weights, a fixed
 *     tap count per geometry); 4-float vectors on the fast path, four
 *     outputs at a time, scalar loops in the C oracle.
 *  3. colour + normalization: out = A * (c0, c1, c2) + b into NHWC RGB, with
 *     A and b folding the YUV matrix, 1/255, mean and std (four pixels at a
 *     time where the compiler has vector extensions; the same floats).
 * Plain C versions of the row kernels (gst_mnv3_preprocess_*_c) are the
 * oracle; set_info picks ORC or C. Nothing is allocated per frame.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstmnv3preprocess.h"
#include "gstmnv3orc.h"

#ifdef HAVE_ORC
#include <orc/orc.h>
#endif

GST_DEBUG_CATEGORY_STATIC (mnv3_preprocess_debug);
#define GST_CAT_DEFAULT mnv3_preprocess_debug

/* One axis of the area-averaging resize: output i covers samples
 * start[i] .. start[i] + count[i] - 1 with weights w[off[i] ..], which sum
 * to 1. */
typedef struct
{
  gint n;
  gint cap;                     /* capacity of w */
  gint taps;                    /* max count[i] (horizontal tables) */
  gint *start;
  gint *count;
  gint *off;
  gfloat *wfull;                /* weight of a wholly covered sample */
  gfloat *w;
} Mnv3Tab;

/* A component of the source: where its samples are. */
typedef struct
{
  gint plane;
  gint offset;                  /* bytes from the pixel group start */
  gint pstride;                 /* bytes between samples */
  gint wsub, hsub;              /* log2 subsampling */
} Mnv3Comp;

/* Components that share a plane, a horizontal table and a pixel stride are
 * filtered together. */
typedef struct
{
  gint plane;
  gint wsub;
  gint pstride;
  gint n;
  gint comp[3];
  /* vector path: per output, chunks of 4 weights expanded over the
   * interleaved floats of the tap window (see hpass_vec) */
  gint chunks;
  gint wv_cap;
  gfloat *wv;
} Mnv3Group;

typedef void (*Mnv3AccumFirst) (gfloat * d, const guint8 * s, gfloat w, gint n);
typedef void (*Mnv3Accum) (gfloat * d, const guint8 * s, gfloat w, gint n);
typedef void (*Mnv3AccumSplit) (gfloat * d1, gfloat * d2, const guint8 * s,
    gfloat w1, gfloat w2, gint n);
typedef void (*Mnv3HPass) (GstMnv3Preprocess * pp, const Mnv3Group * gr,
    const gfloat * acc, gint span0, gint n);
/* exact integer row sums of the fast path (u8 rows into u16 sums, u16 rows
 * into u32 sums) */
typedef void (*Mnv3Sum2) (gpointer sum, const guint8 * s1, const guint8 * s2,
    gint n);
typedef void (*Mnv3Add1) (gpointer sum, const guint8 * s, gint n);
typedef void (*Mnv3AccumSum) (gfloat * d, gconstpointer sum, gfloat w, gint n);
typedef void (*Mnv3AccumSplitSum) (gfloat * d1, gfloat * d2,
    gconstpointer sum, const guint8 * s, gfloat wsum, gfloat w1, gfloat w2,
    gint n);

struct _GstMnv3Preprocess
{
  gboolean configured;
  GstVideoInfo info;
  gint out_size;
  GstMnv3CropMode mode;
  gboolean use_orc;

  gint n_comps;
  Mnv3Comp comp[3];
  gint n_groups;
  Mnv3Group group[3];
  gint n_planes;
  gint esize;                   /* bytes per sample: 1, or 2 (16-bit LE) */
  gint max_sub;                 /* largest log2 subsampling of any axis */
  gint plane_hsub[GST_VIDEO_MAX_PLANES];
  gint plane_bytes[GST_VIDEO_MAX_PLANES];       /* max samples of a row */

  /* out_c = a[c][0] * c0 + a[c][1] * c1 + a[c][2] * c2 + b[c], c_k 0..255 */
  gfloat a[3][3];
  gfloat b[3];
  gfloat black[3];

  Mnv3Tab htab[3];              /* by wsub */
  Mnv3Tab vtab[3];              /* by hsub */
  GstVideoRectangle tab_src;    /* geometry the tables were built for */
  GstVideoRectangle tab_dst;
  gboolean tab_valid;

  gfloat *acc[GST_VIDEO_MAX_PLANES][2];
  gpointer sum[GST_VIDEO_MAX_PLANES];   /* integer row sums (fast path) */
  gfloat *hrow[3];

  Mnv3AccumFirst accum_first;
  Mnv3Accum accum;
  Mnv3AccumSplit accum_split;
  Mnv3HPass hpass;
  Mnv3Sum2 sum2;
  Mnv3Sum2 add2;
  Mnv3Add1 add1;
  Mnv3AccumSum accum_sum;
  Mnv3AccumSplitSum accum_split_sum;
  gboolean int_sums;            /* sum full-weight rows in 16 bits (ORC) */
  const gchar *path;
};

/* ---- plain C row kernels: the oracle for the ORC ones ---- */

static void
gst_mnv3_preprocess_accum_first_c (gfloat * d, const guint8 * s, gfloat w,
    gint n)
{
  for (gint i = 0; i < n; i++)
    d[i] = (gfloat) s[i] * w;
}

static void
gst_mnv3_preprocess_accum_c (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  for (gint i = 0; i < n; i++) {
    gfloat t = (gfloat) s[i] * w;
    d[i] = d[i] + t;
  }
}

static void
gst_mnv3_preprocess_accum_split_c (gfloat * d1, gfloat * d2, const guint8 * s,
    gfloat w1, gfloat w2, gint n)
{
  for (gint i = 0; i < n; i++) {
    gfloat v = (gfloat) s[i];
    gfloat t = v * w1;
    d1[i] = d1[i] + t;
    d2[i] = v * w2;
  }
}

/* 16-bit little-endian samples (s need not be aligned) */
static void
gst_mnv3_preprocess_accum_first_u16_c (gfloat * d, const guint8 * s, gfloat w,
    gint n)
{
  for (gint i = 0; i < n; i++)
    d[i] = (gfloat) GST_READ_UINT16_LE (s + 2 * i) * w;
}

static void
gst_mnv3_preprocess_accum_u16_c (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  for (gint i = 0; i < n; i++) {
    gfloat t = (gfloat) GST_READ_UINT16_LE (s + 2 * i) * w;
    d[i] = d[i] + t;
  }
}

static void
gst_mnv3_preprocess_accum_split_u16_c (gfloat * d1, gfloat * d2,
    const guint8 * s, gfloat w1, gfloat w2, gint n)
{
  for (gint i = 0; i < n; i++) {
    gfloat v = (gfloat) GST_READ_UINT16_LE (s + 2 * i);
    gfloat t = v * w1;
    d1[i] = d1[i] + t;
    d2[i] = v * w2;
  }
}

/* ORC wrappers: the generated prototypes use orc_uint8 and restrict. */
static void
accum_first_orc (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  mnv3_orc_accum_first_u8_f32 (d, s, w, n);
}

static void
accum_orc (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  mnv3_orc_accum_u8_f32 (d, s, w, n);
}

static void
accum_split_orc (gfloat * d1, gfloat * d2, const guint8 * s, gfloat w1,
    gfloat w2, gint n)
{
  mnv3_orc_accum_split_u8_f32 (d1, d2, s, w1, w2, n);
}

static void
accum_first_u16_orc (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  mnv3_orc_accum_first_u16_f32 (d, (const guint16 *) s, w, n);
}

static void
accum_u16_orc (gfloat * d, const guint8 * s, gfloat w, gint n)
{
  mnv3_orc_accum_u16_f32 (d, (const guint16 *) s, w, n);
}

static void
accum_split_u16_orc (gfloat * d1, gfloat * d2, const guint8 * s, gfloat w1,
    gfloat w2, gint n)
{
  mnv3_orc_accum_split_u16_f32 (d1, d2, (const guint16 *) s, w1, w2, n);
}

/* integer sums: 8-bit rows into 16 bits */
static void
sum2_u8 (gpointer sum, const guint8 * s1, const guint8 * s2, gint n)
{
  mnv3_orc_sum2_u8_u16 (sum, s1, s2, n);
}

static void
add2_u8 (gpointer sum, const guint8 * s1, const guint8 * s2, gint n)
{
  mnv3_orc_add2_u8_u16 (sum, s1, s2, n);
}

static void
add1_u8 (gpointer sum, const guint8 * s, gint n)
{
  mnv3_orc_add_u8_u16 (sum, s, n);
}

static void
accum_sum_u16 (gfloat * d, gconstpointer sum, gfloat w, gint n)
{
  mnv3_orc_accum_u16_f32 (d, sum, w, n);
}

static void
accum_split_sum_u16 (gfloat * d1, gfloat * d2, gconstpointer sum,
    const guint8 * s, gfloat wsum, gfloat w1, gfloat w2, gint n)
{
  mnv3_orc_accum_split_u16_u8_f32 (d1, d2, sum, s, wsum, w1, w2, n);
}

/* 16-bit rows into 32 bits */
static void
sum2_u16 (gpointer sum, const guint8 * s1, const guint8 * s2, gint n)
{
  mnv3_orc_sum2_u16_u32 (sum, (const guint16 *) s1, (const guint16 *) s2, n);
}

static void
add2_u16 (gpointer sum, const guint8 * s1, const guint8 * s2, gint n)
{
  mnv3_orc_add2_u16_u32 (sum, (const guint16 *) s1, (const guint16 *) s2, n);
}

static void
add1_u16 (gpointer sum, const guint8 * s, gint n)
{
  mnv3_orc_add_u16_u32 (sum, (const guint16 *) s, n);
}

static void
accum_sum_u32 (gfloat * d, gconstpointer sum, gfloat w, gint n)
{
  mnv3_orc_accum_u32_f32 (d, sum, w, n);
}

static void
accum_split_sum_u32 (gfloat * d1, gfloat * d2, gconstpointer sum,
    const guint8 * s, gfloat wsum, gfloat w1, gfloat w2, gint n)
{
  mnv3_orc_accum_split_u32_u16_f32 (d1, d2, sum, (const guint16 *) s, wsum,
      w1, w2, n);
}

/* vpass_int (): a full-weight row left without a partner: onto the 16-bit
 * sum if one is open, else straight into the float row. Returns the new row
 * count of the sum. */
static inline gint
vpass_flush (GstMnv3Preprocess * pp, const guint8 * row, gfloat wf, gint len,
    gfloat * acc, gpointer sum, gint n16)
{
  if (n16 == 0) {
    pp->accum (acc, row, wf, len);
    return 0;
  }
  pp->add1 (sum, row, len);
  return n16 + 1;
}

/* Vertical pass of output row oy of one plane, fast path (cnt >= 3): the
 * rows of full weight wfull are summed exactly in 16 bits, two at a time,
 * and scaled once; the fractional boundary rows go through float as in the
 * C path. The sum of wholly covered rows is w * (s_1 + ... + s_k) instead
 * of w * s_1 + ... + w * s_k, which differs from the C oracle by float
 * rounding only (a few ulps of 255). */
static gboolean
vpass_int (GstMnv3Preprocess * pp, const Mnv3Tab * t, gint oy,
    const guint8 * data, gint stride, gint len, gboolean pre, gint next_first,
    gfloat next_w, gfloat * acc, gfloat * acc_next, gpointer sum)
{
  const gfloat *w = t->w + t->off[oy];
  const gint cnt = t->count[oy], r0 = t->start[oy];
  const gfloat wf = t->wfull[oy];
  const guint8 *pend = NULL;
  gint n16 = 0;                 /* rows in sum */
  gboolean share = FALSE;

  if (!pre)
    pp->accum_first (acc, data + (gsize) r0 * stride, w[0], len);
  for (gint k = 1; k < cnt; k++) {
    const guint8 *s = data + (gsize) (r0 + k) * stride;

    share = (k == cnt - 1 && r0 + k == next_first);
    if (!share && w[k] == wf) {
      if (pend == NULL) {
        pend = s;
        continue;
      }
      if (n16 == 0)
        pp->sum2 (sum, pend, s, len);
      else
        pp->add2 (sum, pend, s, len);
      pend = NULL;
      n16 += 2;
      /* a sum holds at most 256 rows: 256 * 255 fits in 16 bits, and
       * 256 * 65535 in 32 bits and, below 2^24, exactly in a float */
      if (n16 >= 256) {
        pp->accum_sum (acc, sum, wf, len);
        n16 = 0;
      }
      continue;
    }
    if (pend != NULL) {
      n16 = vpass_flush (pp, pend, wf, len, acc, sum, n16);
      pend = NULL;
    }
    if (share && n16 > 0) {
      pp->accum_split_sum (acc, acc_next, sum, s, wf, w[k], next_w, len);
      n16 = 0;
    } else if (share) {
      pp->accum_split (acc, acc_next, s, w[k], next_w, len);
    } else {
      pp->accum (acc, s, w[k], len);
    }
  }
  if (pend != NULL)
    n16 = vpass_flush (pp, pend, wf, len, acc, sum, n16);
  if (n16 > 0)
    pp->accum_sum (acc, sum, wf, len);
  return share;
}

/* Vertical pass of output row oy of one plane: acc = the weighted sum of
 * the bytes span0 .. span0 + len of the source rows it covers (data points
 * at span0 of row 0). A row that the next output row shares is read once
 * and also written, with its weight there, into acc_next; returns whether
 * that happened. pre: acc already holds this row's first source row. */
static gboolean
vpass (GstMnv3Preprocess * pp, const Mnv3Tab * t, gint oy, gint n_out,
    const guint8 * data, gint stride, gint len, gboolean pre, gfloat * acc,
    gfloat * acc_next, gpointer sum)
{
  const gint next_first = oy + 1 < n_out ? t->start[oy + 1] : -1;
  const gfloat next_w = oy + 1 < n_out ? t->w[t->off[oy + 1]] : 0.0f;
  const gfloat *w = t->w + t->off[oy];
  const gint cnt = t->count[oy];
  gboolean share = FALSE;

  if (pp->int_sums && cnt >= 3)
    return vpass_int (pp, t, oy, data, stride, len, pre, next_first, next_w,
        acc, acc_next, sum);

  for (gint k = 0; k < cnt; k++) {
    gint row = t->start[oy] + k;
    const guint8 *s = data + (gsize) row * stride;
    gboolean done = (k == 0 && pre);

    share = (k == cnt - 1 && row == next_first);
    if (share) {
      if (done) {
        pp->accum_first (acc_next, s, next_w, len);
      } else if (k == 0) {
        pp->accum_first (acc, s, w[k], len);
        pp->accum_first (acc_next, s, next_w, len);
      } else {
        pp->accum_split (acc, acc_next, s, w[k], next_w, len);
      }
    } else if (!done) {
      if (k == 0)
        pp->accum_first (acc, s, w[k], len);
      else
        pp->accum (acc, s, w[k], len);
    }
  }
  return share;
}

static void gst_mnv3_preprocess_hpass_c (GstMnv3Preprocess * pp,
    const Mnv3Group * gr, const gfloat * acc, gint span0, gint n);
static void hpass_vec (GstMnv3Preprocess * pp, const Mnv3Group * gr,
    const gfloat * acc, gint span0, gint n);

/* ---- tables ---- */

static void
tab_alloc (Mnv3Tab * t, gint n, gint cap)
{
  t->n = n;
  t->cap = cap;
  t->start = g_new0 (gint, n);
  t->count = g_new0 (gint, n);
  t->off = g_new0 (gint, n);
  t->wfull = g_new0 (gfloat, n);
  t->w = g_new0 (gfloat, cap);
}

static void
tab_clear (Mnv3Tab * t)
{
  g_clear_pointer (&t->start, g_free);
  g_clear_pointer (&t->count, g_free);
  g_clear_pointer (&t->off, g_free);
  g_clear_pointer (&t->wfull, g_free);
  g_clear_pointer (&t->w, g_free);
  t->n = t->cap = 0;
}

/* Output i of n covers [s0 + i * scale, s0 + (i + 1) * scale) of a line of
 * limit samples, scale = (s1 - s0) / n; each sample weighs the length of its
 * overlap divided by scale. At most (s1 - s0) + 2n weights. */
static void tab_build (Mnv3Tab * t, gdouble s0, gdouble s1, gint n, gint limit);

/* The same with every output widened to the same number of taps (zero
 * weights; the window shifted left where it would pass the line's end), so
 * the horizontal pass runs fixed-length loops. Needs n * taps <= cap. */
static void
tab_build_fixed (Mnv3Tab * t, gdouble s0, gdouble s1, gint n, gint limit)
{
  gint taps = 0;

  tab_build (t, s0, s1, n, limit);
  for (gint i = 0; i < n; i++)
    taps = MAX (taps, t->count[i]);
  g_assert (taps <= limit);
  g_assert (n * taps <= t->cap);
  /* rewrite back to front so that the packed weights are not overwritten */
  for (gint i = n - 1; i >= 0; i--) {
    gint start = MIN (t->start[i], limit - taps);
    gint lead = t->start[i] - start;
    const gfloat *w = t->w + t->off[i];
    gfloat *dst = t->w + (gsize) i * taps;
    gint cnt = t->count[i];
    /* off[i] <= i * taps, and outputs before i lie below off[i] */
    memmove (dst + lead, w, cnt * sizeof (gfloat));
    for (gint k = 0; k < lead; k++)
      dst[k] = 0.0f;
    for (gint k = lead + cnt; k < taps; k++)
      dst[k] = 0.0f;
    t->start[i] = start;
    t->count[i] = taps;
    t->off[i] = i * taps;
  }
  t->taps = taps;
}

static void
tab_build (Mnv3Tab * t, gdouble s0, gdouble s1, gint n, gint limit)
{
  gdouble scale = (s1 - s0) / n;
  gint o = 0;

  g_assert (n <= t->n);
  for (gint i = 0; i < n; i++) {
    gdouble a = s0 + i * scale;
    gdouble b = (i == n - 1) ? s1 : s0 + (i + 1) * scale;
    gint i0 = (gint) floor (a);
    gint i1 = (gint) ceil (b);

    i0 = CLAMP (i0, 0, limit - 1);
    i1 = CLAMP (i1, i0 + 1, limit);
    t->start[i] = i0;
    t->count[i] = i1 - i0;
    t->off[i] = o;
    /* the same expression as a weight with cov = 1.0, so equal bit for bit
     * to the weights of the wholly covered samples */
    t->wfull[i] = (gfloat) (1.0 / (b - a));
    g_assert (o + (i1 - i0) <= t->cap);
    for (gint k = i0; k < i1; k++) {
      gdouble cov = MIN (b, k + 1.0) - MAX (a, (gdouble) k);
      t->w[o++] = (gfloat) (MAX (cov, 0.0) / (b - a));
    }
  }
}

/* ---- set-up ---- */

gboolean
gst_mnv3_preprocess_format_supported (GstVideoFormat format)
{
  switch (format) {
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_YUY2:
    case GST_VIDEO_FORMAT_UYVY:
    case GST_VIDEO_FORMAT_GRAY8:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
    case GST_VIDEO_FORMAT_Y41B:
    case GST_VIDEO_FORMAT_NV16:
    case GST_VIDEO_FORMAT_NV24:
    case GST_VIDEO_FORMAT_YVYU:
    case GST_VIDEO_FORMAT_v308:
    case GST_VIDEO_FORMAT_IYU2:
    case GST_VIDEO_FORMAT_AYUV:
    case GST_VIDEO_FORMAT_GBR:
      return TRUE;
      /* 16-bit samples: read as host integers, so little-endian hosts only
       * (elsewhere videoconvert does it) */
    case GST_VIDEO_FORMAT_I420_10LE:
    case GST_VIDEO_FORMAT_I422_10LE:
    case GST_VIDEO_FORMAT_Y444_10LE:
    case GST_VIDEO_FORMAT_I420_12LE:
    case GST_VIDEO_FORMAT_I422_12LE:
    case GST_VIDEO_FORMAT_Y444_12LE:
    case GST_VIDEO_FORMAT_P010_10LE:
    case GST_VIDEO_FORMAT_GRAY16_LE:
      return G_BYTE_ORDER == G_LITTLE_ENDIAN;
    default:
      return FALSE;
  }
}

GstMnv3Preprocess *
gst_mnv3_preprocess_new (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (mnv3_preprocess_debug, "mnv3preprocess", 0,
        "mnv3classify preprocessing");
#ifdef HAVE_ORC
    orc_init ();
#endif
    g_once_init_leave (&once, 1);
  }
  return g_new0 (GstMnv3Preprocess, 1);
}

static void
free_buffers (GstMnv3Preprocess * pp)
{
  for (gint i = 0; i < 3; i++) {
    tab_clear (&pp->htab[i]);
    tab_clear (&pp->vtab[i]);
  }
  for (gint p = 0; p < GST_VIDEO_MAX_PLANES; p++) {
    g_clear_pointer (&pp->acc[p][0], g_free);
    g_clear_pointer (&pp->acc[p][1], g_free);
    g_clear_pointer (&pp->sum[p], g_free);
  }
  for (gint c = 0; c < 3; c++)
    g_clear_pointer (&pp->hrow[c], g_free);
  for (gint g = 0; g < 3; g++)
    g_clear_pointer (&pp->group[g].wv, g_free);
  pp->tab_valid = FALSE;
  pp->configured = FALSE;
}

void
gst_mnv3_preprocess_free (GstMnv3Preprocess * pp)
{
  if (pp == NULL)
    return;
  free_buffers (pp);
  g_free (pp);
}

/* Fills rgb01 = m * yuv + m0 (yuv raw 0..255 code values, rgb in 0..1) from
 * the frame's colorimetry: Kr/Kb of its matrix and the offsets/scales of its
 * range, as GStreamer's video-converter does. An unknown matrix gets
 * GStreamer's default for the size (BT.601 up to 576 lines, else BT.709) and
 * an unknown range gets the limited range. */
static void
yuv_matrix (const GstVideoInfo * info, gdouble m[3][3], gdouble m0[3])
{
  GstVideoColorimetry cm = info->colorimetry;
  gdouble kr, kb, kg;
  gint offset[4], scale[4];

  if (!gst_video_color_matrix_get_Kr_Kb (cm.matrix, &kr, &kb)) {
    cm.matrix = GST_VIDEO_INFO_HEIGHT (info) > 576 ?
        GST_VIDEO_COLOR_MATRIX_BT709 : GST_VIDEO_COLOR_MATRIX_BT601;
    gst_video_color_matrix_get_Kr_Kb (cm.matrix, &kr, &kb);
  }
  if (cm.range == GST_VIDEO_COLOR_RANGE_UNKNOWN)
    cm.range = GST_VIDEO_COLOR_RANGE_16_235;
  gst_video_color_range_offsets (cm.range, info->finfo, offset, scale);
  kg = 1.0 - kr - kb;

  /* Y' = (Y - oy) / sy, Pb = (U - ou) / su, Pr = (V - ov) / sv
   * R = Y' + 2 (1 - Kr) Pr,  B = Y' + 2 (1 - Kb) Pb,
   * G = Y' - 2 Kr (1 - Kr) / Kg Pr - 2 Kb (1 - Kb) / Kg Pb */
  gdouble cy = 1.0 / scale[0], cu = 1.0 / scale[1], cv = 1.0 / scale[2];
  gdouble rv = 2.0 * (1.0 - kr), bu = 2.0 * (1.0 - kb);
  gdouble gv = -2.0 * kr * (1.0 - kr) / kg, gu = -2.0 * kb * (1.0 - kb) / kg;

  m[0][0] = cy;
  m[0][1] = 0.0;
  m[0][2] = rv * cv;
  m[1][0] = cy;
  m[1][1] = gu * cu;
  m[1][2] = gv * cv;
  m[2][0] = cy;
  m[2][1] = bu * cu;
  m[2][2] = 0.0;
  for (gint c = 0; c < 3; c++)
    m0[c] = -(m[c][0] * offset[0] + m[c][1] * offset[1] + m[c][2] * offset[2]);

  GST_DEBUG ("YUV matrix %d range %d: Kr %f Kb %f offsets %d,%d,%d scales "
      "%d,%d,%d", cm.matrix, cm.range, kr, kb, offset[0], offset[1],
      offset[2], scale[0], scale[1], scale[2]);
}

gboolean
gst_mnv3_preprocess_set_info (GstMnv3Preprocess * pp,
    const GstVideoInfo * info, gint out_size, const gfloat mean[3],
    const gfloat std[3], GstMnv3CropMode mode, gboolean use_orc)
{
  const GstVideoFormatInfo *finfo;
  GstVideoFormat format;
  gint width, height;
  gdouble m[3][3] = { {0} }, m0[3] = { 0 };

  g_return_val_if_fail (pp != NULL, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (out_size > 0, FALSE);
  g_return_val_if_fail (mean != NULL && std != NULL, FALSE);

  free_buffers (pp);

  format = GST_VIDEO_INFO_FORMAT (info);
  finfo = info->finfo;
  width = GST_VIDEO_INFO_WIDTH (info);
  height = GST_VIDEO_INFO_HEIGHT (info);
  if (!gst_mnv3_preprocess_format_supported (format)) {
    GST_WARNING ("unsupported format %s", gst_video_format_to_string (format));
    return FALSE;
  }
  if (width < 1 || height < 1)
    return FALSE;
  for (gint c = 0; c < 3; c++)
    if (!(std[c] != 0.0f))
      return FALSE;

  pp->info = *info;
  pp->out_size = out_size;
  pp->mode = mode;
  pp->n_comps = GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo) ? 1 : 3;
  pp->n_planes = GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);
  /* every supported format stores all its samples in bytes or all in
   * 16-bit words; offsets and strides below count samples, not bytes */
  pp->esize = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0) > 8 ? 2 : 1;
  pp->max_sub = 0;
  memset (pp->plane_bytes, 0, sizeof (pp->plane_bytes));

  for (gint k = 0; k < pp->n_comps; k++) {
    Mnv3Comp *c = &pp->comp[k];
    c->plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, k);
    c->offset = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, k) / pp->esize;
    c->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, k) / pp->esize;
    c->wsub = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, k);
    c->hsub = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, k);
    /* GStreamer's P010 info gives V the offset 1 (its unpack function knows
     * better): the V word follows the U word */
    if (format == GST_VIDEO_FORMAT_P010_10LE && k == 2)
      c->offset = pp->comp[1].offset + 1;
    g_assert (c->wsub <= 2 && c->hsub <= 2);
    pp->max_sub = MAX (pp->max_sub, MAX (c->wsub, c->hsub));
    pp->plane_hsub[c->plane] = c->hsub;
    /* whole pixel groups (the horizontal windows span them) */
    gint bytes = c->pstride * GST_VIDEO_SUB_SCALE (c->wsub, width);
    pp->plane_bytes[c->plane] = MAX (pp->plane_bytes[c->plane], bytes);
  }

  /* group components */
  pp->n_groups = 0;
  for (gint k = 0; k < pp->n_comps; k++) {
    Mnv3Comp *c = &pp->comp[k];
    gint g;
    for (g = 0; g < pp->n_groups; g++) {
      Mnv3Group *gr = &pp->group[g];
      if (gr->plane == c->plane && gr->wsub == c->wsub &&
          gr->pstride == c->pstride)
        break;
    }
    if (g == pp->n_groups) {
      pp->group[g].plane = c->plane;
      pp->group[g].wsub = c->wsub;
      pp->group[g].pstride = c->pstride;
      pp->group[g].n = 0;
      pp->n_groups++;
    }
    pp->group[g].comp[pp->group[g].n++] = k;
  }

  /* colour: rgb01 = m * c + m0, then (rgb01 - mean) / std */
  if (GST_VIDEO_FORMAT_INFO_IS_YUV (finfo)) {
    yuv_matrix (info, m, m0);
  } else if (pp->n_comps == 1) {
    for (gint c = 0; c < 3; c++)
      m[c][0] = 1.0 / ((1 << GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0)) - 1);
  } else {
    for (gint c = 0; c < 3; c++)
      m[c][c] = 1.0 / ((1 << GST_VIDEO_FORMAT_INFO_DEPTH (finfo, c)) - 1);
  }
  /* samples stored in the high bits (P010): the value is the word / 2^shift
   * (its low bits are zero in valid data) */
  for (gint c = 0; c < 3; c++)
    for (gint k = 0; k < pp->n_comps; k++)
      m[c][k] /= (gdouble) (1 << GST_VIDEO_FORMAT_INFO_SHIFT (finfo, k));
  for (gint c = 0; c < 3; c++) {
    for (gint k = 0; k < 3; k++)
      pp->a[c][k] = (gfloat) (m[c][k] / std[c]);
    pp->b[c] = (gfloat) ((m0[c] - mean[c]) / std[c]);
    pp->black[c] = (gfloat) ((0.0 - mean[c]) / std[c]);
  }

  /* per-caps allocations, sized for any region */
  for (gint s = 0; s <= pp->max_sub; s++) {
    gint w = GST_VIDEO_SUB_SCALE (s, width);
    gint h = GST_VIDEO_SUB_SCALE (s, height);
    tab_alloc (&pp->htab[s], out_size, w + 3 * out_size + 4);
    tab_alloc (&pp->vtab[s], out_size, h + 2 * out_size + 4);
  }
  for (gint p = 0; p < pp->n_planes; p++) {
    /* + 16: the vector pass reads whole 4-float chunks past a window */
    pp->acc[p][0] = g_new0 (gfloat, pp->plane_bytes[p] + 16);
    pp->acc[p][1] = g_new0 (gfloat, pp->plane_bytes[p] + 16);
    pp->sum[p] = g_malloc0 ((pp->plane_bytes[p] + 16) * 2 * pp->esize);
  }
  for (gint c = 0; c < 3; c++)
    pp->hrow[c] = g_new0 (gfloat, out_size);
  /* expanded weights of the vector horizontal pass: taps <= sw / dw + 2 and
   * sw / dw <= 1.5 * max (width, height) / out_size (letterbox rounding) */
  for (gint g = 0; g < pp->n_groups; g++) {
    Mnv3Group *gr = &pp->group[g];
    gint taps_max = (3 * MAX (width, height)) / (2 * out_size) + 3;
    gint chunks_max = (gr->pstride * taps_max + 11) / 12 * 3 + 3;
    gr->wv_cap = out_size * chunks_max * 4;
    gr->wv = g_new0 (gfloat, gr->wv_cap);
  }
  pp->tab_valid = FALSE;

  pp->use_orc = use_orc;
  if (use_orc && pp->esize == 2) {
    pp->accum_first = accum_first_u16_orc;
    pp->accum = accum_u16_orc;
    pp->accum_split = accum_split_u16_orc;
    pp->sum2 = sum2_u16;
    pp->add2 = add2_u16;
    pp->add1 = add1_u16;
    pp->accum_sum = accum_sum_u32;
    pp->accum_split_sum = accum_split_sum_u32;
  } else if (use_orc) {
    pp->accum_first = accum_first_orc;
    pp->accum = accum_orc;
    pp->accum_split = accum_split_orc;
    pp->sum2 = sum2_u8;
    pp->add2 = add2_u8;
    pp->add1 = add1_u8;
    pp->accum_sum = accum_sum_u16;
    pp->accum_split_sum = accum_split_sum_u16;
  }
  if (use_orc) {
    pp->hpass = hpass_vec;
    pp->int_sums = TRUE;
#ifdef HAVE_ORC
    pp->path = "orc";
#else
    pp->path = "orc-backup";
#endif
  } else if (pp->esize == 2) {
    pp->accum_first = gst_mnv3_preprocess_accum_first_u16_c;
    pp->accum = gst_mnv3_preprocess_accum_u16_c;
    pp->accum_split = gst_mnv3_preprocess_accum_split_u16_c;
    pp->hpass = gst_mnv3_preprocess_hpass_c;
    pp->int_sums = FALSE;
    pp->path = "c";
  } else {
    pp->accum_first = gst_mnv3_preprocess_accum_first_c;
    pp->accum = gst_mnv3_preprocess_accum_c;
    pp->accum_split = gst_mnv3_preprocess_accum_split_c;
    pp->hpass = gst_mnv3_preprocess_hpass_c;
    pp->int_sums = FALSE;
    pp->path = "c";
  }
  GST_DEBUG ("%s %dx%d -> %dx%d, crop mode %d: %s path (%d planes, %d "
      "component groups)", gst_video_format_to_string (format), width, height,
      out_size, out_size, mode, pp->path, pp->n_planes, pp->n_groups);

  pp->configured = TRUE;
  return TRUE;
}

const gchar *
gst_mnv3_preprocess_get_path (GstMnv3Preprocess * pp)
{
  g_return_val_if_fail (pp != NULL, NULL);
  return pp->configured ? pp->path : "none";
}

/* ---- per frame ---- */

static void
fill_black (GstMnv3Preprocess * pp, gfloat * out, gint y, gint x, gint n)
{
  gfloat *o = out + ((gsize) y * pp->out_size + x) * 3;
  for (gint i = 0; i < n; i++) {
    o[3 * i + 0] = pp->black[0];
    o[3 * i + 1] = pp->black[1];
    o[3 * i + 2] = pp->black[2];
  }
}

/* Horizontal pass of one group, plain C: hrow[comp][j] for the n outputs.
 * acc holds the plane's floats from byte span0 on. This is the oracle. */
static void
gst_mnv3_preprocess_hpass_c (GstMnv3Preprocess * pp, const Mnv3Group * gr,
    const gfloat * acc, gint span0, gint n)
{
  const Mnv3Tab *t = &pp->htab[gr->wsub];
  const gint ps = gr->pstride, taps = t->taps;

  for (gint c = 0; c < gr->n; c++) {
    const gfloat *a0 = acc + pp->comp[gr->comp[c]].offset - span0;
    gfloat *h0 = pp->hrow[gr->comp[c]];
    for (gint j = 0; j < n; j++) {
      const gfloat *w = t->w + (gsize) j * taps;
      const gfloat *a = a0 + t->start[j] * ps;
      gfloat sum = 0.0f;
      for (gint k = 0; k < taps; k++)
        sum += w[k] * a[k * ps];
      h0[j] = sum;
    }
  }
}

/* The vector pass treats the taps window of output j as the ps * taps
 * interleaved floats acc[ps * start[j] ...] and multiplies them by weights
 * expanded to the same layout (w[m / ps] at float m, zero past the window)
 * in chunks of 4 floats (12 for ps 3, the period of 3 and 4). Float m
 * belongs to the component at byte offset m % ps, so each component is the
 * sum of the lanes congruent to its offset. */
static void
expand_weights (Mnv3Group * gr, const Mnv3Tab * t, gint n)
{
  const gint ps = gr->pstride, taps = t->taps;
  const gint period = ps == 3 ? 3 : 1;

  gr->chunks = (ps * taps + 4 * period - 1) / (4 * period) * period;
  g_assert ((gsize) n * gr->chunks * 4 <= (gsize) gr->wv_cap);
  for (gint j = 0; j < n; j++) {
    gfloat *wv = gr->wv + (gsize) j * gr->chunks * 4;
    for (gint m = 0; m < gr->chunks * 4; m++)
      wv[m] = m < ps * taps ? t->w[(gsize) j * taps + m / ps] : 0.0f;
  }
}

#if defined(__GNUC__) || defined(__clang__)
typedef gfloat v4sf __attribute__((vector_size (16)));

/* (v[2], v[3], v[0], v[1]) */
static inline v4sf
swap_halves (v4sf v)
{
  v4sf r = { v[2], v[3], v[0], v[1] };
  return r;
}

static inline v4sf
load4 (const gfloat * p)
{
  v4sf v;
  memcpy (&v, p, sizeof (v));
  return v;
}

static inline void
store4 (gfloat * p, v4sf v)
{
  memcpy (p, &v, sizeof (v));
}

/* sum over k < chunks of w[4k .. 4k + 3] * a[4k .. 4k + 3] */
static inline __attribute__((always_inline)) v4sf
dot_chunks (const gfloat * a, const gfloat * w, const gint chunks)
{
  v4sf v = load4 (w) * load4 (a);
  for (gint k = 1; k < chunks; k++)
    v += load4 (w + 4 * k) * load4 (a + 4 * k);
  return v;
}

/* (x[0] + x[2], x[1] + x[3], y[0] + y[2], y[1] + y[3]) */
static inline v4sf
fold_pair (v4sf x, v4sf y)
{
  v4sf lo = { x[0], x[1], y[0], y[1] };
  v4sf hi = { x[2], x[3], y[2], y[3] };
  return lo + hi;
}

/* ps and chunks are compile-time constants in the specialized copies
 * (chunks 0 = run-time gr->chunks) so that the loops unroll and the lanes
 * stay in registers. */
static inline __attribute__((always_inline))
     void hpass_vec_ps (GstMnv3Preprocess * pp, const Mnv3Group * gr,
    const gfloat * acc, gint span0, gint n, const gint ps, const gint cconst)
{
  const Mnv3Tab *t = &pp->htab[gr->wsub];
  const gint chunks = cconst ? cconst : gr->chunks;
  const gint period = ps == 3 ? 3 : 1;
  gint lane0[3];
  gfloat *h[3];

  for (gint c = 0; c < gr->n; c++) {
    lane0[c] = pp->comp[gr->comp[c]].offset % ps;
    h[c] = pp->hrow[gr->comp[c]];
  }
  gint j = 0;
  /* ps 1 and 2, four outputs at a time: their lanes are folded together
   * and stored as vectors, with the same additions in the same order as the
   * one-output loop below */
  for (; ps <= 2 && j + 4 <= n; j += 4) {
    const gfloat *wv = gr->wv + (gsize) j * chunks * 4;
    v4sf v0 = dot_chunks (acc + t->start[j] * ps - span0, wv, chunks);
    v4sf v1 = dot_chunks (acc + t->start[j + 1] * ps - span0,
        wv + chunks * 4, chunks);
    v4sf v2 = dot_chunks (acc + t->start[j + 2] * ps - span0,
        wv + chunks * 8, chunks);
    v4sf v3 = dot_chunks (acc + t->start[j + 3] * ps - span0,
        wv + chunks * 12, chunks);
    /* ps 2: lanes (c0 c1 c0 c1) per output; t01 = (c0 c1) of j, j + 1 */
    v4sf t01 = fold_pair (v0, v1);
    v4sf t23 = fold_pair (v2, v3);
    v4sf even = { t01[0], t01[2], t23[0], t23[2] };
    v4sf odd = { t01[1], t01[3], t23[1], t23[3] };
    if (ps == 1) {
      store4 (h[0] + j, even + odd);
    } else {
      for (gint c = 0; c < gr->n; c++)
        store4 (h[c] + j, lane0[c] ? odd : even);
    }
  }
  for (; j < n; j++) {
    const gfloat *a = acc + t->start[j] * ps - span0;
    const gfloat *wv = gr->wv + (gsize) j * chunks * 4;
    v4sf v[3] = { {0}, {0}, {0} };

    for (gint k = 0; k < chunks; k += period)
      for (gint q = 0; q < period; q++)
        v[q] += load4 (wv + 4 * (k + q)) * load4 (a + 4 * (k + q));
    if (ps == 1) {
      h[0][j] = (v[0][0] + v[0][2]) + (v[0][1] + v[0][3]);
    } else if (ps == 2) {
      v4sf u = v[0] + swap_halves (v[0]);
      for (gint c = 0; c < gr->n; c++)
        h[c][j] = u[lane0[c]];
    } else if (ps == 4) {
      for (gint c = 0; c < gr->n; c++)
        h[c][j] = v[0][lane0[c]];
    } else {
      for (gint c = 0; c < gr->n; c++) {
        gfloat sum = 0.0f;
        for (gint m = lane0[c]; m < 12; m += 3)
          sum += v[m / 4][m % 4];
        h[c][j] = sum;
      }
    }
  }
}

static void
hpass_vec (GstMnv3Preprocess * pp, const Mnv3Group * gr, const gfloat * acc,
    gint span0, gint n)
{
  const gint ch = gr->chunks;

  switch (gr->pstride) {
    case 1:
      if (ch == 1)
        hpass_vec_ps (pp, gr, acc, span0, n, 1, 1);
      else if (ch == 2)
        hpass_vec_ps (pp, gr, acc, span0, n, 1, 2);
      else if (ch == 3)
        hpass_vec_ps (pp, gr, acc, span0, n, 1, 3);
      else if (ch == 4)
        hpass_vec_ps (pp, gr, acc, span0, n, 1, 4);
      else
        hpass_vec_ps (pp, gr, acc, span0, n, 1, 0);
      break;
    case 2:
      if (ch == 1)
        hpass_vec_ps (pp, gr, acc, span0, n, 2, 1);
      else if (ch == 2)
        hpass_vec_ps (pp, gr, acc, span0, n, 2, 2);
      else if (ch == 3)
        hpass_vec_ps (pp, gr, acc, span0, n, 2, 3);
      else
        hpass_vec_ps (pp, gr, acc, span0, n, 2, 0);
      break;
    case 3:
      hpass_vec_ps (pp, gr, acc, span0, n, 3, 0);
      break;
    case 4:
      hpass_vec_ps (pp, gr, acc, span0, n, 4, 0);
      break;
    default:
      gst_mnv3_preprocess_hpass_c (pp, gr, acc, span0, n);
      break;
  }
}
#else
static void
hpass_vec (GstMnv3Preprocess * pp, const Mnv3Group * gr, const gfloat * acc,
    gint span0, gint n)
{
  gst_mnv3_preprocess_hpass_c (pp, gr, acc, span0, n);
}
#endif

#if defined(__GNUC__) || defined(__clang__)

/* The colour step of run() four pixels at a time (the same operations in the
 * same order, so the same floats): returns how many pixels it did. */
static gint
colour_vec (GstMnv3Preprocess * pp, const gfloat * h0, const gfloat * h1,
    const gfloat * h2, gfloat * o, gint n)
{
  const v4sf a00 = { pp->a[0][0], pp->a[0][0], pp->a[0][0], pp->a[0][0] };
  const v4sf a01 = { pp->a[0][1], pp->a[0][1], pp->a[0][1], pp->a[0][1] };
  const v4sf a02 = { pp->a[0][2], pp->a[0][2], pp->a[0][2], pp->a[0][2] };
  const v4sf a10 = { pp->a[1][0], pp->a[1][0], pp->a[1][0], pp->a[1][0] };
  const v4sf a11 = { pp->a[1][1], pp->a[1][1], pp->a[1][1], pp->a[1][1] };
  const v4sf a12 = { pp->a[1][2], pp->a[1][2], pp->a[1][2], pp->a[1][2] };
  const v4sf a20 = { pp->a[2][0], pp->a[2][0], pp->a[2][0], pp->a[2][0] };
  const v4sf a21 = { pp->a[2][1], pp->a[2][1], pp->a[2][1], pp->a[2][1] };
  const v4sf a22 = { pp->a[2][2], pp->a[2][2], pp->a[2][2], pp->a[2][2] };
  const v4sf b0 = { pp->b[0], pp->b[0], pp->b[0], pp->b[0] };
  const v4sf b1 = { pp->b[1], pp->b[1], pp->b[1], pp->b[1] };
  const v4sf b2 = { pp->b[2], pp->b[2], pp->b[2], pp->b[2] };
  gint j;

  for (j = 0; j + 4 <= n; j += 4) {
    v4sf c0 = load4 (h0 + j), c1 = load4 (h1 + j), c2 = load4 (h2 + j);
    v4sf r = a00 * c0 + a01 * c1 + a02 * c2 + b0;
    v4sf g = a10 * c0 + a11 * c1 + a12 * c2 + b1;
    v4sf b = a20 * c0 + a21 * c1 + a22 * c2 + b2;
    /* interleave to r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3 */
    v4sf rg = { r[0], g[0], r[1], g[1] };
    v4sf o0 = { rg[0], rg[1], b[0], rg[2] };
    v4sf o1 = { g[1], b[1], r[2], g[2] };
    v4sf bg = { b[2], b[3], g[3], g[3] };
    v4sf o2 = { bg[0], r[3], bg[2], bg[1] };
    store4 (o + 3 * j, o0);
    store4 (o + 3 * j + 4, o1);
    store4 (o + 3 * j + 8, o2);
  }
  return j;
}
#else
static gint
colour_vec (GstMnv3Preprocess * pp, const gfloat * h0, const gfloat * h1,
    const gfloat * h2, gfloat * o, gint n)
{
  return 0;
}
#endif

static void
compute_geometry (GstMnv3Preprocess * pp, const GstVideoRectangle * r,
    GstVideoRectangle * src, GstVideoRectangle * dst)
{
  gint n = pp->out_size;

  *src = *r;
  dst->x = dst->y = 0;
  dst->w = dst->h = n;
  switch (pp->mode) {
    case GST_MNV3_CROP_CENTER:{
      gint s = MIN (r->w, r->h);
      src->x = r->x + (r->w - s) / 2;
      src->y = r->y + (r->h - s) / 2;
      src->w = src->h = s;
      break;
    }
    case GST_MNV3_CROP_LETTERBOX:
      if (r->w >= r->h) {
        dst->h = CLAMP ((gint) floor ((gdouble) n * r->h / r->w + 0.5), 1, n);
        dst->y = (n - dst->h) / 2;
      } else {
        dst->w = CLAMP ((gint) floor ((gdouble) n * r->w / r->h + 0.5), 1, n);
        dst->x = (n - dst->w) / 2;
      }
      break;
    case GST_MNV3_CROP_STRETCH:
    default:
      break;
  }
}

/* Whether every row of every plane, as the frame's strides and plane
 * pointers describe them, lies inside the memory the frame mapped. A
 * GstVideoMeta is taken as it comes (gst_video_frame_map () checks the size
 * only without one), so a stride or offset that does not fit its buffer
 * would make us read past the mapping (issue 16). */
static gboolean
frame_fits (GstMnv3Preprocess * pp, const GstVideoFrame * frame)
{
  const gint height = GST_VIDEO_INFO_HEIGHT (&pp->info);

  for (gint p = 0; p < pp->n_planes; p++) {
    const GstMapInfo *map = frame->meta ? &frame->map[p] : &frame->map[0];
    const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    gint64 stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
    gint64 rows = GST_VIDEO_SUB_SCALE (pp->plane_hsub[p], height);
    gint64 row_bytes = (gint64) pp->plane_bytes[p] * pp->esize;
    gint64 lo, hi, start;

    if (map->data == NULL || data == NULL || data < map->data)
      return FALSE;
    start = data - map->data;
    lo = start + (stride < 0 ? (rows - 1) * stride : 0);
    hi = start + (stride > 0 ? (rows - 1) * stride : 0) + row_bytes;
    if (lo < 0 || hi > (gint64) map->size
        || (rows > 1 && ABS (stride) < row_bytes))
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_mnv3_preprocess_run (GstMnv3Preprocess * pp, const GstVideoFrame * frame,
    const GstVideoRectangle * region, gfloat * out, GstVideoRectangle * used)
{
  GstVideoRectangle r, src, dst;
  gint width, height, n;
  gint span0[GST_VIDEO_MAX_PLANES], span1[GST_VIDEO_MAX_PLANES];
  gboolean pre[GST_VIDEO_MAX_PLANES];
  gint cur[GST_VIDEO_MAX_PLANES];

  g_return_val_if_fail (pp != NULL && pp->configured, FALSE);
  g_return_val_if_fail (frame != NULL && out != NULL, FALSE);
  g_return_val_if_fail (GST_VIDEO_FRAME_FORMAT (frame) ==
      GST_VIDEO_INFO_FORMAT (&pp->info), FALSE);
  g_return_val_if_fail (GST_VIDEO_FRAME_WIDTH (frame) ==
      GST_VIDEO_INFO_WIDTH (&pp->info), FALSE);
  g_return_val_if_fail (GST_VIDEO_FRAME_HEIGHT (frame) ==
      GST_VIDEO_INFO_HEIGHT (&pp->info), FALSE);

  width = GST_VIDEO_INFO_WIDTH (&pp->info);
  height = GST_VIDEO_INFO_HEIGHT (&pp->info);
  n = pp->out_size;

  if (G_UNLIKELY (!frame_fits (pp, frame))) {
    GST_WARNING ("%s %dx%d frame: a plane's offset or stride does not fit "
        "the buffer's memory; input left black",
        gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&pp->info)),
        width, height);
    for (gint y = 0; y < n; y++)
      fill_black (pp, out, y, 0, n);
    if (used)
      used->x = used->y = used->w = used->h = 0;
    return FALSE;
  }

  /* clamp the region to the frame */
  if (region) {
    gint x0 = MAX (region->x, 0), y0 = MAX (region->y, 0);
    gint x1 = MIN ((gint64) region->x + region->w, width);
    gint y1 = MIN ((gint64) region->y + region->h, height);
    r.x = x0;
    r.y = y0;
    r.w = MAX (x1 - x0, 0);
    r.h = MAX (y1 - y0, 0);
  } else {
    r.x = r.y = 0;
    r.w = width;
    r.h = height;
  }
  if (r.w <= 0 || r.h <= 0) {
    /* nothing of the frame is inside the region: a black input */
    for (gint y = 0; y < n; y++)
      fill_black (pp, out, y, 0, n);
    if (used)
      used->x = used->y = used->w = used->h = 0;
    return TRUE;
  }

  compute_geometry (pp, &r, &src, &dst);
  if (used)
    *used = src;

  if (!pp->tab_valid || memcmp (&src, &pp->tab_src, sizeof (src)) != 0 ||
      memcmp (&dst, &pp->tab_dst, sizeof (dst)) != 0) {
    for (gint s = 0; s <= pp->max_sub; s++) {
      gdouble f = 1.0 / (1 << s);
      tab_build_fixed (&pp->htab[s], src.x * f, (src.x + src.w) * f, dst.w,
          GST_VIDEO_SUB_SCALE (s, width));
      tab_build (&pp->vtab[s], src.y * f, (src.y + src.h) * f, dst.h,
          GST_VIDEO_SUB_SCALE (s, height));
    }
    for (gint g = 0; g < pp->n_groups; g++)
      expand_weights (&pp->group[g], &pp->htab[pp->group[g].wsub], dst.w);
    pp->tab_src = src;
    pp->tab_dst = dst;
    pp->tab_valid = TRUE;
  }

  /* bytes of each plane that the crop touches */
  for (gint p = 0; p < pp->n_planes; p++) {
    span0[p] = G_MAXINT;
    span1[p] = 0;
    pre[p] = FALSE;
    cur[p] = 0;
  }
  for (gint k = 0; k < pp->n_comps; k++) {
    const Mnv3Comp *c = &pp->comp[k];
    const Mnv3Tab *t = &pp->htab[c->wsub];
    gint first = t->start[0];
    gint last = t->start[dst.w - 1] + t->count[dst.w - 1] - 1;
    span0[c->plane] = MIN (span0[c->plane], c->pstride * first);
    span1[c->plane] = MAX (span1[c->plane], c->pstride * (last + 1));
  }

  for (gint y = 0; y < dst.y; y++)
    fill_black (pp, out, y, 0, n);
  for (gint y = dst.y + dst.h; y < n; y++)
    fill_black (pp, out, y, 0, n);

  for (gint oy = 0; oy < dst.h; oy++) {
    /* vertical pass, plane by plane */
    for (gint p = 0; p < pp->n_planes; p++) {
      const guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);

      pre[p] = vpass (pp, &pp->vtab[pp->plane_hsub[p]], oy, dst.h,
          data + (gsize) span0[p] * pp->esize,
          GST_VIDEO_FRAME_PLANE_STRIDE (frame, p),
          span1[p] - span0[p], pre[p], pp->acc[p][cur[p]],
          pp->acc[p][cur[p] ^ 1], pp->sum[p]);
    }

    /* horizontal pass */
    for (gint g = 0; g < pp->n_groups; g++) {
      const Mnv3Group *gr = &pp->group[g];
      pp->hpass (pp, gr, pp->acc[gr->plane][cur[gr->plane]],
          span0[gr->plane], dst.w);
    }
    for (gint p = 0; p < pp->n_planes; p++)
      cur[p] ^= 1;

    /* colour conversion + normalization into NHWC */
    gint y = dst.y + oy;
    gfloat *o = out + ((gsize) y * n + dst.x) * 3;
    fill_black (pp, out, y, 0, dst.x);
    fill_black (pp, out, y, dst.x + dst.w, n - dst.x - dst.w);
    if (pp->n_comps == 1) {
      const gfloat *h0 = pp->hrow[0];
      for (gint j = 0; j < dst.w; j++) {
        o[3 * j + 0] = pp->a[0][0] * h0[j] + pp->b[0];
        o[3 * j + 1] = pp->a[1][0] * h0[j] + pp->b[1];
        o[3 * j + 2] = pp->a[2][0] * h0[j] + pp->b[2];
      }
    } else {
      const gfloat *h0 = pp->hrow[0], *h1 = pp->hrow[1], *h2 = pp->hrow[2];
      const gfloat a00 = pp->a[0][0], a01 = pp->a[0][1], a02 = pp->a[0][2];
      const gfloat a10 = pp->a[1][0], a11 = pp->a[1][1], a12 = pp->a[1][2];
      const gfloat a20 = pp->a[2][0], a21 = pp->a[2][1], a22 = pp->a[2][2];
      const gfloat b0 = pp->b[0], b1 = pp->b[1], b2 = pp->b[2];
      gint j = colour_vec (pp, h0, h1, h2, o, dst.w);
      for (; j < dst.w; j++) {
        gfloat c0 = h0[j], c1 = h1[j], c2 = h2[j];
        o[3 * j + 0] = a00 * c0 + a01 * c1 + a02 * c2 + b0;
        o[3 * j + 1] = a10 * c0 + a11 * c1 + a12 * c2 + b1;
        o[3 * j + 2] = a20 * c0 + a21 * c1 + a22 * c2 + b2;
      }
    }
  }
  return TRUE;
}
