/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The result part alone (gst/gstmnv3result.c), fed with hand-made jobs:
 * top-k and the threshold, hysteresis, the EMA against its formula,
 * freshness, on-change bookkeeping, ROI matching by IoU and the views.
 */
#include <math.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3job.h"
#include "gstmnv3result.h"

#define C 6

static const gchar *labels[C + 1] = { "a", "b", "c", "d", "e", "f", NULL };

/* A finished job of @n regions whose probabilities are @probs (n x C). */
static void
job_fill (GstMnv3Job * job, guint n, const gfloat * probs, guint64 frame,
    GstClockTime pts, gboolean full_frame)
{
  guint i;

  gst_mnv3_job_clear (job);
  gst_mnv3_job_init (job, C, 3);
  job->probs = g_new (gfloat, (gsize) MAX (n, 1) * C);
  job->boxes = g_new0 (GstVideoRectangle, MAX (n, 1));
  job->used = g_new0 (GstVideoRectangle, MAX (n, 1));
  job->alloc_rois = MAX (n, 1);
  memcpy (job->probs, probs, (gsize) n * C * sizeof (gfloat));
  for (i = 0; i < n; i++) {
    GstVideoRectangle b = { 100 * i, 10, 50, 40 };
    GstVideoRectangle u = { 100 * i + 5, 10, 40, 40 };

    job->boxes[i] = b;
    job->used[i] = u;
  }
  job->n_rois = n;
  job->full_frame = full_frame;
  job->frame = frame;
  job->pts = pts;
  job->inference_us = 1234;
}

static GstMnv3ResultParams
params (guint top_k, gfloat threshold)
{
  GstMnv3ResultParams p = { top_k, threshold, FALSE, 0.5, 0.0, 1.0 / 30 };

  return p;
}

static void
test_top_k (void)
{
  const gfloat probs[C] = { 0.05f, 0.4f, 0.1f, 0.3f, 0.15f, 0.0f };
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "large");
  GstMnv3ResultParams p = params (3, 0.0f);
  GstMnv3ResultView v;
  GstMnv3Job job = { 0, };
  gdouble score;

  g_assert_false (gst_mnv3_result_is_valid (r));
  g_assert_null (gst_mnv3_result_get_top (r, &score));
  job_fill (&job, 1, probs, 7, 70 * GST_MSECOND, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_is_valid (r));
  gst_mnv3_result_get_view (r, 0, 7, &v);
  g_assert_cmpuint (v.n, ==, 3);
  g_assert_cmpint (v.class_ids[0], ==, 1);
  g_assert_cmpint (v.class_ids[1], ==, 3);
  g_assert_cmpint (v.class_ids[2], ==, 4);
  g_assert_cmpfloat_with_epsilon (v.scores[0], 0.4, 1e-6);
  g_assert_true (v.fresh);
  g_assert_cmpuint (v.age_frames, ==, 0);
  g_assert_cmpuint (v.source_pts, ==, 70 * GST_MSECOND);
  g_assert_cmpint (v.inference_us, ==, 1234);
  g_assert_cmpstr (v.model, ==, "large");
  /* full frame: the roi is what the model saw */
  g_assert_cmpint (v.roi.x, ==, 5);
  g_assert_cmpint (v.roi.w, ==, 40);
  g_assert_cmpstr (gst_mnv3_result_get_top (r, &score), ==, "b");
  g_assert_cmpfloat_with_epsilon (score, 0.4, 1e-6);

  /* three frames later: the same result, not fresh */
  gst_mnv3_result_get_view (r, 0, 10, &v);
  g_assert_false (v.fresh);
  g_assert_cmpuint (v.age_frames, ==, 3);

  /* the threshold drops the rest, best first */
  p = params (5, 0.2f);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 7, &v);
  g_assert_cmpuint (v.n, ==, 2);
  p = params (5, 0.9f);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 7, &v);
  g_assert_cmpuint (v.n, ==, 0);
  g_assert_null (gst_mnv3_result_get_top (r, &score));
  g_assert_cmpfloat (score, ==, 0.0);

  /* reset: nothing, and the frame view is the empty one */
  gst_mnv3_result_reset (r);
  g_assert_false (gst_mnv3_result_is_valid (r));
  gst_mnv3_result_get_frame_view (r, 3, 320, 240, &v);
  g_assert_cmpuint (v.n, ==, 0);
  g_assert_cmpuint (v.source_pts, ==, GST_CLOCK_TIME_NONE);
  g_assert_cmpint (v.roi.w, ==, 320);
  g_assert_cmpint (v.roi.h, ==, 240);
  g_assert_true (v.class_labels == labels);

  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

