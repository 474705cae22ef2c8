/* mnv3classify: classification results drawn as a video overlay
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Draws "label 87.5%" lines, best first, light text on a semi-transparent
 * dark box, with the built-in 8x16 font (gstmnv3font.h) scaled by an integer
 * factor so the text is about frame_height / 24 tall (at least one font
 * pixel per pixel: 16 px at 240p, 48 px at 1080p, 96 px at 2160p). The
 * pixels are BGRA in memory (GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB on
 * little endian, ARGB on big endian), not premultiplied, in a buffer with a
 * GstVideoMeta, as gst_video_overlay_rectangle_new_raw wants.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "gstmnv3overlay.h"
#include "gstmnv3font.h"

/* colours as B, G, R, A (little endian) */
#define BG_ALPHA 176
#define TEXT_LEVEL 240

static void
put_pixel (guint8 * p, guint8 level, guint8 alpha)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  /* BGRA */
  p[0] = p[1] = p[2] = level;
  p[3] = alpha;
#else
  /* ARGB */
  p[0] = alpha;
  p[1] = p[2] = p[3] = level;
#endif
}

/* Draws the printable-ASCII string s at (x, y), each font pixel an
 * s x s block, clipped to the w x h image: the cost is that of the pixels
 * drawn, whatever the string's length or the scale. */
static void
draw_text (guint8 * img, gint stride, gint w, gint h, gint x, gint y,
    gint scale, const gchar * s)
{
  for (; *s && x < w; s++, x += GST_MNV3_FONT_WIDTH * scale) {
    guchar c = (guchar) * s;
    if (c < GST_MNV3_FONT_FIRST || c > GST_MNV3_FONT_LAST)
      c = '?';
    const guchar *glyph = gst_mnv3_font[c - GST_MNV3_FONT_FIRST];
    for (gint gy = 0; gy < GST_MNV3_FONT_HEIGHT; gy++) {
      guchar bits = glyph[gy];
      gint py0 = MAX (y + gy * scale, 0);
      gint py1 = MIN (y + (gy + 1) * scale, h);
      if (!bits || py1 <= py0)
        continue;
      for (gint gx = 0; gx < GST_MNV3_FONT_WIDTH; gx++) {
        gint px0 = MAX (x + gx * scale, 0);
        gint px1 = MIN (x + (gx + 1) * scale, w);
        if (!(bits & (0x80 >> gx)) || px1 <= px0)
          continue;
        for (gint py = py0; py < py1; py++)
          for (gint px = px0; px < px1; px++)
            put_pixel (img + (gsize) py * stride + px * 4, TEXT_LEVEL, 255);
      }
    }
  }
}

/* characters a line of the smallest frame width per font scale holds */
#define LINE_CHARS 24

/* Integer font scale: text about frame_height / 24 tall, but no wider than
 * LINE_CHARS characters per frame width (narrow and small frames get a
 * smaller font), at least one font pixel per pixel. */
static gint
overlay_scale (gint frame_width, gint frame_height)
{
  gint by_height = (MAX (8, frame_height / 24) + GST_MNV3_FONT_HEIGHT / 2) /
      GST_MNV3_FONT_HEIGHT;
  gint by_width = frame_width / (LINE_CHARS * GST_MNV3_FONT_WIDTH);

  return MAX (1, MIN (by_height, by_width));
}

/**
 * gst_mnv3_overlay_format_line:
 * @out: room for @cap + 1 bytes (and at least 8)
 * @cap: characters the line may have
 * @label: (nullable): the label (%NULL: "?")
 * @score: its score, 0..1
 *
 * Formats one overlay line, "label 87.5%": the label's first synonym
 * ("tabby, tabby cat" -> "tabby"), cut (ending in "~") so that the line
 * fits @cap characters; the score is never cut (a @cap too small for it
 * gives the score alone). Reads at most @cap bytes of @label, so the cost
 * does not depend on the label's length.
 *
 * Returns: the line's length.
 */
gint
gst_mnv3_overlay_format_line (gchar * out, gint cap, const gchar * label,
    gfloat score)
{
  gint pm = gst_mnv3_overlay_score_permille (score);
  gchar num[16];
  gint nl = g_snprintf (num, sizeof (num), "%d.%d%%", pm / 10, pm % 10);
  gint room = cap - nl - 1, len = 0;

  if (label == NULL)
    label = "?";
  if (room <= 0) {
    memcpy (out, num, nl + 1);
    return nl;
  }
  /* up to the first comma, at most room + 1 bytes read */
  while (len <= room && label[len] != '\0' && label[len] != ',')
    len++;
  while (len > 0 && label[len - 1] == ' ')
    len--;
  if (len > room) {
    len = room;
    out[len - 1] = '~';
    memcpy (out, label, len - 1);
  } else {
    memcpy (out, label, len);
  }
  out[len] = ' ';
  memcpy (out + len + 1, num, nl + 1);
  return len + 1 + nl;
}

/**
 * gst_mnv3_overlay_score_permille:
 * @score: a score, 0..1 (clamped)
 *
 * Returns: the score as drawn, in tenths of a percent (0..1000): two scores
 * with the same value here give the same text, so a caller can keep its
 * rendered composition.
 */
gint
gst_mnv3_overlay_score_permille (gfloat score)
{
  return (gint) lrintf (CLAMP (score, 0.0f, 1.0f) * 1000.0f);
}

