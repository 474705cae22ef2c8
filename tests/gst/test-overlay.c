/* mnv3classify: tests of the label overlay rendering and blending
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The rendered rectangle is non-empty and inside the frame for frames from
 * 1x1 to 4K and anchors anywhere (including off the frame); the text scales
 * with the frame height; blending it into a frame of every format changes
 * pixels only inside the rectangle (for subsampled chroma: only samples
 * whose block touches it) and does change some.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3overlay.h"
#include "test-formats.h"

static gint failures = 0;

#define FAIL(...) G_STMT_START { failures++; g_printerr ("FAIL: "); \
    g_printerr (__VA_ARGS__); g_printerr ("\n"); } G_STMT_END

static const gchar *labels[] = { "tabby, tabby cat", "Egyptian cat",
  "tiger cat"
};
static const gfloat scores[] = { 0.875f, 0.0625f, 0.01f };

static gboolean
get_rect (GstVideoOverlayComposition * comp, gint * x, gint * y, guint * w,
    guint * h)
{
  if (comp == NULL || gst_video_overlay_composition_n_rectangles (comp) != 1)
    return FALSE;
  GstVideoOverlayRectangle *r =
      gst_video_overlay_composition_get_rectangle (comp, 0);
  return gst_video_overlay_rectangle_get_render_rectangle (r, x, y, w, h);
}

static void
test_geometry (void)
{
  static const gint sizes[][2] = { {1, 1}, {3, 7}, {16, 16}, {320, 240},
  {640, 480}, {1280, 720}, {1920, 1080}, {3840, 2160}
  };

  if (gst_mnv3_overlay_render (labels, scores, 0, 640, 480, NULL) != NULL)
    FAIL ("n = 0 must give NULL");

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
    gint fw = sizes[s][0], fh = sizes[s][1];
    GstVideoRectangle boxes[] = { {0, 0, fw, fh}, {fw / 2, fh / 3, 10, 10},
    {fw - 1, fh - 1, 5, 5}, {-20, -30, 50, 50}, {fw + 100, fh + 100, 1, 1}
    };
    for (guint b = 0; b <= G_N_ELEMENTS (boxes); b++)
      for (guint n = 1; n <= 3; n++) {
        const GstVideoRectangle *box = b < G_N_ELEMENTS (boxes) ?
            &boxes[b] : NULL;
        GstVideoOverlayComposition *comp =
            gst_mnv3_overlay_render (labels, scores, n, fw, fh, box);
        gint x, y;
        guint w, h;
        if (!get_rect (comp, &x, &y, &w, &h)) {
          FAIL ("%dx%d box %u n %u: no rectangle", fw, fh, b, n);
        } else if (w == 0 || h == 0 || x < 0 || y < 0 ||
            x + (gint) w > fw || y + (gint) h > fh) {
          FAIL ("%dx%d box %u n %u: rectangle %d,%d %ux%u outside", fw, fh,
              b, n, x, y, w, h);
        }
        if (box == NULL && (x != 0 || y != 0))
          FAIL ("%dx%d: NULL box not anchored at 0,0", fw, fh);
        if (comp)
          gst_video_overlay_composition_unref (comp);
      }
  }

  /* readable at every size: one line is about frame_height / 24 or more,
   * and not taller than a fifth of the frame from 240p up */
  static const gint heights[] = { 240, 480, 720, 1080, 2160 };
  for (guint i = 0; i < G_N_ELEMENTS (heights); i++) {
    gint fh = heights[i], fw = fh * 16 / 9;
    GstVideoOverlayComposition *comp =
        gst_mnv3_overlay_render (labels, scores, 1, fw, fh, NULL);
    gint x, y;
    guint w, h;
    g_assert (get_rect (comp, &x, &y, &w, &h));
    g_print ("%dx%d: one line -> %ux%u\n", fw, fh, w, h);
    if ((gint) h < fh / 24 || (gint) h < 12 || (gint) h > fh / 5)
      FAIL ("%dx%d: line box height %u not readable", fw, fh, h);
    gst_video_overlay_composition_unref (comp);
  }
}

