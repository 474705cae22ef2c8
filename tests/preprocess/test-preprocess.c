/* mnv3classify: tests of the preprocessing (ORC vs C vs a double reference)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 1. ORC vs C: every format, odd sizes (1x1 ... 641x479), padded strides and
 *    offsets, every crop mode, whole frame and a region. The fast path
 *    sums the wholly covered rows of an output row exactly in 16 bits and
 *    scales the sum once (C: every row scaled, then added), and its
 *    horizontal pass sums 4 lanes at a time, so its sums are reassociated.
 *    Over up to ~130 taps of values up to 255 that moves the raw sum by a
 *    few float ulps of 255 (~1e-5 each) and the normalized value (divided
 *    by 255 * std, ~57) by up to ~2e-6: hence |d| <= 1e-5 + 1e-5 |want|,
 *    still 1/1700 of one 8-bit code value. 3x3000 -> 5 puts 600 rows in an
 *    output row, past the 16-bit sum's limit of 257 (flushed at 256).
 * 2. C path vs an independent double-precision reference written from the
 *    documented formulas: every pixel read with a hand-written accessor per
 *    format, converted to RGB with the textbook BT.601/BT.709 matrix and
 *    range, then averaged over the exact area each output pixel covers.
 * 3. Uniform colours give the expected normalized constant.
 * 4. A GstVideoMeta whose strides do not fit the buffer is refused without
 *    reading past it (issue 16 item 13): the buffer ends at a PROT_NONE page.
 * Run once normally and once with ORC_CODE=backup (meson does both).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3preprocess.h"
#include "test-formats.h"

static const gfloat mean_tv[3] = { 0.485f, 0.456f, 0.406f };
static const gfloat std_tv[3] = { 0.229f, 0.224f, 0.225f };


static const GstMnv3CropMode modes[] = {
  GST_MNV3_CROP_CENTER, GST_MNV3_CROP_STRETCH, GST_MNV3_CROP_LETTERBOX
};

static const gchar *mode_names[] = { "center", "stretch", "letterbox" };

static gint failures = 0;
static guint32 seed = 12345;

#define FAIL(...) G_STMT_START { failures++; g_printerr ("FAIL: "); \
    g_printerr (__VA_ARGS__); g_printerr ("\n"); } G_STMT_END

/* A frame with padded strides (padding right) and shifted plane offsets
 * (padding top/left), filled with random bytes, padding included, so that
 * reading outside the visible area changes the result. */
typedef struct
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstVideoFrame frame;
} TestFrame;

