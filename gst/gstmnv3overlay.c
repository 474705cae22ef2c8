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
 * s x s block, clipped to the w x h image. */
static void
draw_text (guint8 * img, gint stride, gint w, gint h, gint x, gint y,
    gint scale, const gchar * s)
{
  for (; *s; s++, x += GST_MNV3_FONT_WIDTH * scale) {
    guchar c = (guchar) * s;
    if (c < GST_MNV3_FONT_FIRST || c > GST_MNV3_FONT_LAST)
      c = '?';
    const guchar *glyph = gst_mnv3_font[c - GST_MNV3_FONT_FIRST];
    for (gint gy = 0; gy < GST_MNV3_FONT_HEIGHT; gy++) {
      guchar bits = glyph[gy];
      if (!bits)
        continue;
      for (gint gx = 0; gx < GST_MNV3_FONT_WIDTH; gx++) {
        if (!(bits & (0x80 >> gx)))
          continue;
        for (gint dy = 0; dy < scale; dy++) {
          gint py = y + gy * scale + dy;
          if (py < 0 || py >= h)
            continue;
          for (gint dx = 0; dx < scale; dx++) {
            gint px = x + gx * scale + dx;
            if (px < 0 || px >= w)
              continue;
            put_pixel (img + (gsize) py * stride + px * 4, TEXT_LEVEL, 255);
          }
        }
      }
    }
  }
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
  gint scale, pad, line_h, max_chars = 0;
  gint x0, y0, w, h;

  if (n == 0 || frame_width <= 0 || frame_height <= 0)
    return NULL;
  g_return_val_if_fail (labels != NULL && scores != NULL, NULL);

  /* text height about frame_height / 24, at least 8 px: integer font scale */
  scale = MAX (1, (MAX (8, frame_height / 24) + GST_MNV3_FONT_HEIGHT / 2) /
      GST_MNV3_FONT_HEIGHT);
  pad = 3 * scale;
  line_h = (GST_MNV3_FONT_HEIGHT + 2) * scale;

  lines = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++) {
    const gchar *label = labels[i] ? labels[i] : "?";
    gint pm = gst_mnv3_overlay_score_permille (scores[i]);

    lines[i] = g_strdup_printf ("%s %d.%d%%", label, pm / 10, pm % 10);
    max_chars = MAX (max_chars, (gint) strlen (lines[i]));
  }

  x0 = box ? CLAMP (box->x, 0, frame_width - 1) : 0;
  y0 = box ? CLAMP (box->y, 0, frame_height - 1) : 0;
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

/* A composition's one rectangle, prepared for blending into frames of one
 * 8-bit format without alpha: per colour component, the samples the
 * rectangle covers at the component's subsampling, as 255 - alpha and
 * alpha * value, so that blending a frame is one multiply-add per sample
 * (gst_video_overlay_composition_blend unpacks, blends and packs every row
 * of every frame). As with GStreamer's packers, a subsampled chroma sample
 * is blended with the pixel at the top-left of its block, when that pixel is
 * inside the rectangle. */
typedef struct
{
  gint plane, offset, pstride;
  gint x0, y0, w, h;            /* in samples of the component */
  guint8 *ia;                   /* 255 - alpha, w * h */
  guint16 *pv;                  /* alpha * value, w * h */
} BlendComp;

struct _GstMnv3OverlayBlender
{
  GstVideoFormat format;
  gint width, height;
  BlendComp comp[3];
};

/**
 * gst_mnv3_overlay_blender_new:
 * @comp: a composition of one unscaled rectangle (gst_mnv3_overlay_render)
 * @info: the format of the frames it will be blended into
 *
 * Returns: (transfer full) (nullable): a blender, or %NULL when the format
 * is not one it handles (alpha formats, GRAY8, anything not 8 bits per
 * component): use gst_video_overlay_composition_blend then.
 */