/* issue 12: the first synonym, the label cut and never the score */
static void
test_format_line (void)
{
  gchar out[64], longlabel[200];
  gint n;

  n = gst_mnv3_overlay_format_line (out, 40, "tabby, tabby cat", 0.5744f);
  if (strcmp (out, "tabby 57.4%") != 0 || n != 11)
    FAIL ("first synonym: '%s' (%d)", out, n);
  gst_mnv3_overlay_format_line (out, 40, "Egyptian cat", 1.0f);
  if (strcmp (out, "Egyptian cat 100.0%") != 0)
    FAIL ("plain label: '%s'", out);
  gst_mnv3_overlay_format_line (out, 40, NULL, 0.0f);
  if (strcmp (out, "? 0.0%") != 0)
    FAIL ("no label: '%s'", out);
  memset (longlabel, 'a', sizeof (longlabel) - 1);
  longlabel[sizeof (longlabel) - 1] = '\0';
  n = gst_mnv3_overlay_format_line (out, 16, longlabel, 0.574f);
  if (strcmp (out, "aaaaaaaaa~ 57.4%") != 0 || n != 16)
    FAIL ("cut label: '%s' (%d)", out, n);
  n = gst_mnv3_overlay_format_line (out, 5, longlabel, 0.574f);
  if (strcmp (out, "57.4%") != 0 || n != 5)
    FAIL ("no room for the label: '%s' (%d)", out, n);
}

/* issue 16.9: the overlay's cost follows what is visible, not the label's
 * length or the frame's height */
static void
test_bounded (void)
{
  gsize page = (gsize) sysconf (_SC_PAGESIZE);
  guint8 *mem;
  const gchar *label[3];
  gfloat sc[3] = { 0.5f, 0.25f, 0.125f };
  GstVideoOverlayComposition *comp;
  GstMnv3OverlayCanvas *canvas;
  GstVideoInfo info;
  gint x, y;
  guint w, h;

  /* a label that never ends: its bytes run into a page that faults when
   * read, so only a bounded read of it passes */
  mem = mmap (NULL, 2 * page, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  g_assert_true (mem != MAP_FAILED);
  g_assert_cmpint (mprotect (mem + page, page, PROT_NONE), ==, 0);
  memset (mem, 'x', page);
  label[0] = label[1] = label[2] = (const gchar *) mem + page - 300;
  comp = gst_mnv3_overlay_render (label, sc, 3, 640, 480, NULL);
  if (!get_rect (comp, &x, &y, &w, &h) || w > 640)
    FAIL ("endless label: no rectangle or wider than the frame");
  g_clear_pointer (&comp, gst_video_overlay_composition_unref);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 640, 480);
  canvas = gst_mnv3_overlay_canvas_new (&info);
  g_assert_nonnull (canvas);
  if (gst_mnv3_overlay_canvas_set (canvas, label, sc, 3) != 3)
    FAIL ("endless label: canvas lines");
  gst_mnv3_overlay_canvas_free (canvas);
  munmap (mem, 2 * page);

  /* a 1 x 4,000,000 frame: the font follows the width (scale 1), the box
   * holds the lines, not the frame's height */
  comp = gst_mnv3_overlay_render (labels, scores, 3, 1, 4000000, NULL);
  if (!get_rect (comp, &x, &y, &w, &h) || w != 1 || h > 3 * 18 + 6)
    FAIL ("1x4000000: rectangle %ux%u", w, h);
  g_clear_pointer (&comp, gst_video_overlay_composition_unref);

  /* small (narrow) frames get a smaller font: 320x1080 draws at scale 1,
   * 1920x1080 at 3 (text about a 24th of the height) */
  comp = gst_mnv3_overlay_render (labels, scores, 1, 320, 1080, NULL);
  if (!get_rect (comp, &x, &y, &w, &h) || h != 16 + 6)
    FAIL ("320x1080: one line %u px high, want 22", h);
  g_clear_pointer (&comp, gst_video_overlay_composition_unref);
  comp = gst_mnv3_overlay_render (labels, scores, 1, 1920, 1080, NULL);
  if (!get_rect (comp, &x, &y, &w, &h) || h != 3 * (16 + 6))
    FAIL ("1920x1080: one line %u px high, want 66", h);
  g_clear_pointer (&comp, gst_video_overlay_composition_unref);

  /* only the lines that fit are drawn: 1000 results on a 64 px high frame */
  {
    const gchar **many = g_new (const gchar *, 1000);
    gfloat *msc = g_new (gfloat, 1000);

    for (guint i = 0; i < 1000; i++) {
      many[i] = "cat";
      msc[i] = 0.001f;
    }
    comp = gst_mnv3_overlay_render (many, msc, 1000, 320, 64, NULL);
    if (!get_rect (comp, &x, &y, &w, &h) || h > 64)
      FAIL ("1000 lines on 320x64: %u px high", h);
    g_clear_pointer (&comp, gst_video_overlay_composition_unref);
    g_free (many);
    g_free (msc);
  }
}