static void
test_frame_init (TestFrame * tf, GstVideoFormat format, gint w, gint h,
    GRand * rand, const gchar * colorimetry)
{
  GstVideoAlignment align;
  GstMapInfo map;

  gst_video_info_set_format (&tf->info, format, w, h);
  if (colorimetry)
    g_assert (gst_video_colorimetry_from_string (&tf->info.colorimetry,
            colorimetry));
  gst_video_alignment_reset (&align);
  align.padding_top = 2;
  align.padding_left = 6;
  align.padding_right = 10;
  align.padding_bottom = 2;
  g_assert (gst_video_info_align (&tf->info, &align));
  tf->buf = gst_buffer_new_allocate (NULL, tf->info.size, NULL);
  gst_buffer_map (tf->buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = g_rand_int_range (rand, 0, 256);
  /* 16-bit samples: valid words only (depth bits at their shift); every
   * plane and row starts on an even byte */
  if (GST_VIDEO_FORMAT_INFO_BITS (tf->info.finfo) > 8) {
    gint depth = GST_VIDEO_INFO_COMP_DEPTH (&tf->info, 0);
    gint shift = tf->info.finfo->shift[0];
    guint16 mask = ((1u << depth) - 1) << shift;
    for (gsize i = 0; i + 1 < map.size; i += 2)
      GST_WRITE_UINT16_LE (map.data + i, GST_READ_UINT16_LE (map.data + i)
          & mask);
  }
  gst_buffer_unmap (tf->buf, &map);
  g_assert (gst_video_frame_map (&tf->frame, &tf->info, tf->buf, GST_MAP_READ));
}

static void
test_frame_clear (TestFrame * tf)
{
  gst_video_frame_unmap (&tf->frame);
  gst_buffer_unref (tf->buf);
}

/* ---- the independent reference ---- */

static const guint8 *
row_of (const GstVideoFrame * f, gint plane, gint y)
{
  return (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, plane) +
      (gsize) y *GST_VIDEO_FRAME_PLANE_STRIDE (f, plane);
}

/* The formats added for issue 12 are read through GStreamer's own unpack
 * functions (an implementation independent of ours): the row to AYUV/ARGB
 * (8 bits) or AYUV64/ARGB64 (16 bits, values shifted up by 16 - depth with
 * GST_VIDEO_PACK_FLAG_TRUNCATE_RANGE), then back to code values. */
static void
read_pixel_unpacked (const GstVideoFrame * f, gint x, gint y, gint v[3])
{
  static gpointer row = NULL;
  static gsize row_size = 0;
  const GstVideoFormatInfo *finfo = f->info.finfo;
  const GstVideoFormatInfo *uinfo =
      gst_video_format_get_info (finfo->unpack_format);
  gint w = GST_VIDEO_FRAME_WIDTH (f);
  gint depth = GST_VIDEO_FORMAT_INFO_DEPTH (finfo, 0);
  gint ubits = GST_VIDEO_FORMAT_INFO_BITS (uinfo);
  gsize need = (gsize) w * 4 * (ubits / 8);
  gint a[4];

  if (need > row_size) {
    row = g_realloc (row, need);
    row_size = need;
  }
  finfo->unpack_func (finfo, GST_VIDEO_PACK_FLAG_TRUNCATE_RANGE, row,
      f->data, f->info.stride, 0, y, w);
  for (gint k = 0; k < 4; k++) {
    if (ubits == 8)
      a[k] = ((const guint8 *) row)[4 * x + k];
    else
      a[k] = ((const guint16 *) row)[4 * x + k] >> (16 - depth);
  }
  /* A Y U V or A R G B */
  v[0] = a[1], v[1] = a[2], v[2] = a[3];
  if (GST_VIDEO_FORMAT_INFO_IS_GRAY (finfo))
    v[1] = v[2] = v[0];
}

/* raw component values at (x, y): r,g,b or y,u,v or gray in v[0] */
static void
read_pixel (const GstVideoFrame * f, gint x, gint y, gint v[3])
{
  const guint8 *p;

  switch (GST_VIDEO_FRAME_FORMAT (f)) {
    case GST_VIDEO_FORMAT_RGB:
      p = row_of (f, 0, y) + 3 * x;
      v[0] = p[0], v[1] = p[1], v[2] = p[2];
      break;
    case GST_VIDEO_FORMAT_BGR:
      p = row_of (f, 0, y) + 3 * x;
      v[0] = p[2], v[1] = p[1], v[2] = p[0];
      break;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      p = row_of (f, 0, y) + 4 * x;
      v[0] = p[0], v[1] = p[1], v[2] = p[2];
      break;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      p = row_of (f, 0, y) + 4 * x;
      v[0] = p[2], v[1] = p[1], v[2] = p[0];
      break;
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_ARGB:
      p = row_of (f, 0, y) + 4 * x;
      v[0] = p[1], v[1] = p[2], v[2] = p[3];
      break;
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ABGR:
      p = row_of (f, 0, y) + 4 * x;
      v[0] = p[3], v[1] = p[2], v[2] = p[1];
      break;
    case GST_VIDEO_FORMAT_I420:
      v[0] = row_of (f, 0, y)[x];
      v[1] = row_of (f, 1, y / 2)[x / 2];
      v[2] = row_of (f, 2, y / 2)[x / 2];
      break;
    case GST_VIDEO_FORMAT_YV12:
      /* YV12: plane 1 is V, plane 2 is U */
      v[0] = row_of (f, 0, y)[x];
      v[1] = row_of (f, 2, y / 2)[x / 2];
      v[2] = row_of (f, 1, y / 2)[x / 2];
      break;
    case GST_VIDEO_FORMAT_NV12:
      v[0] = row_of (f, 0, y)[x];
      v[1] = row_of (f, 1, y / 2)[2 * (x / 2)];
      v[2] = row_of (f, 1, y / 2)[2 * (x / 2) + 1];
      break;
    case GST_VIDEO_FORMAT_NV21:
      v[0] = row_of (f, 0, y)[x];
      v[2] = row_of (f, 1, y / 2)[2 * (x / 2)];
      v[1] = row_of (f, 1, y / 2)[2 * (x / 2) + 1];
      break;
    case GST_VIDEO_FORMAT_YUY2:
      p = row_of (f, 0, y);
      v[0] = p[2 * x];
      v[1] = p[4 * (x / 2) + 1];
      v[2] = p[4 * (x / 2) + 3];
      break;
    case GST_VIDEO_FORMAT_UYVY:
      p = row_of (f, 0, y);
      v[0] = p[2 * x + 1];
      v[1] = p[4 * (x / 2)];
      v[2] = p[4 * (x / 2) + 2];
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      v[0] = v[1] = v[2] = row_of (f, 0, y)[x];
      break;
    default:
      read_pixel_unpacked (f, x, y, v);
      break;
  }
}

/* RGB in 0..1 of (x, y), unclamped, textbook Y'CbCr equations */
static void
ref_rgb (const GstVideoFrame * f, gint x, gint y, gdouble rgb[3])
{
  const GstVideoInfo *info = &f->info;
  gint v[3];

  /* code values of depth d: limited range 16..235 and 16..240 times
   * 2^(d - 8), full range 0..2^d - 1 */
  gint d = GST_VIDEO_INFO_COMP_DEPTH (info, 0);
  gdouble top = (1 << d) - 1, u = 1 << (d - 8);

  read_pixel (f, x, y, v);
  if (!GST_VIDEO_INFO_IS_YUV (info)) {
    for (gint c = 0; c < 3; c++)
      rgb[c] = v[c] / top;
    return;
  }

  gdouble kr, kb;
  gboolean hd = GST_VIDEO_INFO_HEIGHT (info) > 576;
  switch (info->colorimetry.matrix) {
    case GST_VIDEO_COLOR_MATRIX_BT709:
      kr = 0.2126, kb = 0.0722;
      break;
    case GST_VIDEO_COLOR_MATRIX_BT601:
      kr = 0.299, kb = 0.114;
      break;
    default:
      kr = hd ? 0.2126 : 0.299;
      kb = hd ? 0.0722 : 0.114;
      break;
  }
  gdouble yy, pb, pr;
  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    yy = v[0] / top;
    pb = (v[1] - 128 * u) / top;
    pr = (v[2] - 128 * u) / top;
  } else {
    yy = (v[0] - 16 * u) / (219 * u);
    pb = (v[1] - 128 * u) / (224 * u);
    pr = (v[2] - 128 * u) / (224 * u);
  }
  gdouble r = yy + 2 * (1 - kr) * pr;
  gdouble b = yy + 2 * (1 - kb) * pb;
  gdouble g = (yy - kr * r - kb * b) / (1 - kr - kb);
  rgb[0] = r, rgb[1] = g, rgb[2] = b;
}

