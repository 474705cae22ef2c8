/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The stats part alone (gst/gstmnv3stats.c): counters, the sync latency
 * estimate (the first inference left out, a running average, 1.5 times it
 * as the answer, a LATENCY message once per 20 % drift), the QoS deadline.
 */
#include <gst/gst.h>

#include "gstmnv3stats.h"

static void
test_counters (void)
{
  GstMnv3Stats *s = gst_mnv3_stats_new ();
  GstMnv3StatsSnapshot st;

  gst_mnv3_stats_get (s, &st);
  g_assert_cmpuint (st.frames_processed, ==, 0);
  g_assert_cmpfloat (st.avg_inference_us, ==, 0.0);
  g_assert_null (st.current_label);
  gst_mnv3_stats_frame (s, FALSE);
  gst_mnv3_stats_frame (s, TRUE);
  gst_mnv3_stats_frame (s, TRUE);
  gst_mnv3_stats_replaced (s);
  gst_mnv3_stats_inferred (s, 100, FALSE);
  gst_mnv3_stats_inferred (s, 300, FALSE);
  gst_mnv3_stats_set_current (s, "cat", 0.75);
  gst_mnv3_stats_get (s, &st);
  g_assert_cmpuint (st.frames_processed, ==, 3);
  g_assert_cmpuint (st.inferences_skipped, ==, 2);
  g_assert_cmpuint (st.inferences_replaced, ==, 1);
  g_assert_cmpuint (st.frames_inferred, ==, 2);
  g_assert_cmpint (st.last_inference_us, ==, 300);
  g_assert_cmpfloat (st.avg_inference_us, ==, 200.0);
  g_assert_cmpstr (st.current_label, ==, "cat");
  g_assert_cmpfloat (st.current_confidence, ==, 0.75);
  /* async inferences make no latency estimate */
  g_assert_cmpuint (gst_mnv3_stats_latency (s, TRUE), ==, 0);

  gst_mnv3_stats_reset (s);
  gst_mnv3_stats_get (s, &st);
  g_assert_cmpuint (st.frames_processed, ==, 0);
  g_assert_cmpuint (st.frames_inferred, ==, 0);
  g_assert_cmpstr (st.current_label, ==, "cat");        /* not the status */
  gst_mnv3_stats_free (s);
}

static void
test_latency (void)
{
  GstMnv3Stats *s = gst_mnv3_stats_new ();

  /* the cold first inference is not an estimate, and asks for nothing */
  g_assert_false (gst_mnv3_stats_inferred (s, 1000000, TRUE));
  g_assert_cmpuint (gst_mnv3_stats_latency (s, TRUE), ==, 0);
  /* 10 ms: 15 ms of latency; the answer so far was 0: one message */
  g_assert_true (gst_mnv3_stats_inferred (s, 10000, TRUE));
  g_assert_false (gst_mnv3_stats_inferred (s, 10000, TRUE));
  g_assert_cmpuint (gst_mnv3_stats_latency (s, TRUE), ==, 15 * GST_MSECOND);
  g_assert_cmpuint (gst_mnv3_stats_latency (s, FALSE), ==, 0);
  g_assert_cmpuint (gst_mnv3_stats_latency (s, TRUE), ==, 15 * GST_MSECOND);
  /* small changes: no message; the average moves by 0.1 of the difference */
  g_assert_false (gst_mnv3_stats_inferred (s, 11000, TRUE));
  /* 10.1 ms now; 50 ms pulls it to 14.09 ms: a drift of 41 % */
  g_assert_true (gst_mnv3_stats_inferred (s, 50000, TRUE));
  g_assert_false (gst_mnv3_stats_inferred (s, 50000, TRUE));    /* once */
  {
    GstClockTime l = gst_mnv3_stats_latency (s, TRUE);
    gdouble avg = 10100 + 0.1 * (50000 - 10100);

    avg += 0.1 * (50000 - avg);
    g_assert_cmpfloat_with_epsilon ((gdouble) l, 1.5 * avg * GST_USECOND,
        1000.0);
  }
  gst_mnv3_stats_free (s);
}

static void
test_qos (void)
{
  GstMnv3Stats *s = gst_mnv3_stats_new ();

  g_assert_false (gst_mnv3_stats_is_late (s, 0));
  /* early: the deadline is the timestamp minus the margin */
  g_assert_cmpuint (gst_mnv3_stats_qos (s, GST_SECOND, -GST_MSECOND), ==,
      GST_SECOND - GST_MSECOND);
  g_assert_true (gst_mnv3_stats_is_late (s, GST_SECOND - 2 * GST_MSECOND));
  g_assert_false (gst_mnv3_stats_is_late (s, GST_SECOND));
  g_assert_false (gst_mnv3_stats_is_late (s, GST_CLOCK_TIME_NONE));
  /* late by 10 ms, no estimate: twice the lateness */
  g_assert_cmpuint (gst_mnv3_stats_qos (s, GST_SECOND, 10 * GST_MSECOND), ==,
      GST_SECOND + 20 * GST_MSECOND);
  /* with a 4 ms estimate: plus one inference */
  gst_mnv3_stats_inferred (s, 1, TRUE);
  gst_mnv3_stats_inferred (s, 4000, TRUE);
  g_assert_cmpuint (gst_mnv3_stats_qos (s, GST_SECOND, 10 * GST_MSECOND), ==,
      GST_SECOND + 24 * GST_MSECOND);
  /* so early the deadline would be negative: none */
  g_assert_cmpuint (gst_mnv3_stats_qos (s, GST_MSECOND, -GST_SECOND), ==,
      GST_CLOCK_TIME_NONE);
  g_assert_cmpuint (gst_mnv3_stats_qos (s, GST_CLOCK_TIME_NONE, 5), ==,
      GST_CLOCK_TIME_NONE);
  gst_mnv3_stats_qos (s, GST_SECOND, GST_MSECOND);
  g_assert_true (gst_mnv3_stats_is_late (s, GST_SECOND));
  gst_mnv3_stats_clear_qos (s);
  g_assert_false (gst_mnv3_stats_is_late (s, GST_SECOND));
  gst_mnv3_stats_free (s);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stats/counters", test_counters);
  g_test_add_func ("/stats/latency", test_latency);
  g_test_add_func ("/stats/qos", test_qos);
  return g_test_run ();
}
