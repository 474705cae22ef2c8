/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The worker part alone (gst/gstmnv3worker.c) with a fixture model: the
 * newest job wins the mailbox, a discard makes the running job stale,
 * drain waits for the pending one, the statistics callback, stop with work
 * queued, and a restart. No timing assertion: the test slows the worker
 * down (delay_us) only so that jobs pile up.
 */
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3worker.h"
#include "mnv3-test.h"

#define FIXTURE_MODEL "large-sym-f32.safetensors"

static gint ran_count;

static void
ran (gint64 inference_us, gpointer user_data)
{
  g_assert_true (user_data == &ran_count);
  g_assert_cmpint (inference_us, >=, 0);
  g_atomic_int_inc (&ran_count);
}

/* A job of one region whose input is all @value. */
static GstMnv3Job *
make_job (GstMnv3Worker * w, guint64 frame, gfloat value)
{
  GstMnv3Job *job = gst_mnv3_worker_acquire (w);
  GstBuffer *buf = gst_buffer_new ();
  gsize i;

  gst_mnv3_job_gather (job, buf, 64, 64, NULL, TRUE);
  for (i = 0; i < job->input_len; i++)
    job->inputs[i] = value;
  job->used[0] = job->boxes[0];
  job->frame = frame;
  job->inference_us = 0;
  gst_buffer_unref (buf);
  return job;
}

static void
test_worker (void)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  Mnv3GraphOptions options = { 1, NULL };
  const Mnv3ModelInfo *info;
  Mnv3Model *model;
  GstMnv3Worker *w = gst_mnv3_worker_new (NULL);
  GstMnv3Job *job;
  GError *err = NULL;
  gsize input_len;
  guint round;

  model = mnv3_model_load (path, &err);
  g_assert_no_error (err);
  info = mnv3_model_get_info (model);
  input_len = (gsize) info->input_size * info->input_size * 3;

  /* not started: nothing to take, drain and discard do nothing */
  g_assert_false (gst_mnv3_worker_is_running (w));
  g_assert_null (gst_mnv3_worker_take (w));
  gst_mnv3_worker_drain (w);
  gst_mnv3_worker_discard (w);

  for (round = 0; round < 2; round++) {
    ran_count = 0;
    g_assert_true (gst_mnv3_worker_start (w, model, &options,
            info->num_classes, input_len, 100000, ran, &ran_count, &err));
    g_assert_no_error (err);
    g_assert_true (gst_mnv3_worker_is_running (w));

    /* one job: drain, take, probabilities of a real forward pass */
    g_assert_false (gst_mnv3_worker_submit (w, make_job (w, 1, 0.5f)));
    gst_mnv3_worker_drain (w);
    job = gst_mnv3_worker_take (w);
    g_assert_nonnull (job);
    g_assert_cmpuint (job->frame, ==, 1);
    g_assert_cmpint (job->inference_us, >=, 100000);
    {
      gdouble sum = 0;
      guint j;

      for (j = 0; j < job->num_classes; j++)
        sum += job->probs[j];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
    }
    gst_mnv3_worker_release (w, job);
    g_assert_null (gst_mnv3_worker_take (w));
    g_assert_cmpint (g_atomic_int_get (&ran_count), ==, 1);

    /* newest wins: while the worker runs frame 2 (100 ms), 3 then 4 wait
     * in the one-slot mailbox, 4 replaces 3. Whether 2 was taken before 3
     * arrived is up to the scheduler, so 2 may itself be replaced. */
    gst_mnv3_worker_submit (w, make_job (w, 2, 0.1f));
    gst_mnv3_worker_submit (w, make_job (w, 3, 0.2f));
    g_assert_true (gst_mnv3_worker_submit (w, make_job (w, 4, 0.3f)));
    gst_mnv3_worker_drain (w);
    job = gst_mnv3_worker_take (w);
    g_assert_nonnull (job);
    g_assert_cmpuint (job->frame, ==, 4);       /* the newest finished one */
    gst_mnv3_worker_release (w, job);
    g_assert_null (gst_mnv3_worker_take (w));

    /* a discard while a job runs: its result is dropped */
    gst_mnv3_worker_submit (w, make_job (w, 5, 0.4f));
    gst_mnv3_worker_submit (w, make_job (w, 6, 0.4f));
    gst_mnv3_worker_discard (w);
    gst_mnv3_worker_drain (w);
    g_assert_null (gst_mnv3_worker_take (w));
    /* and the free list got every job back: four jobs in a row work */
    for (guint k = 0; k < 4; k++) {
      gst_mnv3_worker_submit (w, make_job (w, 10 + k, 0.5f));
      gst_mnv3_worker_drain (w);
      job = gst_mnv3_worker_take (w);
      g_assert_nonnull (job);
      g_assert_cmpuint (job->frame, ==, 10 + k);
      gst_mnv3_worker_release (w, job);
    }

    /* stop with work queued and a result not taken */
    gst_mnv3_worker_submit (w, make_job (w, 20, 0.5f));
    gst_mnv3_worker_submit (w, make_job (w, 21, 0.5f));
    gst_mnv3_worker_stop (w);
    g_assert_false (gst_mnv3_worker_is_running (w));
    g_assert_null (gst_mnv3_worker_take (w));
    gst_mnv3_worker_stop (w);   /* twice is fine */
  }

  gst_mnv3_worker_free (w);
  mnv3_model_free (model);
  g_free (path);
}

/* graph options the library refuses: start fails with an error, cleanly */
static void
test_start_fails (void)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  Mnv3GraphOptions options = { 1, "no-such-kernels" };
  GstMnv3Worker *w = gst_mnv3_worker_new (NULL);
  Mnv3Model *model;
  GError *err = NULL;

  model = mnv3_model_load (path, &err);
  g_assert_no_error (err);
  g_assert_false (gst_mnv3_worker_start (w, model, &options, 10, 30000, 0,
          NULL, NULL, &err));
  g_assert_nonnull (err);
  g_clear_error (&err);
  g_assert_false (gst_mnv3_worker_is_running (w));
  gst_mnv3_worker_free (w);
  mnv3_model_free (model);
  g_free (path);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/worker/mailbox", test_worker);
  g_test_add_func ("/worker/start-fails", test_start_fails);
  return g_test_run ();
}