static void
ref_preprocess (const GstVideoFrame * f, const GstVideoRectangle * region,
    gint n, GstMnv3CropMode mode, gdouble * out)
{
  gint W = GST_VIDEO_FRAME_WIDTH (f), H = GST_VIDEO_FRAME_HEIGHT (f);
  gint rx = 0, ry = 0, rw = W, rh = H;
  if (region) {
    rx = MAX (region->x, 0);
    ry = MAX (region->y, 0);
    rw = MIN (region->x + region->w, W) - rx;
    rh = MIN (region->y + region->h, H) - ry;
  }
  /* source rectangle and destination rectangle */
  gdouble sx = rx, sy = ry, sw = rw, sh = rh;
  gint dx = 0, dy = 0, dw = n, dh = n;
  if (mode == GST_MNV3_CROP_CENTER) {
    gint s = MIN (rw, rh);
    sx = rx + (rw - s) / 2;
    sy = ry + (rh - s) / 2;
    sw = sh = s;
  } else if (mode == GST_MNV3_CROP_LETTERBOX) {
    if (rw >= rh) {
      dh = MAX (1, (gint) lround ((gdouble) n * rh / rw));
      dy = (n - dh) / 2;
    } else {
      dw = MAX (1, (gint) lround ((gdouble) n * rw / rh));
      dx = (n - dw) / 2;
    }
  }
  for (gint i = 0; i < n; i++)
    for (gint j = 0; j < n; j++) {
      gdouble acc[3] = { 0, 0, 0 };
      if (i >= dy && i < dy + dh && j >= dx && j < dx + dw) {
        gdouble y0 = sy + (i - dy) * sh / dh, y1 = sy + (i - dy + 1) * sh / dh;
        gdouble x0 = sx + (j - dx) * sw / dw, x1 = sx + (j - dx + 1) * sw / dw;
        gdouble area = (y1 - y0) * (x1 - x0);
        for (gint y = (gint) floor (y0); y < y1; y++)
          for (gint x = (gint) floor (x0); x < x1; x++) {
            gdouble cov = (MIN (y1, y + 1.0) - MAX (y0, (gdouble) y)) *
                (MIN (x1, x + 1.0) - MAX (x0, (gdouble) x));
            gdouble rgb[3];
            if (cov <= 0)
              continue;
            ref_rgb (f, x, y, rgb);
            for (gint c = 0; c < 3; c++)
              acc[c] += cov * rgb[c];
          }
        for (gint c = 0; c < 3; c++)
          acc[c] /= area;
      }
      /* padding (letterbox) is black: acc stays 0 */
      for (gint c = 0; c < 3; c++)
        out[(i * n + j) * 3 + c] = (acc[c] - mean_tv[c]) / std_tv[c];
    }
}