/**
 * gst_mnv3_overlay_render:
 * @labels: (array length=n): the labels, best first
 * @scores: (array length=n): their scores, 0..1
 * @n: number of results; 0 draws nothing and returns %NULL
 * @frame_width: width of the video frame in pixels
 * @frame_height: height of the video frame in pixels
 * @box: (nullable): anchor: the text box starts at its top-left corner
 *     (%NULL: the frame's top-left corner)
 *
 * Returns: (transfer full) (nullable): a composition holding one rectangle
 * that lies inside the frame, or %NULL when there is nothing to draw.
 */
GstVideoOverlayComposition *
gst_mnv3_overlay_render (const gchar * const *labels, const gfloat * scores,
    guint n, gint frame_width, gint frame_height, const GstVideoRectangle * box)
{
  GstVideoOverlayComposition *comp;
  GstVideoOverlayRectangle *rect;
  GstBuffer *buf;
  GstMapInfo map;
  gchar **lines;
  gint scale, pad, line_h, max_chars = 0, cap;
  gint x0, y0, w, h;

  if (n == 0 || frame_width <= 0 || frame_height <= 0)
    return NULL;
  g_return_val_if_fail (labels != NULL && scores != NULL, NULL);

  scale = overlay_scale (frame_width, frame_height);
  pad = 3 * scale;
  line_h = (GST_MNV3_FONT_HEIGHT + 2) * scale;

  x0 = box ? CLAMP (box->x, 0, frame_width - 1) : 0;
  y0 = box ? CLAMP (box->y, 0, frame_height - 1) : 0;
  /* only the lines and characters that can be seen */
  n = MIN (n, (guint) ((frame_height - y0) / line_h + 1));
  cap = MAX (1, (frame_width - x0 - 2 * pad) / (GST_MNV3_FONT_WIDTH * scale));

  lines = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++) {
    lines[i] = g_malloc (MAX (cap, 16) + 1);
    max_chars =
        MAX (max_chars, gst_mnv3_overlay_format_line (lines[i], MAX (cap, 16),
            labels[i], scores[i]));
  }

  w = max_chars * GST_MNV3_FONT_WIDTH * scale + 2 * pad;
  h = line_h * (gint) n - 2 * scale + 2 * pad;
  /* clip to the frame */
  w = MIN (w, frame_width - x0);
  h = MIN (h, frame_height - y0);

  buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      put_pixel (map.data + ((gsize) y * w + x) * 4, 0, BG_ALPHA);
  for (guint i = 0; i < n; i++)
    draw_text (map.data, w * 4, w, h, pad, pad + (gint) i * line_h, scale,
        lines[i]);
  gst_buffer_unmap (buf, &map);
  g_strfreev (lines);

  rect = gst_video_overlay_rectangle_new_raw (buf, x0, y0, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  comp = gst_video_overlay_composition_new (rect);
  gst_video_overlay_rectangle_unref (rect);
  return comp;
}

/* The full-frame overlay drawn straight into frames of one 8-bit format
 * without alpha, for the element's blending path. The picture is the one
 * gst_mnv3_overlay_render makes with a %NULL box (same layout, font and
 * colours), but it is kept as a coverage mask, one byte per pixel of the box
 * (0: box, 1: text), and the two colours are prepared once per format, per
 * colour component, as 255 - alpha and alpha * value: a new text redraws only
 * the character cells whose text changed, and no composition, conversion to the
 * frame's format or blend table is made per redraw. For blending, each
 * plane keeps a copy of the mask in its own byte layout (the coverage of the
 * sample each byte belongs to), updated for the rows a redraw touched, so
 * that a frame row is blended 16 bytes at a time with one formula and the
 * per-byte constants of the plane's pixel pattern; the few bytes at the
 * right edge go through a per-component table. As with GStreamer's
 * packers, a subsampled chroma sample is blended with the colour of the
 * pixel at the top-left of its block. */
typedef struct
{
  gint plane, offset, pstride, ws, hs;
  guint ia[2];                  /* 255 - alpha: box, text */
  guint pv[2];                  /* alpha * value: box, text */
  /* [coverage << 8 | d]: (d (255 - alpha) + alpha value) / 255, rounded,
   * with the box's (coverage 0) and the text's (1) colour */
  guint8 lut[2 * 256];
} CanvasComp;

#if defined(__GNUC__) && (__GNUC__ >= 9 || defined(__clang__))
/* GCC / clang vector extensions: SSE2 on baseline x86-64, NEON on arm64 */
#define CANVAS_VEC 16
typedef guint8 CanvasU8x16 __attribute__((vector_size (16)));
typedef guint16 CanvasU16x16 __attribute__((vector_size (32)));
#else
#define CANVAS_VEC 0
#endif
/* a multiple of 16 and of every pixel stride (1 to 4 bytes) */
#define CANVAS_PERIOD 48