GstMnv3OverlayBlender *
gst_mnv3_overlay_blender_new (GstVideoOverlayComposition * comp,
    const GstVideoInfo * info)
{
  const GstVideoFormatInfo *finfo = info->finfo;
  GstVideoOverlayRectangle *rect;
  GstMnv3OverlayBlender *b;
  GstVideoMeta *vmeta;
  GstBuffer *pixels;
  GstMapInfo map;
  gint rx, ry;
  guint rw, rh;
  gboolean yuv = GST_VIDEO_FORMAT_INFO_IS_YUV (finfo);
  /* byte of alpha and of components 0, 1, 2 in a rectangle pixel: AYUV, or
   * GST_VIDEO_OVERLAY_COMPOSITION_FORMAT_RGB (BGRA / ARGB in memory) */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  const gint rgb_bytes[4] = { 3, 2, 1, 0 };
#else
  const gint rgb_bytes[4] = { 0, 1, 2, 3 };
#endif
  const gint yuv_bytes[4] = { 0, 1, 2, 3 };
  const gint *pb = yuv ? yuv_bytes : rgb_bytes;

  g_return_val_if_fail (comp != NULL && info != NULL, NULL);

  if (gst_video_overlay_composition_n_rectangles (comp) != 1)
    return NULL;
  if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_COMPLEX (finfo)
      || GST_VIDEO_FORMAT_INFO_IS_TILED (finfo)
      || !(yuv || GST_VIDEO_FORMAT_INFO_IS_RGB (finfo))
      || GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo) != 3)
    return NULL;
  for (gint k = 0; k < 3; k++)
    if (GST_VIDEO_FORMAT_INFO_DEPTH (finfo, k) != 8
        || GST_VIDEO_FORMAT_INFO_SHIFT (finfo, k) != 0)
      return NULL;

  rect = gst_video_overlay_composition_get_rectangle (comp, 0);
  if (!gst_video_overlay_rectangle_get_render_rectangle (rect, &rx, &ry, &rw,
          &rh) || rw == 0 || rh == 0 || rx < 0 || ry < 0
      || rx + (gint) rw > GST_VIDEO_INFO_WIDTH (info)
      || ry + (gint) rh > GST_VIDEO_INFO_HEIGHT (info))
    return NULL;
  pixels = yuv ?
      gst_video_overlay_rectangle_get_pixels_unscaled_ayuv (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE) :
      gst_video_overlay_rectangle_get_pixels_unscaled_argb (rect,
      GST_VIDEO_OVERLAY_FORMAT_FLAG_NONE);
  vmeta = pixels ? gst_buffer_get_video_meta (pixels) : NULL;
  if (vmeta == NULL || vmeta->width != rw || vmeta->height != rh)
    return NULL;
  if (!gst_buffer_map (pixels, &map, GST_MAP_READ))
    return NULL;

  b = g_new0 (GstMnv3OverlayBlender, 1);
  b->format = GST_VIDEO_INFO_FORMAT (info);
  b->width = GST_VIDEO_INFO_WIDTH (info);
  b->height = GST_VIDEO_INFO_HEIGHT (info);
  for (gint k = 0; k < 3; k++) {
    BlendComp *c = &b->comp[k];
    gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, k);
    gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, k);

    c->plane = GST_VIDEO_FORMAT_INFO_PLANE (finfo, k);
    c->offset = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, k);
    c->pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, k);
    /* the samples whose first pixel is inside */
    c->x0 = (rx + (1 << ws) - 1) >> ws;
    c->y0 = (ry + (1 << hs) - 1) >> hs;
    c->w = MAX (((rx + (gint) rw - 1) >> ws) - c->x0 + 1, 0);
    c->h = MAX (((ry + (gint) rh - 1) >> hs) - c->y0 + 1, 0);
    c->ia = g_new (guint8, (gsize) c->w * c->h);
    c->pv = g_new (guint16, (gsize) c->w * c->h);
    for (gint y = 0; y < c->h; y++) {
      gint py = ((c->y0 + y) << hs) - ry;
      const guint8 *row = map.data + vmeta->offset[0] +
          (gsize) py * vmeta->stride[0];
      for (gint x = 0; x < c->w; x++) {
        gint px = ((c->x0 + x) << ws) - rx;
        const guint8 *p = row + 4 * px;
        guint a = p[pb[0]];

        c->ia[(gsize) y * c->w + x] = 255 - a;
        c->pv[(gsize) y * c->w + x] = a * p[pb[1 + k]];
      }
    }
  }
  gst_buffer_unmap (pixels, &map);
  return b;
}

/**
 * gst_mnv3_overlay_blender_blend:
 * @b: a blender
 * @frame: a writable frame of the format @b was made for
 *
 * Blends the rectangle into @frame: d = (d (255 - a) + a v) / 255, rounded.
 *
 * Returns: %FALSE (and leaves @frame alone) if @frame's format or size is
 * not the one @b was made for.
 */
gboolean
gst_mnv3_overlay_blender_blend (GstMnv3OverlayBlender * b,
    GstVideoFrame * frame)
{
  g_return_val_if_fail (b != NULL && frame != NULL, FALSE);

  if (GST_VIDEO_FRAME_FORMAT (frame) != b->format
      || GST_VIDEO_FRAME_WIDTH (frame) != b->width
      || GST_VIDEO_FRAME_HEIGHT (frame) != b->height)
    return FALSE;
  for (gint k = 0; k < 3; k++) {
    const BlendComp *c = &b->comp[k];
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (frame, c->plane);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, c->plane);
    const gint ps = c->pstride;

    for (gint y = 0; y < c->h; y++) {
      guint8 *d = data + (gsize) (c->y0 + y) * stride + c->x0 * ps + c->offset;
      const guint8 *ia = c->ia + (gsize) y * c->w;
      const guint16 *pv = c->pv + (gsize) y * c->w;

      for (gint x = 0; x < c->w; x++) {
        /* t / 255 rounded, exact for t < 65536 + 255 */
        guint t = d[x * ps] * ia[x] + pv[x] + 128;
        d[x * ps] = (t + (t >> 8)) >> 8;
      }
    }
  }
  return TRUE;
}

void
gst_mnv3_overlay_blender_free (GstMnv3OverlayBlender * b)
{
  if (b == NULL)
    return;
  for (gint k = 0; k < 3; k++) {
    g_free (b->comp[k].ia);
    g_free (b->comp[k].pv);
  }
  g_free (b);
}
