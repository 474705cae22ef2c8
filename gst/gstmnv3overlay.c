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
    lines[i] = g_strdup_printf ("%s %.1f%%", label,
        CLAMP (scores[i], 0.0f, 1.0f) * 100.0f);
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
