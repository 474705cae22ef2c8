/* mnv3classify: preprocessing benchmark (median ms per frame, one core)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 1920x1080 NV12 and 1280x720 I420 -> 224x224 normalized NHWC, center-crop
 * and stretch, ORC and C paths. Target (issue 6): <= 0.5 ms median.
 * Usage: bench-preprocess [runs [orc|c [FORMAT WIDTHxHEIGHT [center|stretch]]]]
 * (one format and size, e.g. NV12 1280x720, for bench/element-overhead.sh)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3preprocess.h"

static const gfloat mean_tv[3] = { 0.485f, 0.456f, 0.406f };
static const gfloat std_tv[3] = { 0.229f, 0.224f, 0.225f };

static gdouble
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static gint
cmp_double (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;
  return x < y ? -1 : x > y;
}

static void
bench (GstVideoFormat format, gint w, gint h, GstMnv3CropMode mode,
    gboolean orc, gint runs)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstVideoFrame frame;
  GstMapInfo map;
  GstMnv3Preprocess *pp = gst_mnv3_preprocess_new ();
  gfloat *out = g_new (gfloat, 224 * 224 * 3);
  gdouble *t = g_new (gdouble, runs);

  gst_video_info_set_format (&info, format, w, h);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = (guint8) (i * 7 + (i >> 11));
  gst_buffer_unmap (buf, &map);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_READ);

  g_assert (gst_mnv3_preprocess_set_info (pp, &info, 224, mean_tv, std_tv,
          mode, orc));
  for (gint i = 0; i < 5; i++)
    gst_mnv3_preprocess_run (pp, &frame, NULL, out, NULL);
  for (gint i = 0; i < runs; i++) {
    gdouble t0 = now_ms ();
    gst_mnv3_preprocess_run (pp, &frame, NULL, out, NULL);
    t[i] = now_ms () - t0;
  }
  qsort (t, runs, sizeof (gdouble), cmp_double);
  printf ("%-5s %4dx%-4d -> 224 %-7s %-4s median_ms=%.3f min_ms=%.3f\n",
      gst_video_format_to_string (format), w, h,
      mode == GST_MNV3_CROP_CENTER ? "center" : "stretch",
      gst_mnv3_preprocess_get_path (pp), t[runs / 2], t[0]);

  gst_video_frame_unmap (&frame);
  gst_buffer_unref (buf);
  gst_mnv3_preprocess_free (pp);
  g_free (out);
  g_free (t);
}

int
main (int argc, char **argv)
{
  gint runs = 300, w = 0, h = 0;
  GstVideoFormat format = GST_VIDEO_FORMAT_UNKNOWN;

  gst_init (&argc, &argv);
  if (argc > 1)
    runs = MAX (1, atoi (argv[1]));
  if (argc > 4) {
    format = gst_video_format_from_string (argv[3]);
    if (format == GST_VIDEO_FORMAT_UNKNOWN
        || sscanf (argv[4], "%dx%d", &w, &h) != 2 || w < 1 || h < 1) {
      g_printerr ("usage: %s [runs [orc|c [FORMAT WIDTHxHEIGHT "
          "[center|stretch]]]]\n", argv[0]);
      return 2;
    }
  }
  for (gint mode = 0; mode < 2; mode++) {
    if (argc > 5 && !g_str_equal (argv[5], mode ? "stretch" : "center"))
      continue;
    for (gint orc = 1; orc >= 0; orc--) {
      if (argc > 2 && (orc ? 0 : 1) != (g_str_equal (argv[2], "c") ? 1 : 0))
        continue;
      if (format != GST_VIDEO_FORMAT_UNKNOWN) {
        bench (format, w, h, mode, orc, runs);
        continue;
      }
      bench (GST_VIDEO_FORMAT_NV12, 1920, 1080, mode, orc, runs);
      bench (GST_VIDEO_FORMAT_I420, 1280, 720, mode, orc, runs);
    }
  }
  return 0;
}