typedef struct
{
  gint hs;                      /* vertical subsampling of its components */
  gint rows;                    /* plane rows the box covers */
  gint n_vec;                   /* bytes of a row blended 16 at a time */
  gint8 comp_of[CANVAS_PERIOD]; /* component of byte x % PERIOD, -1: none */
  gint16 pixel_of[CANVAS_PERIOD];       /* its pixel in the period, -1: none */
  gint period_pixels;           /* pixels a period of bytes spans */
  /* per byte x % PERIOD, modulo 2^16: the blend of the byte d with coverage
   * m is t = d (ia0 + m dia) + pv0 + m dpv, d' = (t + (t >> 8)) >> 8
   * (pv0 includes the 128 that rounds); bytes of no component: d' = d */
  guint16 ia0[CANVAS_PERIOD], dia[CANVAS_PERIOD];
  guint16 pv0[CANVAS_PERIOD], dpv[CANVAS_PERIOD];
  guint8 *mask;                 /* rows x n_vec, coverage of each byte */
  gsize mask_alloc;
} CanvasPlane;

struct _GstMnv3OverlayCanvas
{
  GstVideoFormat format;
  gint width, height;
  gint scale, pad, line_h;
  gint cap;                     /* characters kept per line: more are clipped */
  CanvasComp comp[3];
  gint n_planes;
  CanvasPlane planes[GST_VIDEO_MAX_PLANES];
  /* the part of the mask drawn since the planes' copies were made */
  gint dirty_x0, dirty_x1, dirty_y0, dirty_y1;
  guint n_lines, lines_alloc;
  gchar *lines;                 /* the drawn text, lines_alloc x (cap + 1) */
  gchar *next;                  /* a line being formatted, cap + 1 */
  gint w, h;                    /* the box; 0 x 0 when nothing is drawn */
  guint8 *mask;                 /* w x h */
  gsize mask_alloc;
  guint64 redrawn_lines;
};

/* byte of alpha and of components 0, 1, 2 in a rectangle pixel: AYUV, or
 * GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB (BGRA / ARGB in memory) */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
static const gint rgb_bytes[4] = { 3, 2, 1, 0 };
#else
static const gint rgb_bytes[4] = { 0, 1, 2, 3 };
#endif
static const gint yuv_bytes[4] = { 0, 1, 2, 3 };

/* The box and text colours in the frame's components, converted by
 * GStreamer as gst_video_overlay_composition_blend converts a rectangle. */
static gboolean
canvas_colours (GstMnv3OverlayCanvas * c, gboolean yuv)
{
  GstVideoOverlayRectangle *rect;
  GstVideoMeta *vmeta;
  GstBuffer *buf, *pixels;
  GstMapInfo map;
  const gint *pb = yuv ? yuv_bytes : rgb_bytes;
  gboolean ok = FALSE;

  buf = gst_buffer_new_allocate (NULL, 2 * 4, NULL);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, 2, 1);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  put_pixel (map.data, 0, BG_ALPHA);
  put_pixel (map.data + 4, TEXT_LEVEL, 255);
  gst_buffer_unmap (buf, &map);
  rect = gst_video_overlay_rectangle_new_raw (buf, 0, 0, 2, 1,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);

  pixels = yuv ?
      gst_video_overlay_rectangle_get_pixels_unscaled_ayuv (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE) :
      gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  vmeta = pixels ? gst_buffer_get_video_meta (pixels) : NULL;
  if (vmeta && vmeta->width == 2 && gst_buffer_map (pixels, &map, GST_MAP_READ)) {
    for (gint m = 0; m < 2; m++) {
      const guint8 *p = map.data + vmeta->offset[0] + 4 * m;
      guint a = p[pb[0]];

      for (gint k = 0; k < 3; k++) {
        guint pv = a * p[pb[1 + k]] + 128;

        c->comp[k].ia[m] = 255 - a;
        c->comp[k].pv[m] = a * p[pb[1 + k]];
        for (guint d = 0; d < 256; d++) {
          /* t / 255 rounded, exact for t < 65536 + 255 */
          guint t = d * (255 - a) + pv;
          c->comp[k].lut[m * 256 + d] = (t + (t >> 8)) >> 8;
        }
      }
    }
    gst_buffer_unmap (pixels, &map);
    ok = TRUE;
  }
  gst_video_overlay_rectangle_unref (rect);
  return ok;
}

/**
 * gst_mnv3_overlay_canvas_new:
 * @info: the format of the frames it will draw into
 *
 * Returns: (transfer full) (nullable): an empty canvas, or %NULL when the
 * format is not one it handles (alpha formats, GRAY8, anything not 8 bits
 * per component): render a composition and blend it with GStreamer then.
 */