static void
test_hysteresis (void)
{
  const gfloat first[C] = { 0.0f, 0.5f, 0.3f, 0.2f, 0.0f, 0.0f };
  /* c now beats b by 0.05: held with a 0.1 margin, replaced with 0.01 */
  const gfloat second[C] = { 0.0f, 0.4f, 0.45f, 0.15f, 0.0f, 0.0f };
  GstMnv3ResultParams p = params (2, 0.0f);
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "small");
  GstMnv3Job job = { 0, };
  GstMnv3ResultView v;

  p.hysteresis = 0.1;
  job_fill (&job, 1, first, 0, 0, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  job_fill (&job, 1, second, 1, GST_SECOND / 30, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 1, &v);
  g_assert_cmpint (v.class_ids[0], ==, 1);      /* held, below the second */
  g_assert_cmpint (v.class_ids[1], ==, 2);
  g_assert_cmpfloat (v.scores[0], <, v.scores[1]);

  gst_mnv3_result_reset (r);
  p.hysteresis = 0.01;
  job_fill (&job, 1, first, 0, 0, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  job_fill (&job, 1, second, 1, GST_SECOND / 30, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 1, &v);
  g_assert_cmpint (v.class_ids[0], ==, 2);

  /* regions never hold */
  gst_mnv3_result_reset (r);
  p.hysteresis = 0.5;
  job_fill (&job, 1, first, 0, 0, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  job_fill (&job, 1, second, 1, 0, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 1, &v);
  g_assert_cmpint (v.class_ids[0], ==, 2);

  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

static void
test_ema (void)
{
  const gfloat a[C] = { 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f };
  const gfloat b[C] = { 0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f };
  GstMnv3ResultParams p = params (C, 0.0f);
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "small");
  GstMnv3Job job = { 0, };
  GstMnv3ResultView v;
  gdouble alpha;
  guint i;

  p.ema = TRUE;
  p.smoothing_time = 0.5;
  p.frame_duration = 0.04;
  /* the first result is taken as it is */
  job_fill (&job, 1, a, 0, GST_SECOND, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 0, &v);
  g_assert_cmpint (v.class_ids[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (v.scores[0], 1.0, 1e-6);

  /* 0.1 s later by the PTS: weight 1 - exp (-0.1 / 0.5) */
  job_fill (&job, 1, b, 3, GST_SECOND + 100 * GST_MSECOND, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 3, &v);
  alpha = 1.0 - exp (-0.1 / 0.5);
  for (i = 0; i < v.n; i++) {
    if (v.class_ids[i] == 1)
      g_assert_cmpfloat_with_epsilon (v.scores[i], alpha, 1e-5);
    if (v.class_ids[i] == 0)
      g_assert_cmpfloat_with_epsilon (v.scores[i], 1.0 - alpha, 1e-5);
  }

  /* no usable PTS: the frame duration */
  job_fill (&job, 1, b, 4, GST_CLOCK_TIME_NONE, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 4, &v);
  {
    gdouble alpha2 = 1.0 - exp (-0.04 / 0.5);
    gdouble want = alpha + alpha2 * (1.0 - alpha);

    g_assert_cmpint (v.class_ids[0], ==, 0);
    g_assert_cmpint (v.class_ids[1], ==, 1);
    g_assert_cmpfloat_with_epsilon (v.scores[1], want, 1e-5);
    g_assert_cmpfloat_with_epsilon (v.scores[0], 1.0 - want, 1e-5);
  }

  /* regions are not smoothed */
  job_fill (&job, 1, a, 5, 2 * GST_SECOND, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  gst_mnv3_result_get_view (r, 0, 5, &v);
  g_assert_cmpfloat_with_epsilon (v.scores[0], 1.0, 1e-6);

  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

static void
test_top_changed (void)
{
  const gfloat a[C] = { 0.9f, 0.1f, 0, 0, 0, 0 };
  const gfloat b[C] = { 0.1f, 0.9f, 0, 0, 0, 0 };
  gfloat two[2 * C];
  GstMnv3ResultParams p = params (1, 0.0f);
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "small");
  GstMnv3Job job = { 0, };

  job_fill (&job, 1, a, 0, 0, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_top_changed (r));      /* first */
  gst_mnv3_result_take (r, &job, &p);
  g_assert_false (gst_mnv3_result_top_changed (r));
  job_fill (&job, 1, b, 1, 0, TRUE);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_top_changed (r));

  /* regions: the list of top-1 classes in order */
  memcpy (two, a, sizeof (a));
  memcpy (two + C, b, sizeof (b));
  job_fill (&job, 2, two, 2, 0, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_top_changed (r));
  g_assert_false (gst_mnv3_result_top_changed (r));
  job_fill (&job, 1, a, 3, 0, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_top_changed (r));      /* fewer regions */
  gst_mnv3_result_reset (r);
  gst_mnv3_result_take (r, &job, &p);
  g_assert_true (gst_mnv3_result_top_changed (r));      /* after a reset */

  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

static void
test_match (void)
{
  const gfloat a[C] = { 0.9f, 0.1f, 0, 0, 0, 0 };
  const gfloat b[C] = { 0.1f, 0.9f, 0, 0, 0, 0 };
  gfloat two[2 * C];
  GstMnv3ResultParams p = params (2, 0.0f);
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "small");
  GQuark person = g_quark_from_static_string ("person");
  GQuark classes[] = { person, 0 };
  GstMnv3RoiFilter all = { NULL, 0 }, only = { classes, 0 };
  GstMnv3Job job = { 0, };
  const GstMnv3ResultView *v;
  GstVideoRegionOfInterestMeta *m0, *m1, *m2, *got;
  GstBuffer *buf = gst_buffer_new ();

  memcpy (two, a, sizeof (a));
  memcpy (two + C, b, sizeof (b));
  /* regions at (0,10 50x40) and (100,10 50x40) */
  job_fill (&job, 2, two, 4, 0, FALSE);

  /* before any result: nothing matches */
  m0 = gst_buffer_add_video_region_of_interest_meta (buf, "person", 2, 12, 50,
      40);
  g_assert_cmpuint (gst_mnv3_result_match (r, buf, &all, 4), ==, 0);
  gst_mnv3_result_take (r, &job, &p);

  /* moved by 2 px: IoU well above 0.5, region 0; 0,0 1x1: nothing */
  m1 = gst_buffer_add_video_region_of_interest_meta (buf, "car", 0, 0, 1, 1);
  /* overlaps region 1 by half its width: IoU 1/3, no match */
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 125, 10, 50, 40);
  /* exactly region 1 */
  m2 = gst_buffer_add_video_region_of_interest_meta (buf, "car", 100, 10, 50,
      40);
  g_assert_cmpuint (gst_mnv3_result_match (r, buf, &all, 6), ==, 2);
  got = gst_mnv3_result_get_match (r, 0, &v);
  g_assert_true (got == m0);
  g_assert_cmpint (v->class_ids[0], ==, 0);
  g_assert_cmpint (v->roi.x, ==, 2);    /* the ROI meta's box */
  g_assert_cmpint (v->roi.y, ==, 12);
  g_assert_cmpuint (v->age_frames, ==, 2);
  g_assert_false (v->fresh);
  got = gst_mnv3_result_get_match (r, 1, &v);
  g_assert_true (got == m2);
  g_assert_cmpint (v->class_ids[0], ==, 1);
  g_assert_true (gst_mnv3_result_get_match_views (r) + 1 == v);
  (void) m1;

  /* the filter applies to matching too */
  g_assert_cmpuint (gst_mnv3_result_match (r, buf, &only, 6), ==, 1);
  got = gst_mnv3_result_get_match (r, 0, &v);
  g_assert_true (got == m0);
  only.min_size = 60;
  g_assert_cmpuint (gst_mnv3_result_match (r, buf, &only, 6), ==, 0);

  /* region views report the box asked for */
  {
    GstMnv3ResultView rv;

    gst_mnv3_result_get_view (r, 1, 4, &rv);
    g_assert_cmpint (rv.roi.x, ==, 100);
    g_assert_cmpint (rv.roi.w, ==, 50);
    g_assert_false (gst_mnv3_result_is_full_frame (r));
    g_assert_cmpuint (gst_mnv3_result_get_n_regions (r), ==, 2);
  }

  gst_buffer_unref (buf);
  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

/* many regions: the result grows, the contents stay right */
static void
test_many_regions (void)
{
  guint n = 37, i;
  gfloat *probs = g_new0 (gfloat, n * C);
  GstMnv3ResultParams p = params (1, 0.0f);
  GstMnv3Result *r = gst_mnv3_result_new (C, labels, "small");
  GstMnv3Job job = { 0, };
  GstMnv3ResultView v;

  for (i = 0; i < n; i++)
    probs[i * C + i % C] = 1.0f;
  job_fill (&job, n, probs, 0, 0, FALSE);
  gst_mnv3_result_take (r, &job, &p);
  for (i = 0; i < n; i++) {
    gst_mnv3_result_get_view (r, i, 0, &v);
    g_assert_cmpuint (v.n, ==, 1);
    g_assert_cmpint (v.class_ids[0], ==, (gint) (i % C));
    g_assert_cmpint (v.roi.x, ==, (gint) (100 * i));
  }
  g_free (probs);
  gst_mnv3_job_clear (&job);
  gst_mnv3_result_free (r);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/result/top-k", test_top_k);
  g_test_add_func ("/result/hysteresis", test_hysteresis);
  g_test_add_func ("/result/ema", test_ema);
  g_test_add_func ("/result/top-changed", test_top_changed);
  g_test_add_func ("/result/match", test_match);
  g_test_add_func ("/result/many-regions", test_many_regions);
  return g_test_run ();
}