/* ---- checks ---- */

static gboolean
run_pp (TestFrame * tf, gint n, GstMnv3CropMode mode, gboolean orc,
    const GstVideoRectangle * region, gfloat * out, GstVideoRectangle * used)
{
  GstMnv3Preprocess *pp = gst_mnv3_preprocess_new ();
  if (!gst_mnv3_preprocess_set_info (pp, &tf->info, n, mean_tv, std_tv, mode,
          orc)) {
    gst_mnv3_preprocess_free (pp);
    return FALSE;
  }
  /* poison the output so unwritten values show */
  for (gint i = 0; i < n * n * 3; i++)
    out[i] = NAN;
  gst_mnv3_preprocess_run (pp, &tf->frame, region, out, used);
  gst_mnv3_preprocess_free (pp);
  return TRUE;
}

static gboolean
compare (const gchar * what, const gfloat * got, const gdouble * want,
    gint count, gdouble atol, gdouble rtol)
{
  for (gint i = 0; i < count; i++) {
    gdouble d = fabs (got[i] - want[i]);
    if (!(d <= atol + rtol * fabs (want[i]))) {
      FAIL ("%s: index %d (pixel %d channel %d) got %.9g want %.9g "
          "(seed %u)", what, i, i / 3, i % 3, got[i], want[i], seed);
      return FALSE;
    }
  }
  return TRUE;
}

