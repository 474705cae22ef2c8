/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Many elements in one process, at the level of the parts (no plugin):
 * - the model registry (gst/gstmnv3model.c): one file twice -> one model;
 *   two files -> two; a copy of the file -> its own model unless both name
 *   the same model-instance-id; releasing one user keeps the model for the
 *   other; the last release empties the registry;
 * - threads: eight workers on one model start one scheduler thread and one
 *   pool, not eight (counted in /proc/self/task on Linux);
 * - fairness: the round-robin policy serves every ready worker within n
 *   picks, whatever the others do; eight workers with a job each all get
 *   their result, and a batched result equals the one of a run alone.
 * No timing assertion.
 */
#include <string.h>
#include <glib/gstdio.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>

#include "gstmnv3model.h"
#include "gstmnv3worker.h"
#include "mnv3-test.h"

#define MODEL_A "small-sym-f16.safetensors"
#define MODEL_B "large-sym-f32.safetensors"
#define N_STREAMS 8

GST_START_TEST (test_registry)
{
  GstElement *el = gst_bin_new ("owner");
  gchar *a = mnv3_test_fixture_path (MODEL_A);
  gchar *b = mnv3_test_fixture_path (MODEL_B);
  gchar *dir = g_dir_make_tmp ("mnv3-registry-XXXXXX", NULL);
  gchar *copy = g_build_filename (dir, "copy.safetensors", NULL);
  gchar *contents;
  gsize len;
  guint base = gst_mnv3_model_registry_size ();

  fail_unless (g_file_get_contents (a, &contents, &len, NULL));
  fail_unless (g_file_set_contents (copy, contents, len, NULL));
  g_free (contents);

  GstMnv3ModelData *a1 = gst_mnv3_model_data_load (el, a, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO);
  GstMnv3ModelData *a2 = gst_mnv3_model_data_load (el, a, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO);
  fail_unless (a1 != NULL && a2 != NULL);
  fail_unless (a1 == a2);
  fail_unless (a1->model == a2->model);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 1);

  /* another file, and a copy of the same bytes: models of their own */
  GstMnv3ModelData *b1 = gst_mnv3_model_data_load (el, b, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO);
  GstMnv3ModelData *c1 = gst_mnv3_model_data_load (el, copy, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO);
  fail_unless (b1 != NULL && b1 != a1 && b1->model != a1->model);
  fail_unless (c1 != NULL && c1 != a1 && c1->model != a1->model);
  /* other label settings shape other labels: not shared */
  GstMnv3ModelData *a3 = gst_mnv3_model_data_load (el, a, NULL,
      GST_MNV3_LABEL_OFFSET_NONE);
  fail_unless (a3 != NULL && a3 != a1);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 4);

  /* the same model-instance-id shares, whatever the file */
  GstMnv3ModelData *i1 = gst_mnv3_model_data_acquire (el, a, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO, "cam-model");
  GstMnv3ModelData *i2 = gst_mnv3_model_data_acquire (el, copy, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO, "cam-model");
  fail_unless (i1 != NULL && i1 == i2);
  fail_unless_equals_string (i2->path, a);

  /* one user changes its model (releases it): the other's stays loaded
   * and runs */
  gst_mnv3_model_data_free (a2);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 5);
  {
    Mnv3Graph *g = mnv3_graph_new (a1->model, NULL, NULL);
    fail_unless (g != NULL);
    fail_unless (mnv3_graph_run (g) != NULL);
    mnv3_graph_free (g);
  }
  gst_mnv3_model_data_free (a1);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 4);
  /* a new load after the last release loads again */
  a1 = gst_mnv3_model_data_load (el, a, NULL, GST_MNV3_LABEL_OFFSET_AUTO);
  fail_unless (a1 != NULL);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 5);

  gst_mnv3_model_data_free (a1);
  gst_mnv3_model_data_free (a3);
  gst_mnv3_model_data_free (b1);
  gst_mnv3_model_data_free (c1);
  gst_mnv3_model_data_free (i1);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base + 1);
  gst_mnv3_model_data_free (i2);
  fail_unless_equals_int (gst_mnv3_model_registry_size (), base);

  g_unlink (copy);
  g_rmdir (dir);
  g_free (copy);
  g_free (dir);
  g_free (a);
  g_free (b);
  gst_object_unref (el);
}

GST_END_TEST;

/* Threads of the process, or -1 where /proc is not there. */
static gint
count_threads (void)
{
  GDir *d = g_dir_open ("/proc/self/task", 0, NULL);
  gint n = 0;

  if (d == NULL)
    return -1;
  while (g_dir_read_name (d) != NULL)
    n++;
  g_dir_close (d);
  return n;
}

/* A job of one region whose input is a pattern of @seed. */
static GstMnv3Job *
make_job (GstMnv3Worker * w, guint seed)
{
  GstMnv3Job *job = gst_mnv3_worker_acquire (w);
  GstBuffer *buf = gst_buffer_new ();
  gsize i;

  gst_mnv3_job_gather (job, buf, 64, 64, NULL, TRUE);
  for (i = 0; i < job->input_len; i++)
    job->inputs[i] = (gfloat) ((i * 7 + seed * 13) % 17) / 8.0f - 1.0f;
  job->used[0] = job->boxes[0];
  job->inference_us = 0;
  gst_buffer_unref (buf);
  return job;
}