GstMnv3OverlayCanvas *
gst_mnv3_overlay_canvas_new (const GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo;
  GstMnv3OverlayCanvas *c;
  gboolean yuv;

  g_return_val_if_fail (info != NULL && info->finfo != NULL, NULL);
  finfo = info->finfo;
  yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (finfo);

  if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_COMPLEX (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_TILED (finfo)
      || !(yuv || GST_VIDEO_FORMAT_INFO_IS_RGB (finfo))
      || GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo) != 3
      || GST_VIDEO_INFO_WIDTH (info) <= 0 || GST_VIDEO_INFO_HEIGHT (info) <= 0)
    return NULL;
  for (gint k = 0; k < 3; k++)
    if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, k) != 8
        || GST_VIDEO_FORMAT_INFO_SHIFT (finfo, k) != 0)
      return NULL;

  c = g_new0 (GstMnv3OverlayCanvas, 1);
  c->format = GST_VIDEO_INFO_FORMAT (info);
  c->width = GST_VIDEO_INFO_WIDTH (info);
  c->height = GST_VIDEO_INFO_HEIGHT (info);
  c->scale = overlay_scale (c->width, c->height);
  c->pad = 3 * c->scale;
  c->line_h = (GST_MNV3_FONT_HEIGHT + 2) * c->scale;
  /* characters that fit in the frame's width (the score at least) */
  c->cap = MAX (16, (c->width - 2 * c->pad) / (GST_MNV3_FONT_WIDTH * c->scale));
  c->next = g_malloc (c->cap + 1);
  for (gint k = 0; k < 3; k++) {
    CanvasComp *cc = &c->comp[k];

    cc->plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, k);
    cc->offset = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, k);
    cc->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, k);
    cc->ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, k);
    cc->hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, k);
  }
  if (!canvas_colours (c, yuv)) {
    gst_mnv3_overlay_canvas_free (c);
    return NULL;
  }
  c->n_planes = GST_VIDEO_FORMAT_INFO_N_PLANES (finfo);
  for (gint p = 0; p < c->n_planes; p++) {
    CanvasPlane *cp = &c->planes[p];

    for (gint x = 0; x < CANVAS_PERIOD; x++) {
      cp->comp_of[x] = -1;
      cp->pixel_of[x] = -1;
      cp->ia0[x] = 255;
      cp->dia[x] = cp->dpv[x] = 0;
      cp->pv0[x] = 128;
      for (gint k = 0; k < 3; k++) {
        const CanvasComp *cc = &c->comp[k];

        if (cc->plane != p || x % cc->pstride != cc->offset)
          continue;
        cp->hs = cc->hs;
        cp->comp_of[x] = k;
        cp->pixel_of[x] = (x / cc->pstride) << cc->ws;
        cp->period_pixels = (CANVAS_PERIOD / cc->pstride) << cc->ws;
        cp->ia0[x] = cc->ia[0];
        cp->dia[x] = (guint16) (cc->ia[1] - cc->ia[0]);
        cp->pv0[x] = cc->pv[0] + 128;
        cp->dpv[x] = (guint16) (cc->pv[1] - cc->pv[0]);
      }
    }
  }
  return c;
}

/* After a change of the box's size: the planes' rows and vector widths. */
static void
canvas_layout_planes (GstMnv3OverlayCanvas * c)
{
  for (gint p = 0; p < c->n_planes; p++) {
    CanvasPlane *cp = &c->planes[p];
    gint common = G_MAXINT;
    gsize size;

    for (gint k = 0; k < 3; k++) {
      const CanvasComp *cc = &c->comp[k];

      /* bytes below samples x pstride all belong to samples in the box */
      if (cc->plane == p)
        common = MIN (common, (((c->w - 1) >> cc->ws) + 1) * cc->pstride);
    }
    cp->rows = c->h > 0 ? ((c->h - 1) >> cp->hs) + 1 : 0;
    cp->n_vec = c->w > 0 && CANVAS_VEC > 0 ? common / 16 * 16 : 0;
    size = (gsize) cp->rows * cp->n_vec;
    if (size > cp->mask_alloc) {
      g_free (cp->mask);
      cp->mask = g_malloc (size);
      cp->mask_alloc = size;
    }
  }
}

/* Copies the mask's pixels x0..x1 - 1 of rows y0..y1 - 1 (at least) into
 * the planes' byte layouts. */
static void
canvas_update_planes (GstMnv3OverlayCanvas * c, gint x0, gint x1, gint y0,
    gint y1)
{
  for (gint p = 0; p < c->n_planes; p++) {
    CanvasPlane *cp = &c->planes[p];
    gint r1 = MIN (((y1 - 1) >> cp->hs) + 1, cp->rows);
    /* whole periods of bytes */
    gint q0 = x0 / cp->period_pixels;
    gint q1 = (x1 + cp->period_pixels - 1) / cp->period_pixels;

    for (gint r = y0 >> cp->hs; r < r1; r++) {
      const guint8 *src = c->mask + (gsize) (r << cp->hs) * c->w;
      guint8 *dst = cp->mask + (gsize) r * cp->n_vec;

      if (cp->period_pixels == CANVAS_PERIOD && cp->pixel_of[1] == 1) {
        /* one byte per pixel: the mask row itself */
        if (MIN (x1, cp->n_vec) > x0)
          memcpy (dst + x0, src + x0, MIN (x1, cp->n_vec) - x0);
        continue;
      }
      for (gint q = q0; q < q1 && q * CANVAS_PERIOD < cp->n_vec; q++) {
        const guint8 *s = src + q * cp->period_pixels;
        guint8 *d = dst + q * CANVAS_PERIOD;
        gint n = MIN (CANVAS_PERIOD, cp->n_vec - q * CANVAS_PERIOD);

        for (gint x = 0; x < n; x++)
          d[x] = cp->pixel_of[x] < 0 ? 0 : s[cp->pixel_of[x]];
      }
    }
  }
}