static void
test_blend (void)
{
  const gint fw = 321, fh = 243;
  GstVideoRectangle box = { 37, 21, 100, 100 };

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    GstVideoInfo info;
    GstVideoFrame frame, before;
    GstBuffer *buf, *ref;
    gint rx, ry;
    guint rw, rh;
    gint changed_inside = 0, changed_outside = 0;

    gst_video_info_set_format (&info, formats[f], fw, fh);
    buf = gst_buffer_new_allocate (NULL, info.size, NULL);
    gst_buffer_memset (buf, 0, 0x80, info.size);
    ref = gst_buffer_copy_deep (buf);

    GstVideoOverlayComposition *comp =
        gst_mnv3_overlay_render (labels, scores, 3, fw, fh, &box);
    g_assert (get_rect (comp, &rx, &ry, &rw, &rh));
    g_assert (gst_video_frame_map (&frame, &info, buf, GST_MAP_READWRITE));
    if (!gst_video_overlay_composition_blend (comp, &frame))
      FAIL ("%s: blend failed", gst_video_format_to_string (formats[f]));
    g_assert (gst_video_frame_map (&before, &info, ref, GST_MAP_READ));

    for (guint k = 0; k < GST_VIDEO_FRAME_N_COMPONENTS (&frame); k++) {
      gint pl = GST_VIDEO_FRAME_COMP_PLANE (&frame, k);
      gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, k);
      gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info.finfo, k);
      gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info.finfo, k);
      for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, k); y++) {
        const guint8 *a = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame,
            k) + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, pl);
        const guint8 *b = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&before,
            k) + (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&before, pl);
        for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, k); x++) {
          if (a[x * ps] == b[x * ps])
            continue;
          /* the luma-resolution block of this sample */
          gint x0 = x << ws, x1 = (x + 1) << ws;
          gint y0 = y << hs, y1 = (y + 1) << hs;
          if (x1 > rx && x0 < rx + (gint) rw && y1 > ry && y0 < ry + (gint) rh)
            changed_inside++;
          else
            changed_outside++;
        }
      }
    }
    g_print ("%-5s rect %d,%d %ux%u: %d samples changed inside, %d outside\n",
        gst_video_format_to_string (formats[f]), rx, ry, rw, rh,
        changed_inside, changed_outside);
    if (changed_outside > 0)
      FAIL ("%s: %d samples changed outside the rectangle",
          gst_video_format_to_string (formats[f]), changed_outside);
    if (changed_inside < (gint) (rw * rh) / 4)
      FAIL ("%s: only %d samples changed inside",
          gst_video_format_to_string (formats[f]), changed_inside);

    gst_video_frame_unmap (&before);
    gst_video_frame_unmap (&frame);
    gst_video_overlay_composition_unref (comp);
    gst_buffer_unref (buf);
    gst_buffer_unref (ref);
  }
}

/* The element's canvas (gst_mnv3_overlay_canvas_*) against GStreamer's
 * gst_video_overlay_composition_blend of gst_mnv3_overlay_render on random
 * frames, through a sequence of texts that the canvas draws incrementally
 * (one score changes, a line gets shorter or longer in a box of the same
 * size, lines are added, a label is wider than the frame, no lines): formats
 * with alpha and GRAY8 are refused; elsewhere every sample agrees within
 * MAX_DIFF (the two round differently), samples whose block
 * misses the rectangle are untouched, and only the lines whose text changed
 * are drawn again (on frames wide enough to show the change). */
