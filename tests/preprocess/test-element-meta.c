/* mnv3classify tests: the element on buffers whose GstVideoMeta does not fit
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Issue 16 item 13 through the element: a buffer whose GstVideoMeta gives a
 * stride (or a negative one) that runs past its memory must not make
 * mnv3classify read past it. Each buffer ends where a PROT_NONE page begins,
 * so an over-read kills the test. The frame still passes (the element never
 * drops video for its own reasons) and a buffer with a true meta afterwards
 * is classified as usual.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "mnv3classify-meta.h"

typedef struct
{
  gpointer base;
  gsize len;
} Guarded;

static void
guarded_free (gpointer data)
{
  Guarded *g = data;
  munmap (g->base, g->len);
  g_free (g);
}

/* a buffer of info->size bytes ending at an inaccessible page, with a video
 * meta whose first plane's stride is multiplied by @stride_mul */
static GstBuffer *
guarded_buffer (const GstVideoInfo * info, gint stride_mul)
{
  gsize pg = sysconf (_SC_PAGESIZE);
  gsize n = (info->size + pg - 1) / pg + 1;
  Guarded *g = g_new0 (Guarded, 1);
  guint8 *b = mmap (NULL, n * pg, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  gsize offset[GST_VIDEO_MAX_PLANES];
  gint stride[GST_VIDEO_MAX_PLANES];
  GstBuffer *buf;

  fail_unless (b != MAP_FAILED);
  fail_unless (mprotect (b + (n - 1) * pg, pg, PROT_NONE) == 0);
  memset (b, 0x60, (n - 1) * pg);
  g->base = b;
  g->len = n * pg;
  buf = gst_buffer_new_wrapped_full (0, b + (n - 1) * pg - info->size,
      info->size, 0, info->size, g, guarded_free);
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (info); p++) {
    offset[p] = info->offset[p];
    stride[p] = info->stride[p];
  }
  stride[0] *= stride_mul;
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), GST_VIDEO_INFO_N_PLANES (info), offset,
      stride);
  return buf;
}

GST_START_TEST (test_meta_stride_past_buffer)
{
  static const gchar *formats[] = { "NV12", "RGB", "I420_10LE" };
  gchar *model = g_build_filename (g_getenv ("MNV3_FIXTURES"), "fixtures",
      "small-sym-f16.safetensors", NULL);

  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    gchar *desc = g_strdup_printf ("mnv3classify model-file=%s mode=sync "
        "overlay=false", model);
    GstHarness *h = gst_harness_new_parse (desc);
    gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=64,height=48,"
        "framerate=30/1", formats[f]);
    GstVideoInfo info;
    GstBuffer *out;

    gst_harness_set_src_caps_str (h, caps);
    gst_video_info_set_format (&info, gst_video_format_from_string
        (formats[f]), 64, 48);
    /* stride doubled, then negative: both run past the memory */
    for (gint mul = 2; mul >= -1; mul -= 3) {
      out = gst_harness_push_and_pull (h, guarded_buffer (&info, mul));
      fail_unless (out != NULL, "%s stride x%d: no buffer out", formats[f],
          mul);
      gst_buffer_unref (out);
    }
    /* the true layout, up to the buffer's last byte: classified */
    out = gst_harness_push_and_pull (h, guarded_buffer (&info, 1));
    fail_unless (out != NULL);
    fail_unless (gst_mnv3_classification_get (out) != NULL,
        "%s: no result on a valid buffer", formats[f]);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
    g_free (caps);
    g_free (desc);
  }
  g_free (model);
}

GST_END_TEST;

static Suite *
element_meta_suite (void)
{
  Suite *s = suite_create ("mnv3classify-video-meta");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_meta_stride_past_buffer);
  return s;
}

GST_CHECK_MAIN (element_meta);