/* Sets the font pixels of the character ch at (x, y) in the w x h mask. */
static void
canvas_draw_char (GstMnv3OverlayCanvas * c, gint x, gint y, guchar ch)
{
  const gint scale = c->scale;
  const guchar *glyph;

  if (ch < GST_MNV3_FONT_FIRST || ch > GST_MNV3_FONT_LAST)
    ch = '?';
  glyph = gst_mnv3_font[ch - GST_MNV3_FONT_FIRST];
  for (gint gy = 0; gy < GST_MNV3_FONT_HEIGHT; gy++) {
    guchar bits = glyph[gy];
    if (!bits)
      continue;
    for (gint dy = 0; dy < scale; dy++) {
      gint py = y + gy * scale + dy;
      if (py < 0 || py >= c->h)
        continue;
      guint8 *row = c->mask + (gsize) py * c->w;
      for (gint gx = 0; gx < GST_MNV3_FONT_WIDTH; gx++) {
        if (!(bits & (0x80 >> gx)))
          continue;
        gint px0 = MAX (x + gx * scale, 0);
        gint px1 = MIN (x + (gx + 1) * scale, c->w);
        if (px1 > px0)
          memset (row + px0, 1, px1 - px0);
      }
    }
  }
}

/* Draws the text text of line i over the text old (%NULL: a cleared line):
 * only the character cells that differ are cleared and drawn again. */
static void
canvas_draw_line (GstMnv3OverlayCanvas * c, guint i, const gchar * old,
    const gchar * text)
{
  const gint cw = GST_MNV3_FONT_WIDTH * c->scale;
  gint y = c->pad + (gint) i * c->line_h;
  gint y0 = CLAMP (y, 0, c->h);
  gint y1 = CLAMP (y + GST_MNV3_FONT_HEIGHT * c->scale, 0, c->h);
  gsize lo = old ? strlen (old) : 0, ln = strlen (text);
  gint xa = G_MAXINT, xb = 0;

  for (gsize j = 0; j < MAX (lo, ln); j++) {
    gint x = c->pad + (gint) j * cw;
    gint x1 = MIN (x + cw, c->w);
    gchar co = j < lo ? old[j] : 0;
    gchar cn = j < ln ? text[j] : 0;

    if (x >= c->w)
      break;
    if (old && co == cn)
      continue;
    if (old)
      for (gint py = y0; py < y1; py++)
        memset (c->mask + (gsize) py * c->w + x, 0, x1 - x);
    if (cn)
      canvas_draw_char (c, x, y, (guchar) cn);
    xa = MIN (xa, x);
    xb = MAX (xb, x1);
  }
  c->redrawn_lines++;
  if (xb > xa && y1 > y0) {
    c->dirty_x0 = MIN (c->dirty_x0, xa);
    c->dirty_x1 = MAX (c->dirty_x1, xb);
    c->dirty_y0 = MIN (c->dirty_y0, y0);
    c->dirty_y1 = MAX (c->dirty_y1, y1);
  }
}

/**
 * gst_mnv3_overlay_canvas_set:
 * @c: a canvas
 * @labels: (array length=n): the labels, best first
 * @scores: (array length=n): their scores, 0..1
 * @n: number of results; 0 draws nothing
 *
 * Sets the text to draw, as gst_mnv3_overlay_render with a %NULL box would
 * draw it. Only lines whose text changed are drawn again, and in them only
 * the character cells that changed (everything when the box changes size);
 * once the canvas has held @n lines of the longest
 * text it is given, this allocates nothing.
 *
 * Returns: the number of lines drawn again (0: the picture is unchanged).
 */
guint
gst_mnv3_overlay_canvas_set (GstMnv3OverlayCanvas * c,
    const gchar * const *labels, const gfloat * scores, guint n)
{
  const gsize ls = c->cap + 1;
  gint max_chars = 0, w, h;
  gboolean relayout;
  guint64 before = c->redrawn_lines;

  g_return_val_if_fail (c != NULL, 0);
  g_return_val_if_fail (n == 0 || (labels != NULL && scores != NULL), 0);

  /* only the lines that can be seen */
  n = MIN (n, (guint) (c->height / c->line_h + 1));
  if (n > c->lines_alloc) {
    c->lines_alloc = MAX (n, 2 * c->lines_alloc);
    c->lines = g_realloc (c->lines, c->lines_alloc * ls);
  }

  /* the new lines' width first: it decides whether the box keeps its size */
  for (guint i = 0; i < n; i++) {
    gint len =
        gst_mnv3_overlay_format_line (c->next, c->cap, labels[i], scores[i]);

    max_chars = MAX (max_chars, MIN (len, c->cap));
  }
  if (n == 0) {
    w = h = 0;
  } else {
    w = MIN (max_chars * GST_MNV3_FONT_WIDTH * c->scale + 2 * c->pad, c->width);
    h = MIN (c->line_h * (gint) n - 2 * c->scale + 2 * c->pad, c->height);
  }
  relayout = w != c->w || h != c->h || n != c->n_lines;
  if (relayout) {
    gsize size = (gsize) w * h;

    if (size > c->mask_alloc) {
      g_free (c->mask);
      c->mask = g_malloc (size);
      c->mask_alloc = size;
    }
    c->w = w;
    c->h = h;
    c->n_lines = n;
    if (size > 0)
      memset (c->mask, 0, size);
    canvas_layout_planes (c);
  }
  c->dirty_x0 = relayout ? 0 : G_MAXINT;
  c->dirty_x1 = relayout ? w : 0;
  c->dirty_y0 = relayout ? 0 : G_MAXINT;
  c->dirty_y1 = relayout ? h : 0;

  for (guint i = 0; i < n; i++) {
    gchar *line = c->lines + i * ls;

    gst_mnv3_overlay_format_line (c->next, c->cap, labels[i], scores[i]);
    if (!relayout && strcmp (line, c->next) == 0)
      continue;
    canvas_draw_line (c, i, relayout ? NULL : line, c->next);
    memcpy (line, c->next, ls);
  }
  if (c->dirty_y1 > c->dirty_y0 && c->dirty_x1 > c->dirty_x0)
    canvas_update_planes (c, c->dirty_x0, c->dirty_x1, c->dirty_y0,
        c->dirty_y1);
  return (guint) (c->redrawn_lines - before);
}