static void
test_orc_vs_c (GRand * rand)
{
  static const gint sizes[][2] = { {1, 1}, {3, 7}, {33, 17}, {641, 479},
  {2, 2}, {7, 3}, {3, 3000}
  };
  static const gint outs[] = { 224, 5 };
  gint n_checks = 0;

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    gdouble max_diff = 0.0;
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      TestFrame tf;
      gint w = sizes[s][0], h = sizes[s][1];
      test_frame_init (&tf, formats[f], w, h, rand, NULL);
      /* a region with odd position and size, partly outside the frame */
      GstVideoRectangle roi = { w / 3, h / 4, w / 2 + 1, h };
      for (guint o = 0; o < G_N_ELEMENTS (outs); o++)
        for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
          for (gint r = 0; r < 2; r++) {
            gint n = outs[o];
            gfloat *a = g_new (gfloat, n * n * 3);
            gfloat *b = g_new (gfloat, n * n * 3);
            gdouble *bd = g_new (gdouble, n * n * 3);
            GstVideoRectangle ua, ub;
            gchar *what = g_strdup_printf ("orc vs c %s %dx%d -> %d %s %s",
                gst_video_format_to_string (formats[f]), w, h, n,
                mode_names[m], r ? "roi" : "full");
            const GstVideoRectangle *region = r ? &roi : NULL;

            g_assert (run_pp (&tf, n, modes[m], TRUE, region, a, &ua));
            g_assert (run_pp (&tf, n, modes[m], FALSE, region, b, &ub));
            for (gint i = 0; i < n * n * 3; i++)
              bd[i] = b[i];
            if (memcmp (&ua, &ub, sizeof (ua)) != 0)
              FAIL ("%s: used rectangles differ", what);
            compare (what, a, bd, n * n * 3, 1e-5, 1e-5);
            for (gint i = 0; i < n * n * 3; i++)
              max_diff = MAX (max_diff, fabs (a[i] - bd[i]));
            n_checks++;
            g_free (what);
            g_free (a);
            g_free (b);
            g_free (bd);
          }
      test_frame_clear (&tf);
    }
    g_print ("orc vs c %-10s max |diff| %.3g\n",
        gst_video_format_to_string (formats[f]), max_diff);
  }
  g_print ("orc vs c: %d comparisons\n", n_checks);
}

static void
test_vs_reference (GRand * rand)
{
  static const gint sizes[][2] = { {1, 1}, {3, 7}, {33, 17}, {40, 30},
  {2, 5}
  };
  static const gint outs[] = { 16, 7, 48 };
  static const gchar *colorimetries[] = { NULL, "bt601", "bt709",
    "1:4:0:0" /* full-range BT.601, as JPEG */ , "1:3:0:0"
  };
  gint n_checks = 0;

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      for (guint ci = 0; ci < G_N_ELEMENTS (colorimetries); ci++) {
        TestFrame tf;
        gint w = sizes[s][0], h = sizes[s][1];
        if (ci > 0 && !GST_VIDEO_FORMAT_INFO_IS_YUV (gst_video_format_get_info
                (formats[f])))
          continue;
        test_frame_init (&tf, formats[f], w, h, rand, colorimetries[ci]);
        GstVideoRectangle roi = { w / 4, h / 3, (w + 1) / 2, (h + 2) / 2 };
        for (guint o = 0; o < G_N_ELEMENTS (outs); o++)
          for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
            for (gint r = 0; r < 2; r++) {
              gint n = outs[o];
              gfloat *got = g_new (gfloat, n * n * 3);
              gdouble *want = g_new (gdouble, n * n * 3);
              const GstVideoRectangle *region = r ? &roi : NULL;
              gchar *what = g_strdup_printf ("c vs ref %s %s %dx%d -> %d %s "
                  "%s", gst_video_format_to_string (formats[f]),
                  colorimetries[ci] ? colorimetries[ci] : "default", w, h, n,
                  mode_names[m], r ? "roi" : "full");

              g_assert (run_pp (&tf, n, modes[m], FALSE, region, got, NULL));
              ref_preprocess (&tf.frame, region, n, modes[m], want);
              /* float accumulation of weights summing to 1 over values up to
               * 255, then / (255 * std): a few float ulps of 255 */
              compare (what, got, want, n * n * 3, 1e-4, 1e-5);
              n_checks++;
              g_free (what);
              g_free (got);
              g_free (want);
            }
        test_frame_clear (&tf);
      }
  g_print ("c vs double reference: %d comparisons\n", n_checks);
}