#define MAX_DIFF 1

static const gchar *seq_labels[] = { "tabby, tabby cat", "Egyptian cat",
  "tiger cat", "lynx, catamount", "Persian cat",
  "a label much wider than any frame this test uses, so that the canvas "
      "clips it at the frame's right edge as the composition does"
};

static const struct
{
  guint n;
  gint ids[5];
  gfloat scores[5];
  gint redrawn;                 /* lines drawn again, -1: any */
} seq[] = {
  {3, {0, 1, 2}, {0.875f, 0.0625f, 0.01f}, 3},
  {3, {0, 1, 2}, {0.8751f, 0.0621f, 0.0101f}, 0},       /* same text */
  {3, {0, 1, 2}, {0.875f, 0.0635f, 0.01f}, 1},
  {3, {0, 1, 2}, {0.900f, 0.0635f, 0.01f}, 1},
  {3, {0, 2, 1}, {0.900f, 0.0635f, 0.01f}, 2},
  {5, {0, 1, 2, 3, 4}, {0.5f, 0.2f, 0.1f, 0.05f, 0.001f}, 5},
  {5, {0, 1, 2, 3, 4}, {0.5f, 0.2f, 0.1f, 0.05f, 0.0f}, 1},
  {5, {0, 1, 2, 3, 4}, {0.5f, 0.2f, 0.09f, 0.05f, 0.0f}, 1},    /* shorter */
  {5, {0, 1, 2, 3, 4}, {0.5f, 0.2f, 0.1f, 0.05f, 0.0f}, 1},     /* longer */
  {5, {0, 1, 2, 3, 5}, {0.5f, 0.2f, 0.1f, 0.05f, 0.0f}, -1},
  {1, {3}, {0.999f}, 1},
  {0, {0}, {0}, 0},
  {2, {1, 0}, {0.4f, 0.3f}, 2},
};

/* Blends with both and compares; returns the maximum difference. */
static gint
compare_canvas (const gchar * name, const GstVideoInfo * info,
    GstBuffer * orig, GstMnv3OverlayCanvas * cv, guint step)
{
  const gchar *lab[5] = { NULL };
  GstVideoOverlayComposition *comp;
  GstVideoFrame fa, fb, f0;
  GstBuffer *a, *b;
  gint rx = 0, ry = 0, max_diff = 0;
  guint rw = 0, rh = 0, n = seq[step].n;
  gint fw = GST_VIDEO_INFO_WIDTH (info), fh = GST_VIDEO_INFO_HEIGHT (info);

  for (guint i = 0; i < n; i++)
    lab[i] = seq_labels[seq[step].ids[i]];
  guint redrawn = gst_mnv3_overlay_canvas_set (cv, lab, seq[step].scores, n);
  /* (tiny frames clip the lines before the text that changes) */
  if (seq[step].redrawn >= 0 && fw >= 320
      && redrawn != (guint) seq[step].redrawn)
    FAIL ("%s %dx%d step %u: %u lines drawn again, want %d", name, fw, fh,
        step, redrawn, seq[step].redrawn);

  comp = gst_mnv3_overlay_render (lab, seq[step].scores, n, fw, fh, NULL);
  if (n > 0)
    g_assert (get_rect (comp, &rx, &ry, &rw, &rh));
  a = gst_buffer_copy_deep (orig);
  b = gst_buffer_copy_deep (orig);
  g_assert (gst_video_frame_map (&fa, info, a, GST_MAP_READWRITE));
  g_assert (gst_video_frame_map (&fb, info, b, GST_MAP_READWRITE));
  g_assert (gst_video_frame_map (&f0, info, orig, GST_MAP_READ));
  if (comp)
    g_assert (gst_video_overlay_composition_blend (comp, &fa));
  if (!gst_mnv3_overlay_canvas_blend (cv, &fb))
    FAIL ("%s: canvas_blend failed", name);

  for (guint k = 0; k < 3; k++) {
    gint pl = GST_VIDEO_FRAME_COMP_PLANE (&fa, k);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, k);
    gint ws = GST_VIDEO_FORMAT_INFO_W_SUB (info->finfo, k);
    gint hs = GST_VIDEO_FORMAT_INFO_H_SUB (info->finfo, k);
    gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&fa, pl);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&fa, k); y++) {
      gsize o = (gsize) y * stride;
      const guint8 *pa = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&fa, k) + o;
      const guint8 *pb = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&fb, k) + o;
      const guint8 *p0 = (guint8 *) GST_VIDEO_FRAME_COMP_DATA (&f0, k) + o;
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&fa, k); x++) {
        gint x0 = x << ws, x1 = (x + 1) << ws;
        gint y0 = y << hs, y1 = (y + 1) << hs;
        gboolean in = n > 0 && x1 > rx && x0 < rx + (gint) rw && y1 > ry
            && y0 < ry + (gint) rh;
        gint d = ABS (pa[x * ps] - pb[x * ps]);
        if (!in && pb[x * ps] != p0[x * ps]) {
          FAIL ("%s %dx%d step %u: component %u sample %d,%d outside "
              "changed", name, fw, fh, step, k, x, y);
          goto done;
        }
        max_diff = MAX (max_diff, d);
        if (d > MAX_DIFF) {
          FAIL ("%s %dx%d step %u: component %u sample %d,%d: %d, "
              "GStreamer %d, was %d", name, fw, fh, step, k, x, y,
              pb[x * ps], pa[x * ps], p0[x * ps]);
          goto done;
        }
      }
    }
  }
