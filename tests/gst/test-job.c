/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The job part alone (gst/gstmnv3job.c) with a fixture model: the ROI
 * filter, gathering regions, and the probabilities of a sync run (from the
 * frame) and of an async run (from preprocessed inputs) against the library
 * called by hand.
 */
#include <math.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3job.h"
#include "mnv3-test.h"

/* 10 classes, input 100x100 */
#define FIXTURE_MODEL "large-sym-f32.safetensors"
#define W 160
#define H 120

typedef struct
{
  Mnv3Model *model;
  Mnv3Graph *graph;
  const Mnv3ModelInfo *info;
  GstMnv3Preprocess *pp;
  gsize input_len;
  GstVideoInfo vinfo;
  GstBuffer *buf;
  GstVideoFrame frame;
} Fixture;

static void
fixture_setup (Fixture * f, GstMnv3CropMode crop)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  Mnv3GraphOptions options = { 1, NULL };
  GError *err = NULL;
  GstMapInfo map;
  GRand *rand = g_rand_new_with_seed (18);
  gsize i;

  f->model = mnv3_model_load (path, &err);
  g_assert_no_error (err);
  f->graph = mnv3_graph_new (f->model, &options, &err);
  g_assert_no_error (err);
  f->info = mnv3_model_get_info (f->model);
  f->input_len = (gsize) f->info->input_size * f->info->input_size * 3;
  gst_video_info_set_format (&f->vinfo, GST_VIDEO_FORMAT_RGB, W, H);
  f->pp = gst_mnv3_preprocess_new ();
  g_assert_true (gst_mnv3_preprocess_set_info (f->pp, &f->vinfo,
          f->info->input_size, f->info->mean, f->info->std, crop, TRUE));
  f->buf = gst_buffer_new_and_alloc (GST_VIDEO_INFO_SIZE (&f->vinfo));
  gst_buffer_map (f->buf, &map, GST_MAP_WRITE);
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int_range (rand, 0, 256);
  gst_buffer_unmap (f->buf, &map);
  g_rand_free (rand);
  g_assert_true (gst_video_frame_map (&f->frame, &f->vinfo, f->buf,
          GST_MAP_READ));
  g_free (path);
}

static void
fixture_teardown (Fixture * f)
{
  gst_video_frame_unmap (&f->frame);
  gst_buffer_unref (f->buf);
  gst_mnv3_preprocess_free (f->pp);
  mnv3_graph_free (f->graph);
  mnv3_model_free (f->model);
}

/* The probabilities of @box computed with the library by hand. */
static gfloat *
reference_probs (Fixture * f, const GstVideoRectangle * box)
{
  gfloat *probs = g_new (gfloat, f->info->num_classes);
  GstVideoRectangle used;

  gst_mnv3_preprocess_run (f->pp, &f->frame, box,
      mnv3_graph_get_input (f->graph), &used);
  mnv3_softmax (mnv3_graph_run (f->graph), probs, f->info->num_classes);
  return probs;
}

static void
test_filter (void)
{
  GstBuffer *buf = gst_buffer_new ();
  GQuark classes[] = { g_quark_from_static_string ("person"),
    g_quark_from_static_string ("dog"), 0
  };
  GstMnv3RoiFilter all = { NULL, 0 }, some = { classes, 0 };
  GstMnv3RoiFilter empty_list = { classes + 2, 0 };
  GstVideoRegionOfInterestMeta *person, *car, *zero, *small;

  person = gst_buffer_add_video_region_of_interest_meta (buf, "person", 0, 0,
      20, 30);
  car = gst_buffer_add_video_region_of_interest_meta (buf, "car", 0, 0, 20, 30);
  zero = gst_buffer_add_video_region_of_interest_meta (buf, "person", 5, 5, 0,
      30);
  small = gst_buffer_add_video_region_of_interest_meta (buf, "dog", 5, 5, 9,
      30);
  g_assert_true (gst_mnv3_roi_filter_accepts (&all, person));
  g_assert_true (gst_mnv3_roi_filter_accepts (&all, car));
  g_assert_true (gst_mnv3_roi_filter_accepts (&empty_list, car));
  g_assert_false (gst_mnv3_roi_filter_accepts (&all, zero));    /* empty */
  g_assert_true (gst_mnv3_roi_filter_accepts (&some, person));
  g_assert_false (gst_mnv3_roi_filter_accepts (&some, car));
  g_assert_true (gst_mnv3_roi_filter_accepts (&some, small));
  some.min_size = 10;
  g_assert_false (gst_mnv3_roi_filter_accepts (&some, small));
  g_assert_true (gst_mnv3_roi_filter_accepts (&some, person));
  gst_buffer_unref (buf);
}