/**
 * gst_mnv3_overlay_canvas_blend:
 * @c: a canvas
 * @frame: a writable frame of the format @c was made for
 *
 * Blends the box and text into @frame: d = (d (255 - a) + a v) / 255,
 * rounded.
 *
 * Returns: %FALSE (and leaves @frame alone) if @frame's format or size is
 * not the one @c was made for.
 */
gboolean
gst_mnv3_overlay_canvas_blend (GstMnv3OverlayCanvas * c, GstVideoFrame * frame)
{
  g_return_val_if_fail (c != NULL && frame != NULL, FALSE);

  if (GST_VIDEO_FRAME_FORMAT (frame) != c->format
      || GST_VIDEO_FRAME_WIDTH (frame) != c->width
      || GST_VIDEO_FRAME_HEIGHT (frame) != c->height)
    return FALSE;
  if (c->w == 0 || c->h == 0)
    return TRUE;
  for (gint p = 0; p < c->n_planes; p++) {
    const CanvasPlane *cp = &c->planes[p];
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);

    for (gint y = 0; y < cp->rows; y++) {
      guint8 *d = data + (gsize) y * stride;

#if CANVAS_VEC
      const guint8 *m = cp->mask + (gsize) y * cp->n_vec;

      for (gint x = 0; x < cp->n_vec; x += 16) {
        const gint o = x % CANVAS_PERIOD;
        CanvasU8x16 dv, mv;
        CanvasU16x16 ia0, dia, pv0, dpv, dw, mw, t;

        memcpy (&dv, d + x, 16);
        memcpy (&mv, m + x, 16);
        memcpy (&ia0, cp->ia0 + o, 32);
        memcpy (&dia, cp->dia + o, 32);
        memcpy (&pv0, cp->pv0 + o, 32);
        memcpy (&dpv, cp->dpv + o, 32);
        dw = __builtin_convertvector (dv, CanvasU16x16);
        mw = __builtin_convertvector (mv, CanvasU16x16);
        /* t / 255 rounded, exact for t < 65536 */
        t = dw * (ia0 + mw * dia) + pv0 + mw * dpv;
        t = (t + (t >> 8)) >> 8;
        dv = __builtin_convertvector (t, CanvasU8x16);
        memcpy (d + x, &dv, 16);
      }
#endif
      /* the rest of the row, sample by sample */
      for (gint k = 0; k < 3; k++) {
        const CanvasComp *cc = &c->comp[k];
        const gint ps = cc->pstride, ws = cc->ws;
        const gint sw = ((c->w - 1) >> ws) + 1;
        const guint8 *mrow = c->mask + (gsize) (y << cc->hs) * c->w;
        guint8 *dc = d + cc->offset;

        if (cc->plane != p)
          continue;
        for (gint x = (cp->n_vec - cc->offset + ps - 1) / ps; x < sw; x++)
          dc[x * ps] = cc->lut[(mrow[x << ws] << 8) | dc[x * ps]];
      }
    }
  }
  return TRUE;
}

void
gst_mnv3_overlay_canvas_free (GstMnv3OverlayCanvas * c)
{
  if (c == NULL)
    return;
  g_free (c->lines);
  g_free (c->next);
  g_free (c->mask);
  for (gint p = 0; p < GST_VIDEO_MAX_PLANES; p++)
    g_free (c->planes[p].mask);
  g_free (c);
}

/* The policy: what the element draws from a result, cached, and whether it
 * attaches it for downstream or blends it into the frame. */

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_overlay_debug);

/* Streaming thread only, except @check_downstream (atomic: any thread asks
 * for a new allocation query, the streaming thread makes it). */
struct _GstMnv3OverlayPolicy
{
  GstObject *owner;             /* for the log only; not a reference */
  gint check_downstream;        /* atomic: query downstream before drawing */
  gboolean attach;              /* downstream takes GstVideoOverlayCompositionMeta */
  GstVideoOverlayComposition *comp;     /* cached rendering of ... */
  guint comp_n;                 /* ... these results at this size */
  gint *comp_ids;               /* alloc */
  gfloat *comp_scores;          /* alloc */
  gint comp_width, comp_height;
  GstMnv3OverlayCanvas *canvas; /* drawn straight into frames when blending */
  gboolean canvas_refused;      /* the format needs comp + GStreamer's blend */
  const gchar **labels;         /* alloc, scratch */
  gfloat *scores;               /* alloc, scratch */
  guint alloc;
};

/**
 * gst_mnv3_overlay_policy_new:
 * @owner: (nullable): the object the policy logs for (not referenced)
 */