done:
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  gst_video_frame_unmap (&f0);
  if (comp)
    gst_video_overlay_composition_unref (comp);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  return max_diff;
}

static void
test_canvas (void)
{
  /* odd sizes (cut chroma blocks, boxes clipped by the frame), and the
   * sizes where the font scale changes */
  static const gint sizes[][2] = { {321, 243}, {1, 1}, {3, 7}, {17, 35},
  {1279, 719}, {1920, 1080}
  };
  GRand *rand = g_rand_new_with_seed (7);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    const gchar *name = gst_video_format_to_string (formats[f]);

    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      GstVideoInfo info;
      GstBuffer *orig;
      GstMapInfo map;
      gint max_diff = 0;
      gint fw = sizes[s][0], fh = sizes[s][1];

      /* big frames: one format per family is enough */
      if (fw > 400 && formats[f] != GST_VIDEO_FORMAT_NV12
          && formats[f] != GST_VIDEO_FORMAT_RGB
          && formats[f] != GST_VIDEO_FORMAT_YUY2)
        continue;
      gst_video_info_set_format (&info, formats[f], fw, fh);
      GstMnv3OverlayCanvas *cv = gst_mnv3_overlay_canvas_new (&info);
      /* the canvas draws 8-bit formats; the element blends the others
       * with GStreamer's blender (test_blend) */
      gboolean refuse = GST_VIDEO_INFO_HAS_ALPHA (&info)
          || GST_VIDEO_INFO_IS_GRAY (&info)
          || GST_VIDEO_INFO_COMP_DEPTH (&info, 0) != 8;
      if (refuse != (cv == NULL))
        FAIL ("%s: canvas %s", name, cv ? "accepted" : "refused");
      if (cv == NULL)
        continue;

      orig = gst_buffer_new_allocate (NULL, info.size, NULL);
      gst_buffer_map (orig, &map, GST_MAP_WRITE);
      for (gsize i = 0; i < map.size; i++)
        map.data[i] = g_rand_int_range (rand, 0, 256);
      /* GStreamer's blender takes the x of RGBx as the frame's alpha:
       * opaque (with 4-byte pixels every row starts on the pixel grid) */
      if (GST_VIDEO_INFO_N_PLANES (&info) == 1 && GST_VIDEO_INFO_IS_RGB (&info)
          && GST_VIDEO_INFO_COMP_PSTRIDE (&info, 0) == 4) {
        gint x = 6 - GST_VIDEO_INFO_COMP_POFFSET (&info, 0) -
            GST_VIDEO_INFO_COMP_POFFSET (&info, 1) -
            GST_VIDEO_INFO_COMP_POFFSET (&info, 2);
        for (gsize i = x; i < map.size; i += 4)
          map.data[i] = 255;
      }
      gst_buffer_unmap (orig, &map);

      for (guint step = 0; step < G_N_ELEMENTS (seq); step++) {
        gint d = compare_canvas (name, &info, orig, cv, step);
        max_diff = MAX (max_diff, d);
      }
      g_print ("%-5s %4dx%-4d canvas vs gst_video_overlay_composition_blend: "
          "max difference %d\n", name, fw, fh, max_diff);
      gst_mnv3_overlay_canvas_free (cv);
      gst_buffer_unref (orig);
    }
  }
  g_rand_free (rand);
}