static void
test_gather (void)
{
  GstBuffer *buf = gst_buffer_new ();
  GQuark classes[] = { g_quark_from_static_string ("person"), 0 };
  GstMnv3RoiFilter filter = { classes, 4 };
  GstMnv3Job job;
  guint i;

  gst_mnv3_job_init (&job, 10, 300);
  gst_mnv3_job_gather (&job, buf, 640, 480, NULL, FALSE);
  g_assert_true (job.full_frame);
  g_assert_cmpuint (job.n_rois, ==, 1);
  g_assert_cmpint (job.boxes[0].w, ==, 640);
  g_assert_cmpint (job.boxes[0].h, ==, 480);
  g_assert_null (job.inputs);

  /* no ROI: no region */
  gst_mnv3_job_gather (&job, buf, 640, 480, &filter, TRUE);
  g_assert_false (job.full_frame);
  g_assert_cmpuint (job.n_rois, ==, 0);

  for (i = 0; i < 20; i++)
    gst_buffer_add_video_region_of_interest_meta (buf,
        i % 2 ? "person" : "car", i, 2 * i, 3 + i, 5 + i);
  gst_mnv3_job_gather (&job, buf, 640, 480, &filter, TRUE);
  /* persons (odd i) at least 4 px in both directions: all odd i */
  g_assert_cmpuint (job.n_rois, ==, 10);
  for (i = 0; i < job.n_rois; i++) {
    guint k = 2 * i + 1;

    g_assert_cmpint (job.boxes[i].x, ==, (gint) k);
    g_assert_cmpint (job.boxes[i].y, ==, (gint) (2 * k));
    g_assert_cmpint (job.boxes[i].w, ==, (gint) (3 + k));
    g_assert_cmpint (job.boxes[i].h, ==, (gint) (5 + k));
  }
  g_assert_cmpuint (job.alloc_inputs, >=, 10);
  g_assert_nonnull (job.inputs);
  gst_mnv3_job_clear (&job);
  gst_buffer_unref (buf);
}

/* issue 16.4 and 16.14: a frame with 10,000 ROIs classifies at most
 * max_rois of them with memory independent of the box count; boxes entirely
 * outside the frame are skipped and counted, boxes partly outside kept */
static void
test_gather_bounds (void)
{
  GstBuffer *buf = gst_buffer_new ();
  GstMnv3RoiFilter filter = { NULL, 0, 16 };
  GstMnv3Job job;
  guint i;

  gst_mnv3_job_init (&job, 10, 300);
  /* outside: right of, below, far away; partly outside: kept */
  gst_buffer_add_video_region_of_interest_meta (buf, "x", 640, 0, 10, 10);
  gst_buffer_add_video_region_of_interest_meta (buf, "x", 0, 480, 10, 10);
  gst_buffer_add_video_region_of_interest_meta (buf, "x", G_MAXUINT - 5,
      G_MAXUINT - 5, 4, 4);
  gst_buffer_add_video_region_of_interest_meta (buf, "x", 630, 470, 100, 100);
  for (i = 0; i < 10000; i++)
    gst_buffer_add_video_region_of_interest_meta (buf, "x", i % 600, i % 400,
        20, 20);
  gst_mnv3_job_gather (&job, buf, 640, 480, &filter, TRUE);
  g_assert_cmpuint (job.n_rois, ==, 16);
  g_assert_cmpuint (job.skipped_outside, ==, 3);
  g_assert_cmpuint (job.skipped_limit, ==, 10001 - 16);
  g_assert_cmpint (job.boxes[0].x, ==, 630);    /* the partly outside one */
  g_assert_cmpint (job.boxes[1].x, ==, 0);
  g_assert_cmpuint (job.alloc_inputs, <=, 32);
  g_assert_cmpuint (job.alloc_rois, <=, 32);

  /* the counts are per gather; 0: no limit */
  filter.max_rois = 0;
  gst_mnv3_job_gather (&job, buf, 640, 480, &filter, FALSE);
  g_assert_cmpuint (job.n_rois, ==, 10001);
  g_assert_cmpuint (job.skipped_limit, ==, 0);
  g_assert_cmpuint (job.skipped_outside, ==, 3);
  gst_mnv3_job_gather (&job, buf, 640, 480, NULL, FALSE);
  g_assert_cmpuint (job.skipped_outside, ==, 0);
  gst_mnv3_job_clear (&job);
  gst_buffer_unref (buf);
}