GstMnv3OverlayPolicy *
gst_mnv3_overlay_policy_new (GstObject * owner)
{
  GstMnv3OverlayPolicy *p = g_new0 (GstMnv3OverlayPolicy, 1);
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_overlay_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
  p->owner = owner;
  return p;
}

void
gst_mnv3_overlay_policy_free (GstMnv3OverlayPolicy * p)
{
  if (p == NULL)
    return;
  gst_mnv3_overlay_policy_reset (p);
  g_free (p->comp_ids);
  g_free (p->comp_scores);
  g_free (p->labels);
  g_free (p->scores);
  g_free (p);
}

/* Forgets the cached drawing (caps change, stop). */
void
gst_mnv3_overlay_policy_reset (GstMnv3OverlayPolicy * p)
{
  g_clear_pointer (&p->comp, gst_video_overlay_composition_unref);
  g_clear_pointer (&p->canvas, gst_mnv3_overlay_canvas_free);
  p->canvas_refused = FALSE;
  p->comp_n = 0;
  p->comp_width = p->comp_height = 0;
}

/* Asks for a new allocation query before the next drawing (caps change,
 * RECONFIGURE). Any thread. */
void
gst_mnv3_overlay_policy_recheck (GstMnv3OverlayPolicy * p)
{
  g_atomic_int_set (&p->check_downstream, TRUE);
}

static void
gst_mnv3_overlay_policy_reserve (GstMnv3OverlayPolicy * p, guint n)
{
  if (n <= p->alloc)
    return;
  p->comp_ids = g_renew (gint, p->comp_ids, n);
  p->comp_scores = g_renew (gfloat, p->comp_scores, n);
  p->labels = g_renew (const gchar *, p->labels, n + 1);
  p->scores = g_renew (gfloat, p->scores, n);
  p->alloc = n;
}

/* Asks downstream whether it renders GstVideoOverlayCompositionMeta itself,
 * as textoverlay does. An always-in-place transform never gets a
 * decide_allocation call, so the element makes its own query. */
static gboolean
gst_mnv3_overlay_downstream_takes_meta (GstMnv3OverlayPolicy * p,
    GstPad * srcpad)
{
  GstCaps *caps;
  GstQuery *query;
  gboolean ret = FALSE;

  caps = gst_pad_get_current_caps (srcpad);
  if (caps == NULL)
    return FALSE;
  query = gst_query_new_allocation (caps, FALSE);
  if (gst_pad_peer_query (srcpad, query))
    ret = gst_query_find_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  gst_caps_unref (caps);

  GST_CAT_DEBUG_OBJECT (gst_mnv3_overlay_debug, p->owner,
      "downstream %s overlay composition meta",
      ret ? "accepts" : "does not accept");
  return ret;
}

static void
gst_mnv3_overlay_policy_check_downstream (GstMnv3OverlayPolicy * p,
    GstPad * srcpad)
{
  if (G_UNLIKELY (g_atomic_int_compare_and_exchange (&p->check_downstream,
              TRUE, FALSE)))
    p->attach = gst_mnv3_overlay_downstream_takes_meta (p, srcpad);
}

/* Attaches @comp, or blends it with GStreamer's blender. */
static void
gst_mnv3_overlay_policy_apply (GstMnv3OverlayPolicy * p,
    GstVideoOverlayComposition * comp, GstVideoFrame * frame, GstPad * srcpad)
{
  gst_mnv3_overlay_policy_check_downstream (p, srcpad);
  if (p->attach)
    gst_buffer_add_video_overlay_composition_meta (frame->buffer, comp);
  else
    gst_video_overlay_composition_blend (comp, frame);
}

static gboolean
gst_mnv3_overlay_policy_is_current (GstMnv3OverlayPolicy * p,
    const GstMnv3ResultView * v, gint width, gint height)
{
  guint i;

  if (p->comp_width != width || p->comp_height != height)
    return FALSE;
  if (p->comp_n != v->n)
    return FALSE;
  for (i = 0; i < v->n; i++) {
    /* the text, not the exact score: scores move a little every frame */
    if (p->comp_ids[i] != v->class_ids[i] ||
        gst_mnv3_overlay_score_permille (p->comp_scores[i]) !=
        gst_mnv3_overlay_score_permille ((gfloat) v->scores[i]))
      return FALSE;
  }
  return TRUE;
}

/* Blends the full-frame overlay with the canvas (made on first use), which
 * redraws only the lines whose text changed. FALSE: the format needs a
 * composition and GStreamer's blender. */
static gboolean
gst_mnv3_overlay_policy_draw_canvas (GstMnv3OverlayPolicy * p,
    const GstMnv3ResultView * v, GstVideoFrame * frame)
{
  guint i;

  if (p->canvas == NULL && !p->canvas_refused) {
    p->canvas = gst_mnv3_overlay_canvas_new (&frame->info);
    p->canvas_refused = p->canvas == NULL;
    GST_CAT_DEBUG_OBJECT (gst_mnv3_overlay_debug, p->owner, "overlay: %s",
        p->canvas ? "drawn directly" : "composition blended by GStreamer");
  }
  if (p->canvas == NULL)
    return FALSE;
  for (i = 0; i < v->n; i++) {
    p->labels[i] = v->class_labels[v->class_ids[i]];
    p->scores[i] = (gfloat) v->scores[i];
  }
  gst_mnv3_overlay_canvas_set (p->canvas, p->labels, p->scores, v->n);
  return gst_mnv3_overlay_canvas_blend (p->canvas, frame);
}