/* The policy (gst_mnv3_overlay_policy_*): attach when downstream answers
 * the allocation query with GstVideoOverlayCompositionMeta, else blend; the
 * rendering is cached while the drawn text stays the same; a recheck makes
 * a new query; regions get one rectangle each. */
static gboolean policy_accepts;

static gboolean
policy_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_ALLOCATION)
    return FALSE;
  if (policy_accepts)
    gst_query_add_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  return TRUE;
}

static gboolean
policy_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  gst_event_unref (event);
  return TRUE;
}

static GstBuffer *
policy_frame (const GstVideoInfo * info)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);

  gst_buffer_memset (buf, 0, 0x40, info->size);
  return buf;
}

/* Draws @v (or @n region views) on a fresh frame; returns the frame's
 * composition meta's composition (borrowed from @buf, NULL when none) and
 * whether the pixels changed. */
static GstVideoOverlayComposition *
policy_draw (GstMnv3OverlayPolicy * p, const GstVideoInfo * info,
    const GstMnv3ResultView * v, guint n_regions, GstPad * src,
    GstBuffer ** buf, gboolean * changed)
{
  GstVideoFrame frame;
  GstVideoOverlayCompositionMeta *meta;
  GstMapInfo map;
  gsize i;

  *buf = policy_frame (info);
  /* as GstVideoFilter maps it: without a reference, the buffer stays
   * writable for metas */
  if (!gst_video_frame_map (&frame, (GstVideoInfo *) info, *buf,
          GST_MAP_READWRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))
    g_error ("cannot map");
  if (n_regions)
    gst_mnv3_overlay_policy_draw_regions (p, v, n_regions, &frame, src);
  else
    gst_mnv3_overlay_policy_draw (p, v, &frame, src);
  gst_video_frame_unmap (&frame);
  gst_buffer_map (*buf, &map, GST_MAP_READ);
  *changed = FALSE;
  for (i = 0; i < map.size; i++)
    *changed |= map.data[i] != 0x40;
  gst_buffer_unmap (*buf, &map);
  meta = gst_buffer_get_video_overlay_composition_meta (*buf);
  return meta ? meta->overlay : NULL;
}