static void
check_probs (const GstMnv3Job * job, guint i, const gfloat * want, guint c)
{
  gdouble sum = 0;
  guint j;

  for (j = 0; j < c; j++) {
    gfloat got = job->probs[(gsize) i * c + j];

    if (fabsf (got - want[j]) > 1e-6f)
      g_error ("region %u class %u: got %g, want %g", i, j, got, want[j]);
    sum += got;
  }
  g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
}

/* sync (from the frame) and async (from preprocessed inputs, another
 * graph) agree with the library called by hand, for the frame and for
 * regions */
static void
test_run (gconstpointer data)
{
  GstMnv3CropMode crop = GPOINTER_TO_INT (data);
  Fixture f;
  GstMnv3Job sync, async;
  Mnv3Graph *graph2;
  Mnv3GraphOptions options = { 1, NULL };
  guint c, i, pass;

  fixture_setup (&f, crop);
  c = f.info->num_classes;
  graph2 = mnv3_graph_new (f.model, &options, NULL);
  g_assert_nonnull (graph2);
  gst_mnv3_job_init (&sync, c, f.input_len);
  gst_mnv3_job_init (&async, c, f.input_len);

  for (pass = 0; pass < 2; pass++) {
    GstMnv3RoiFilter all = { NULL, 0 };
    const GstMnv3RoiFilter *filter = pass ? &all : NULL;

    if (pass) {
      /* metas need a writable buffer: not mapped */
      gst_video_frame_unmap (&f.frame);
      gst_buffer_add_video_region_of_interest_meta (f.buf, "x", 10, 20, 50, 40);
      gst_buffer_add_video_region_of_interest_meta (f.buf, "x", 100, 0, 60,
          120);
      gst_buffer_add_video_region_of_interest_meta (f.buf, "x", 0, 0, 7, 3);
      g_assert_true (gst_video_frame_map (&f.frame, &f.vinfo, f.buf,
              GST_MAP_READ));
    }
    gst_mnv3_job_gather (&sync, f.buf, W, H, filter, FALSE);
    gst_mnv3_job_run (&sync, f.graph, f.pp, &f.frame, TRUE, 0);
    g_assert_cmpuint (sync.n_rois, ==, pass ? 3 : 1);
    g_assert_cmpuint (sync.forward_ns, >, 0);
    g_assert_cmpuint (sync.preprocess_ns, >, 0);

    gst_mnv3_job_gather (&async, f.buf, W, H, filter, TRUE);
    gst_mnv3_job_preprocess (&async, f.pp, &f.frame);
    gst_mnv3_job_run (&async, graph2, NULL, NULL, TRUE, 0);
    g_assert_cmpuint (async.forward_ns, ==, 0); /* timing: sync only */

    for (i = 0; i < sync.n_rois; i++) {
      gfloat *want = reference_probs (&f, &sync.boxes[i]);

      check_probs (&sync, i, want, c);
      check_probs (&async, i, want, c);
      g_assert_cmpmem (&sync.used[i], sizeof (GstVideoRectangle),
          &async.used[i], sizeof (GstVideoRectangle));
      g_assert_cmpint (sync.used[i].w, >, 0);
      g_free (want);
    }
  }
  if (crop == GST_MNV3_CROP_CENTER) {
    /* the region the model saw: the centred square of the frame */
    gst_mnv3_job_gather (&sync, f.buf, W, H, NULL, FALSE);
    gst_mnv3_job_run (&sync, f.graph, f.pp, &f.frame, FALSE, 0);
    g_assert_cmpint (sync.used[0].w, ==, H);
    g_assert_cmpint (sync.used[0].h, ==, H);
    g_assert_cmpint (sync.used[0].x, ==, (W - H) / 2);
  }

  gst_mnv3_job_clear (&sync);
  gst_mnv3_job_clear (&async);
  mnv3_graph_free (graph2);
  fixture_teardown (&f);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/job/filter", test_filter);
  g_test_add_func ("/job/gather", test_gather);
  g_test_add_func ("/job/gather-bounds", test_gather_bounds);
  g_test_add_data_func ("/job/run/center-crop",
      GINT_TO_POINTER (GST_MNV3_CROP_CENTER), test_run);
  g_test_add_data_func ("/job/run/stretch",
      GINT_TO_POINTER (GST_MNV3_CROP_STRETCH), test_run);
  return g_test_run ();
}