GST_START_TEST (test_threads_and_fairness)
{
  GstElement *el = gst_bin_new ("owner");
  gchar *a = mnv3_test_fixture_path (MODEL_A);
  GstMnv3ModelData *md = gst_mnv3_model_data_load (el, a, NULL,
      GST_MNV3_LABEL_OFFSET_AUTO);
  Mnv3GraphOptions options = { 0, NULL };
  GstMnv3Worker *w[N_STREAMS];
  gsize input_len;
  gint before, after;
  guint i, num_classes;

  fail_unless (md != NULL);
  num_classes = md->info->num_classes;
  input_len = (gsize) md->info->input_size * md->info->input_size * 3;

  before = count_threads ();
  for (i = 0; i < N_STREAMS; i++) {
    GError *err = NULL;
    w[i] = gst_mnv3_worker_new (NULL);
    fail_unless (gst_mnv3_worker_start (w[i], md->model, &options,
            num_classes, input_len, 0, NULL, NULL, &err));
    g_assert_no_error (err);
  }
  after = count_threads ();
  fail_unless_equals_int (gst_mnv3_worker_sched_threads (), 1);
  if (before >= 0) {
    /* one scheduler thread and one pool of cores - 2 workers (the
     * scheduler thread is the pool's caller) */
    GST_INFO ("threads: %d before, %d with %d workers", before, after,
        N_STREAMS);
    fail_unless (after - before <= (gint) g_get_num_processors () + 1,
        "%d workers started %d threads", N_STREAMS, after - before);
  }

  /* all streams have a frame pending while the scheduler holds: released,
   * it serves every one (one batch, or several) */
  gst_mnv3_worker_sched_hold (TRUE);
  for (i = 0; i < N_STREAMS; i++)
    gst_mnv3_worker_submit (w[i], make_job (w[i], i));
  gst_mnv3_worker_sched_hold (FALSE);
  for (i = 0; i < N_STREAMS; i++) {
    GstMnv3Job *job;
    Mnv3Graph *g;
    const float *logits;
    gfloat *probs = g_new (gfloat, num_classes);

    gst_mnv3_worker_drain (w[i]);
    fail_unless_equals_int (gst_mnv3_worker_get_served (w[i]), 1);
    job = gst_mnv3_worker_take (w[i]);
    fail_unless (job != NULL);
    /* the same image alone on a graph of its own */
    g = mnv3_graph_new (md->model, &options, NULL);
    memcpy (mnv3_graph_get_input (g), job->inputs, input_len * sizeof (float));
    logits = mnv3_graph_run (g);
    mnv3_softmax (logits, probs, num_classes);
    fail_unless (memcmp (probs, job->probs, num_classes * sizeof (gfloat))
        == 0, "stream %u: the batched result differs from a run alone", i);
    mnv3_graph_free (g);
    g_free (probs);
    gst_mnv3_worker_release (w[i], job);
  }

  /* stream 0 submits again and again; the others once each: every one is
   * still served (the scheduler goes round-robin) */
  gst_mnv3_worker_sched_hold (TRUE);
  for (i = 0; i < N_STREAMS; i++)
    gst_mnv3_worker_submit (w[i], make_job (w[i], i + 100));
  gst_mnv3_worker_sched_hold (FALSE);
  for (guint round = 0; round < 20; round++) {
    GstMnv3Job *job = gst_mnv3_worker_take (w[0]);
    if (job)
      gst_mnv3_worker_release (w[0], job);
    gst_mnv3_worker_submit (w[0], make_job (w[0], round));
  }
  for (i = 0; i < N_STREAMS; i++) {
    gst_mnv3_worker_drain (w[i]);
    fail_unless (gst_mnv3_worker_get_served (w[i]) >= 2, "stream %u starved",
        i);
  }

  for (i = 0; i < N_STREAMS; i++)
    gst_mnv3_worker_free (w[i]);
  fail_unless_equals_int (gst_mnv3_worker_sched_threads (), 0);
  gst_mnv3_model_data_free (md);
  g_free (a);
  gst_object_unref (el);
}

GST_END_TEST;

/* The policy alone: whatever the ready pattern, a ready worker is picked
 * within n picks (it waits for at most one job of each other). */
GST_START_TEST (test_round_robin)
{
  const guint n = 5;
  gboolean ready[5];
  guint cursor = 0, step, waited[5] = { 0 };
  guint32 s = 12345;

  for (step = 0; step < 1000; step++) {
    guint i;
    gint j;

    /* worker 0 is always ready; the others at random */
    for (i = 0; i < n; i++) {
      s = s * 1664525u + 1013904223u;
      ready[i] = i == 0 || (s >> 16) % 3 == 0 || waited[i] > 0;
    }
    j = gst_mnv3_sched_next (ready, n, cursor % n);
    fail_unless (j >= 0 && ready[j]);
    cursor = (guint) j + 1;
    for (i = 0; i < n; i++) {
      if ((gint) i == j)
        waited[i] = 0;
      else if (ready[i])
        waited[i]++;
      fail_unless (waited[i] < n, "worker %u waited %u picks", i, waited[i]);
    }
  }
  /* nothing ready: -1 */
  memset (ready, 0, sizeof ready);
  fail_unless_equals_int (gst_mnv3_sched_next (ready, n, 3), -1);
}

GST_END_TEST;

static Suite *
multistream_suite (void)
{
  Suite *s = suite_create ("multistream");
  TCase *tc = tcase_create ("general");

  /* batching is opt-in (README: Many streams): these tests batch */
  g_setenv ("GST_MNV3_BATCH_MAX", "8", TRUE);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_registry);
  tcase_add_test (tc, test_threads_and_fairness);
  tcase_add_test (tc, test_round_robin);
  return s;
}

GST_CHECK_MAIN (multistream);