static void
test_policy (void)
{
  static const gchar *labels[] = { "zero", "one", "two", NULL };
  const gint ids[] = { 2, 0 };
  gdouble scores[] = { 0.75, 0.125 };
  GstMnv3ResultView v = { 2, ids, scores, labels, TRUE, 0, 0, 0, "small",
    {0, 0, 320, 240}
  };
  GstMnv3ResultView regions[3];
  GstMnv3OverlayPolicy *p = gst_mnv3_overlay_policy_new (NULL);
  GstPad *src = gst_pad_new ("src", GST_PAD_SRC);
  GstPad *sink = gst_pad_new ("sink", GST_PAD_SINK);
  GstVideoInfo info, gray;
  GstVideoOverlayComposition *c1, *c2;
  GstBuffer *b1, *b2;
  GstSegment segment;
  gboolean changed;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, 320, 240);
  gst_video_info_set_format (&gray, GST_VIDEO_FORMAT_GRAY8, 320, 240);
  gst_pad_set_query_function (sink, policy_sink_query);
  gst_pad_set_event_function (sink, policy_sink_event);
  gst_pad_set_active (src, TRUE);
  gst_pad_set_active (sink, TRUE);
  if (gst_pad_link (src, sink) != GST_PAD_LINK_OK)
    g_error ("link");
  gst_pad_push_event (src, gst_event_new_stream_start ("policy"));
  gst_pad_push_event (src, gst_event_new_caps (gst_video_info_to_caps (&info)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (src, gst_event_new_segment (&segment));

  /* downstream does not take the meta: blended into the frame */
  policy_accepts = FALSE;
  gst_mnv3_overlay_policy_recheck (p);
  c1 = policy_draw (p, &info, &v, 0, src, &b1, &changed);
  if (c1 != NULL || !changed)
    FAIL ("policy, blend: meta %p, pixels changed %d", c1, changed);
  gst_buffer_unref (b1);

  /* it does, but nobody asked again: still blended */
  policy_accepts = TRUE;
  c1 = policy_draw (p, &info, &v, 0, src, &b1, &changed);
  if (c1 != NULL || !changed)
    FAIL ("policy, no recheck: meta %p, pixels changed %d", c1, changed);
  gst_buffer_unref (b1);

  /* after a recheck: attached, pixels untouched, rendered once while the
   * text stays (a score change below 0.1 % is the same text) */
  gst_mnv3_overlay_policy_recheck (p);
  c1 = policy_draw (p, &info, &v, 0, src, &b1, &changed);
  scores[0] = 0.75001;
  c2 = policy_draw (p, &info, &v, 0, src, &b2, &changed);
  if (c1 == NULL || changed || c1 != c2
      || gst_video_overlay_composition_n_rectangles (c1) != 1)
    FAIL ("policy, attach: meta %p %p, pixels changed %d", c1, c2, changed);
  gst_buffer_unref (b2);
  scores[0] = 0.5;
  c2 = policy_draw (p, &info, &v, 0, src, &b2, &changed);
  if (c2 == NULL || c2 == c1)
    FAIL ("policy, attach: new text, same composition %p", c2);
  gst_buffer_unref (b1);
  gst_buffer_unref (b2);

  /* regions: one label rectangle per region with a result, and the four
   * sides of each region's outline (issue 12) */
  regions[0] = v;
  regions[1] = v;
  regions[1].n = 0;
  regions[2] = v;
  regions[2].roi.x = 100;
  regions[2].roi.w = 80;
  c1 = policy_draw (p, &info, regions, 3, src, &b1, &changed);
  if (c1 == NULL || changed || gst_video_overlay_composition_n_rectangles (c1)
      != 2 + 3 * 4)
    FAIL ("policy, regions: %u rectangles, want 2 labels + 3 outlines",
        c1 ? gst_video_overlay_composition_n_rectangles (c1) : 0);
  if (c1 != NULL) {
    gboolean top_side = FALSE;

    for (guint i = 0; i < gst_video_overlay_composition_n_rectangles (c1); i++) {
      gint rx, ry;
      guint rw, rh;

      gst_video_overlay_rectangle_get_render_rectangle
          (gst_video_overlay_composition_get_rectangle (c1, i), &rx, &ry, &rw,
          &rh);
      if (rx == 100 && ry == regions[2].roi.y && rw == 80 && rh < 8)
        top_side = TRUE;
    }
    if (!top_side)
      FAIL ("policy, regions: no outline along the top of region 2");
  }
  gst_buffer_unref (b1);

  /* a reset forgets the drawing, not the downstream answer; GRAY8 blended
   * (the canvas refuses it): GStreamer's blender */
  policy_accepts = FALSE;
  gst_mnv3_overlay_policy_reset (p);
  gst_mnv3_overlay_policy_recheck (p);
  c1 = policy_draw (p, &gray, &v, 0, src, &b1, &changed);
  if (c1 != NULL || !changed)
    FAIL ("policy, gray blend: meta %p, pixels changed %d", c1, changed);
  gst_buffer_unref (b1);

  gst_mnv3_overlay_policy_free (p);
  gst_pad_set_active (src, FALSE);
  gst_pad_set_active (sink, FALSE);
  gst_object_unref (src);
  gst_object_unref (sink);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  test_geometry ();
  test_format_line ();
  test_bounded ();
  test_blend ();
  test_canvas ();
  test_policy ();
  if (failures) {
    g_printerr ("%d failures\n", failures);
    return 1;
  }
  g_print ("all passed\n");
  return 0;
}