static void
fill_uniform (TestFrame * tf, const gint v[3])
{
  const GstVideoFrame *f = &tf->frame;

  /* write through the component layout of the format info */
  for (guint k = 0; k < GST_VIDEO_FRAME_N_COMPONENTS (f); k++) {
    gint pl = GST_VIDEO_FRAME_COMP_PLANE (f, k);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (f, k);
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (f, k);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (f, k);
    gint d = GST_VIDEO_FRAME_COMP_DEPTH (f, k);
    gint val = (k < 3 ? v[k] : 255) << (d - 8);
    val <<= f->info.finfo->shift[k];
    for (gint y = 0; y < ch; y++) {
      /* P010's V follows U (GStreamer's info says offset 1) */
      gint off = GST_VIDEO_FRAME_FORMAT (f) == GST_VIDEO_FORMAT_P010_10LE
          && k == 2 ? 2 : GST_VIDEO_FRAME_COMP_POFFSET (f, k);
      guint8 *row = (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, pl) + off +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (f, pl);
      for (gint x = 0; x < cw; x++) {
        if (d > 8)
          GST_WRITE_UINT16_LE (row + x * ps, val);
        else
          row[x * ps] = val;
      }
    }
  }
}

/* colour code values and the RGB (0..1) they stand for */
typedef struct
{
  gint v[3];
  gdouble rgb[3];
} UniformCase;

/* limited range (the default): 16 black, 235 white, U = V = 128 grey */
static const UniformCase uniform_yuv[] = {
  {{16, 128, 128}, {0, 0, 0}},
  {{235, 128, 128}, {1, 1, 1}},
  {{126, 128, 128}, {110 / 219.0, 110 / 219.0, 110 / 219.0}},
};

static const UniformCase uniform_gray[] = {
  {{77, 77, 77}, {77 / 255.0, 77 / 255.0, 77 / 255.0}},
};

static const UniformCase uniform_rgb[] = {
  {{200, 100, 50}, {200 / 255.0, 100 / 255.0, 50 / 255.0}},
  {{0, 255, 3}, {0, 1, 3 / 255.0}},
};

static void
test_uniform (GRand * rand)
{
  gint n_checks = 0;

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    const GstVideoFormatInfo *fi = gst_video_format_get_info (formats[f]);
    gboolean yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (fi);
    gboolean gray = GST_VIDEO_FORMAT_INFO_IS_GRAY (fi);
    const UniformCase *cases;
    gint n_cases;
    if (yuv) {
      cases = uniform_yuv;
      n_cases = G_N_ELEMENTS (uniform_yuv);
    } else if (gray) {
      cases = uniform_gray;
      n_cases = G_N_ELEMENTS (uniform_gray);
    } else {
      cases = uniform_rgb;
      n_cases = G_N_ELEMENTS (uniform_rgb);
    }
    for (guint c = 0; c < (guint) n_cases; c++)
      for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
        for (gint orc = 0; orc < 2; orc++) {
          TestFrame tf;
          const gint n = 224;
          gfloat *got = g_new (gfloat, n * n * 3);
          gdouble *want = g_new (gdouble, n * n * 3);
          test_frame_init (&tf, formats[f], 97, 61, rand, NULL);
          fill_uniform (&tf, cases[c].v);
          g_assert (run_pp (&tf, n, modes[m], orc, NULL, got, NULL));
          /* letterbox of 97x61: rows outside the centred 141 are black */
          gint dh = m == 2 ? (gint) lround (224.0 * 61 / 97) : n;
          gint dy = (n - dh) / 2;
          /* full-range code values of d bits: v 2^(d - 8) / (2^d - 1) */
          gint d = GST_VIDEO_FORMAT_INFO_DEPTH (fi, 0);
          gdouble rgb[3];
          for (gint k = 0; k < 3; k++)
            rgb[k] = yuv || d == 8 ? cases[c].rgb[k] :
                (gdouble) (cases[c].v[k] << (d - 8)) / ((1 << d) - 1);
          for (gint i = 0; i < n * n; i++) {
            gint y = i / n;
            gboolean pad = y < dy || y >= dy + dh;
            for (gint k = 0; k < 3; k++)
              want[i * 3 + k] = ((pad ? 0.0 : rgb[k]) - mean_tv[k]) / std_tv[k];
          }
          gchar *what = g_strdup_printf ("uniform %s case %d %s %s",
              gst_video_format_to_string (formats[f]), c, mode_names[m],
              orc ? "orc" : "c");
          compare (what, got, want, n * n * 3, 1e-5, 1e-5);
          n_checks++;
          g_free (what);
          g_free (got);
          g_free (want);
          test_frame_clear (&tf);
        }
  }
  g_print ("uniform colours: %d checks\n", n_checks);
}