/**
 * gst_mnv3_overlay_policy_draw:
 * @view: the full-frame result
 * @srcpad: the element's source pad (for the allocation query)
 *
 * Full frame: the top-k list in the top-left corner. Blended: drawn on the
 * canvas. Attached (or a format the canvas does not take): a composition,
 * rendered again only when the drawn text (labels, scores to 0.1%) or the
 * frame size changes.
 */
void
gst_mnv3_overlay_policy_draw (GstMnv3OverlayPolicy * p,
    const GstMnv3ResultView * v, GstVideoFrame * frame, GstPad * srcpad)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  guint i;

  gst_mnv3_overlay_policy_reserve (p, MAX (v->n, 1));
  gst_mnv3_overlay_policy_check_downstream (p, srcpad);
  if (!p->attach && gst_mnv3_overlay_policy_draw_canvas (p, v, frame))
    return;
  if (!gst_mnv3_overlay_policy_is_current (p, v, width, height)) {
    g_clear_pointer (&p->comp, gst_video_overlay_composition_unref);
    for (i = 0; i < v->n; i++) {
      p->labels[i] = v->class_labels[v->class_ids[i]];
      p->comp_ids[i] = v->class_ids[i];
      p->comp_scores[i] = v->scores[i];
    }
    p->comp_n = v->n;
    p->comp_width = width;
    p->comp_height = height;
    p->comp = gst_mnv3_overlay_render (p->labels, p->comp_scores, v->n, width,
        height, NULL);
  }

  if (p->comp)
    gst_mnv3_overlay_policy_apply (p, p->comp, frame, srcpad);
}

/* Adds a solid w x h rectangle in the text colour at (x, y), clipped to
 * the frame, to *comp (made when %NULL). */
static void
overlay_add_solid (GstVideoOverlayComposition ** comp, gint x, gint y,
    gint w, gint h, gint frame_width, gint frame_height)
{
  GstVideoOverlayRectangle *rect;
  GstBuffer *buf;
  GstMapInfo map;
  gint x1 = MIN (x + w, frame_width), y1 = MIN (y + h, frame_height);

  x = MAX (x, 0);
  y = MAX (y, 0);
  if (x1 <= x || y1 <= y)
    return;
  w = x1 - x;
  h = y1 - y;
  buf = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  gst_buffer_add_video_meta (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB, w, h);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < (gsize) w * h; i++)
    put_pixel (map.data + i * 4, TEXT_LEVEL, 255);
  gst_buffer_unmap (buf, &map);
  rect = gst_video_overlay_rectangle_new_raw (buf, x, y, w, h,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  gst_buffer_unref (buf);
  if (*comp == NULL)
    *comp = gst_video_overlay_composition_new (rect);
  else
    gst_video_overlay_composition_add_rectangle (*comp, rect);
  gst_video_overlay_rectangle_unref (rect);
}

/* The outline of @box, @t pixels thick, inside the box. */
static void
overlay_add_outline (GstVideoOverlayComposition ** comp,
    const GstVideoRectangle * box, gint t, gint frame_width, gint frame_height)
{
  gint w = box->w, h = box->h;

  if (w <= 0 || h <= 0)
    return;
  t = MIN (t, MIN ((w + 1) / 2, (h + 1) / 2));
  overlay_add_solid (comp, box->x, box->y, w, t, frame_width, frame_height);
  overlay_add_solid (comp, box->x, box->y + h - t, w, t, frame_width,
      frame_height);
  overlay_add_solid (comp, box->x, box->y + t, t, h - 2 * t, frame_width,
      frame_height);
  overlay_add_solid (comp, box->x + w - t, box->y + t, t, h - 2 * t,
      frame_width, frame_height);
}

/**
 * gst_mnv3_overlay_policy_draw_regions:
 * @views: @n region results, roi = the box to label
 *
 * Regions: the outline of each region's box and its top-1 label at the
 * box's top-left corner. Boxes move from frame to frame, so this is
 * rendered every frame.
 */
void
gst_mnv3_overlay_policy_draw_regions (GstMnv3OverlayPolicy * p,
    const GstMnv3ResultView * views, guint n, GstVideoFrame * frame,
    GstPad * srcpad)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  GstVideoOverlayComposition *comp = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    const GstMnv3ResultView *v = &views[i];
    const gchar *label;
    gfloat score;
    GstVideoOverlayComposition *one;

    overlay_add_outline (&comp, &v->roi, MAX (1, overlay_scale (width,
                height)), width, height);
    if (v->n == 0)
      continue;
    label = v->class_labels[v->class_ids[0]];
    score = v->scores[0];
    one = gst_mnv3_overlay_render (&label, &score, 1, width, height, &v->roi);
    if (one == NULL)
      continue;
    if (comp == NULL) {
      comp = one;
    } else {
      gst_video_overlay_composition_add_rectangle (comp,
          gst_video_overlay_composition_get_rectangle (one, 0));
      gst_video_overlay_composition_unref (one);
    }
  }
  if (comp) {
    gst_mnv3_overlay_policy_apply (p, comp, frame, srcpad);
    gst_video_overlay_composition_unref (comp);
  }
}
