/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Several mnv3classify elements in one process (the plugin): two elements
 * on one model file classify the same frame the same way; one of them
 * switching to another model-file leaves the other classifying; async
 * elements (the shared scheduler, batching with a batch-timeout) all
 * classify. No timing assertion.
 */
#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include "mnv3-test.h"

#define MODEL_A "small-sym-f16.safetensors"
#define MODEL_B "large-sym-f32.safetensors"
#define N_ASYNC 4

static GstHarness *
harness_new (const gchar * model, const gchar * props)
{
  gchar *path = mnv3_test_fixture_path (model);
  gchar *desc = g_strdup_printf ("mnv3classify model-file=\"%s\" overlay=false "
      "%s", path, props);
  GstHarness *h = mnv3_test_harness_new (desc, NULL);

  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=30/1");
  g_free (desc);
  g_free (path);
  return h;
}

/* Pushes one frame of pattern @seed and returns what comes out. */
static GstBuffer *
push_frame (GstHarness * h, guint seed)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 64 * 48 * 3, NULL);
  GstMapInfo map;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = (guint8) ((i * 31 + seed * 7) & 0xff);
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = seed * GST_SECOND / 30;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  return gst_harness_pull (h);
}

static guint64
inferred (GstHarness * h)
{
  guint64 n;
  g_object_get (h->element, "frames-inferred", &n, NULL);
  return n;
}

static gchar *
label (GstHarness * h)
{
  gchar *s;
  g_object_get (h->element, "current-label", &s, NULL);
  return s;
}

GST_START_TEST (test_model_change_leaves_other)
{
  GstHarness *h1 = harness_new (MODEL_A, "mode=sync");
  GstHarness *h2 = harness_new (MODEL_A, "mode=sync");
  gchar *b = mnv3_test_fixture_path (MODEL_B);
  gchar *l1, *l2;
  guint i;

  for (i = 0; i < 3; i++) {
    gst_buffer_unref (push_frame (h1, i));
    gst_buffer_unref (push_frame (h2, i));
  }
  fail_unless_equals_int (inferred (h1), 3);
  fail_unless_equals_int (inferred (h2), 3);
  l1 = label (h1);
  l2 = label (h2);
  fail_unless_equals_string (l1, l2);
  g_free (l1);
  g_free (l2);

  /* h2 changes its model (READY: the model is released); h1 goes on */
  fail_unless_equals_int (gst_element_set_state (h2->element,
          GST_STATE_READY), GST_STATE_CHANGE_SUCCESS);
  g_object_set (h2->element, "model-file", b, NULL);
  for (i = 3; i < 6; i++)
    gst_buffer_unref (push_frame (h1, i));
  fail_unless_equals_int (inferred (h1), 6);
  fail_unless_equals_int (gst_element_set_state (h2->element,
          GST_STATE_PLAYING), GST_STATE_CHANGE_SUCCESS);
  gst_harness_set_src_caps_str (h2, "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=30/1");
  gst_buffer_unref (push_frame (h2, 0));
  fail_unless (inferred (h2) >= 1);
  for (i = 6; i < 9; i++)
    gst_buffer_unref (push_frame (h1, i));
  fail_unless_equals_int (inferred (h1), 9);

  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
  g_free (b);
}

GST_END_TEST;

GST_START_TEST (test_async_streams)
{
  GstHarness *h[N_ASYNC];
  guint i, f;

  for (i = 0; i < N_ASYNC; i++)
    h[i] = harness_new (MODEL_A, "mode=async batch-timeout=2000");
  for (f = 0; f < 10; f++)
    for (i = 0; i < N_ASYNC; i++)
      gst_buffer_unref (push_frame (h[i], f));
  /* EOS drains each element's last job */
  for (i = 0; i < N_ASYNC; i++) {
    gst_harness_push_event (h[i], gst_event_new_eos ());
    fail_unless (inferred (h[i]) >= 1, "stream %u never classified", i);
  }
  for (i = 0; i < N_ASYNC; i++)
    gst_harness_teardown (h[i]);
}

GST_END_TEST;

static Suite *
multistream_element_suite (void)
{
  Suite *s = suite_create ("multistream-element");
  TCase *tc = tcase_create ("general");

  /* batching is opt-in (README: Many streams): these tests batch */
  g_setenv ("GST_MNV3_BATCH_MAX", "8", TRUE);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_model_change_leaves_other);
  tcase_add_test (tc, test_async_streams);
  return s;
}

GST_CHECK_MAIN (multistream_element);