static void
test_misc (GRand * rand)
{
  TestFrame tf;
  gfloat *out = g_new (gfloat, 8 * 8 * 3);
  GstVideoRectangle used;
  GstMnv3Preprocess *pp = gst_mnv3_preprocess_new ();
  GstVideoInfo info;

  /* unsupported format */
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_v210, 64, 64);
  if (gst_mnv3_preprocess_set_info (pp, &info, 8, mean_tv, std_tv,
          GST_MNV3_CROP_CENTER, TRUE))
    FAIL ("v210 accepted");

  /* used rectangle for center crop of 40x30 */
  test_frame_init (&tf, GST_VIDEO_FORMAT_RGBx, 40, 30, rand, NULL);
  g_assert (run_pp (&tf, 8, GST_MNV3_CROP_CENTER, TRUE, NULL, out, &used));
  if (used.x != 5 || used.y != 0 || used.w != 30 || used.h != 30)
    FAIL ("center crop used %d,%d %dx%d", used.x, used.y, used.w, used.h);
  /* region clamped to the frame */
  GstVideoRectangle roi = { -10, 20, 100, 100 };
  g_assert (run_pp (&tf, 8, GST_MNV3_CROP_STRETCH, TRUE, &roi, out, &used));
  if (used.x != 0 || used.y != 20 || used.w != 40 || used.h != 10)
    FAIL ("clamped region used %d,%d %dx%d", used.x, used.y, used.w, used.h);
  /* region entirely outside: black */
  GstVideoRectangle outside = { 100, 100, 5, 5 };
  g_assert (run_pp (&tf, 8, GST_MNV3_CROP_STRETCH, TRUE, &outside, out, &used));
  if (used.w != 0 || used.h != 0)
    FAIL ("outside region used %dx%d", used.w, used.h);
  for (gint i = 0; i < 8 * 8 * 3; i++)
    if (fabs (out[i] - (0 - mean_tv[i % 3]) / std_tv[i % 3]) > 1e-6) {
      FAIL ("outside region not black at %d", i);
      break;
    }
  test_frame_clear (&tf);

  /* one object, several frames and regions: tables are rebuilt correctly */
  test_frame_init (&tf, GST_VIDEO_FORMAT_NV12, 65, 49, rand, NULL);
  gst_mnv3_preprocess_set_info (pp, &tf.info, 8, mean_tv, std_tv,
      GST_MNV3_CROP_STRETCH, TRUE);
  for (gint k = 0; k < 4; k++) {
    GstVideoRectangle rr = { k * 7, k * 5, 20 + k, 11 + 3 * k };
    gfloat *want = g_new (gfloat, 8 * 8 * 3);
    gst_mnv3_preprocess_run (pp, &tf.frame, &rr, out, NULL);
    g_assert (run_pp (&tf, 8, GST_MNV3_CROP_STRETCH, TRUE, &rr, want, NULL));
    if (memcmp (out, want, 8 * 8 * 3 * sizeof (gfloat)) != 0)
      FAIL ("reused object differs from a fresh one for region %d", k);
    g_free (want);
  }
  g_print ("path: %s\n", gst_mnv3_preprocess_get_path (pp));
  test_frame_clear (&tf);
  gst_mnv3_preprocess_free (pp);
  g_free (out);
}

/* A buffer of @size bytes that ends where an inaccessible page begins, so
 * that any read past it faults. */
static guint8 *
guarded_alloc (gsize size, gpointer * base, gsize * len)
{
  gsize pg = sysconf (_SC_PAGESIZE);
  gsize n = (size + pg - 1) / pg + 1;
  guint8 *b = mmap (NULL, n * pg, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  g_assert (b != MAP_FAILED);
  g_assert (mprotect (b + (n - 1) * pg, pg, PROT_NONE) == 0);
  *base = b;
  *len = n * pg;
  memset (b, 0x80, (n - 1) * pg);
  return b + (n - 1) * pg - size;
}

static void
test_video_meta_bounds (void)
{
  const gint w = 64, h = 48, n = 16;
  static const GstVideoFormat fmts[] = { GST_VIDEO_FORMAT_NV12,
    GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_I420_10LE
  };
  gfloat *out = g_new (gfloat, n * n * 3);
  gint n_checks = 0;

  for (guint f = 0; f < G_N_ELEMENTS (fmts); f++)
    for (gint c = 0; c < 4; c++) {
      GstVideoInfo info;
      GstVideoFrame frame;
      gpointer base;
      gsize len;
      gsize offset[GST_VIDEO_MAX_PLANES];
      gint stride[GST_VIDEO_MAX_PLANES];
      const gchar *fmt = gst_video_format_to_string (fmts[f]);

      gst_video_info_set_format (&info, fmts[f], w, h);
      guint8 *data = guarded_alloc (info.size, &base, &len);
      GstBuffer *buf = gst_buffer_new_wrapped_full (0, data, info.size, 0,
          info.size, NULL, NULL);
      for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
        offset[p] = info.offset[p];
        stride[p] = info.stride[p];
      }
      /* 0: the true layout (read up to the last byte, accepted);
       * 1: the first plane's stride doubled; 2: the last plane's stride
       * one byte too large; 3: a negative stride from the first row */
      guint last = GST_VIDEO_INFO_N_PLANES (&info) - 1;
      if (c == 1)
        stride[0] *= 2;
      else if (c == 2)
        stride[last] += 1;
      else if (c == 3)
        stride[0] = -stride[0];
      gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE, fmts[f],
          w, h, GST_VIDEO_INFO_N_PLANES (&info), offset, stride);
      g_assert (gst_video_frame_map (&frame, &info, buf, GST_MAP_READ));
      for (gint orc = 0; orc < 2; orc++) {
        GstMnv3Preprocess *pp = gst_mnv3_preprocess_new ();
        g_assert (gst_mnv3_preprocess_set_info (pp, &info, n, mean_tv, std_tv,
                GST_MNV3_CROP_STRETCH, orc));
        gboolean ok = gst_mnv3_preprocess_run (pp, &frame, NULL, out, NULL);
        if (ok != (c == 0))
          FAIL ("video meta %s case %d %s: run returned %d", fmt, c,
              orc ? "orc" : "c", ok);
        if (!ok && fabs (out[0] - (0 - mean_tv[0]) / std_tv[0]) > 1e-6)
          FAIL ("video meta %s case %d: refused frame not black", fmt, c);
        gst_mnv3_preprocess_free (pp);
        n_checks++;
      }
      gst_video_frame_unmap (&frame);
      gst_buffer_unref (buf);
      munmap (base, len);
    }
  g_free (out);
  g_print ("video meta bounds: %d checks\n", n_checks);
}

int
main (int argc, char **argv)
{
  const gchar *s;
  GRand *rand;

  gst_init (&argc, &argv);
  if ((s = g_getenv ("MNV3_TEST_SEED")))
    seed = (guint32) g_ascii_strtoull (s, NULL, 10);
  g_print ("seed %u, ORC_CODE=%s\n", seed, g_getenv ("ORC_CODE") ?
      g_getenv ("ORC_CODE") : "(unset)");
  rand = g_rand_new_with_seed (seed);

  test_misc (rand);
  test_video_meta_bounds ();
  test_uniform (rand);
  test_vs_reference (rand);
  test_orc_vs_c (rand);

  g_rand_free (rand);
  if (failures) {
    g_printerr ("%d failures\n", failures);
    return 1;
  }
  g_print ("all passed\n");
  return 0;
}
