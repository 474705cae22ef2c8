/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One classification job: regions in, probabilities out.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstmnv3job.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_job_debug);
#define GST_CAT_DEFAULT gst_mnv3_job_debug

static void
gst_mnv3_job_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    /* the element's category: a job logs as part of the element */
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_job_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
}

/**
 * gst_mnv3_roi_filter_accepts:
 *
 * Returns: %TRUE when @rmeta is large enough and of an accepted roi type.
 */
gboolean
gst_mnv3_roi_filter_accepts (const GstMnv3RoiFilter * filter,
    const GstVideoRegionOfInterestMeta * rmeta)
{
  const GQuark *classes = filter->classes;
  guint min_size = MAX (filter->min_size, 1);

  if (rmeta->w < min_size || rmeta->h < min_size)
    return FALSE;
  if (classes == NULL || classes[0] == 0)
    return TRUE;
  for (; *classes; classes++)
    if (*classes == rmeta->roi_type)
      return TRUE;
  return FALSE;
}

/**
 * gst_mnv3_job_init:
 *
 * Makes @job an empty job for a model with @num_classes outputs and
 * @input_len floats of input.
 */
void
gst_mnv3_job_init (GstMnv3Job * job, guint num_classes, gsize input_len)
{
  gst_mnv3_job_debug_init ();
  memset (job, 0, sizeof (*job));
  job->num_classes = num_classes;
  job->input_len = input_len;
}

/**
 * gst_mnv3_job_clear:
 *
 * Frees what @job holds and leaves it empty (gst_mnv3_job_init () again
 * before use).
 */
void
gst_mnv3_job_clear (GstMnv3Job * job)
{
  g_free (job->inputs);
  g_free (job->probs);
  g_free (job->boxes);
  g_free (job->used);
  g_free (job->nonfinite);
  memset (job, 0, sizeof (*job));
}

/* Room for @n regions (contents kept), and their input tensors when
 * @with_inputs (contents not kept). Grows only: no allocation in the steady
 * state. */
static void
gst_mnv3_job_reserve (GstMnv3Job * job, guint n, gboolean with_inputs)
{
  if (n > job->alloc_rois) {
    guint a = MAX (n, 2 * job->alloc_rois);

    job->probs = g_renew (gfloat, job->probs, (gsize) a * job->num_classes);
    job->boxes = g_renew (GstVideoRectangle, job->boxes, a);
    job->used = g_renew (GstVideoRectangle, job->used, a);
    job->nonfinite = g_renew (gboolean, job->nonfinite, a);
    job->alloc_rois = a;
  }
  if (with_inputs && n > job->alloc_inputs) {
    guint a = MAX (n, 2 * job->alloc_inputs);

    g_free (job->inputs);
    job->inputs = g_new (gfloat, (gsize) a * job->input_len);
    job->alloc_inputs = a;
  }
}

/**
 * gst_mnv3_job_gather:
 * @filter: (nullable): %NULL: the whole @width x @height frame is the one
 *     region; else the ROI metas of @buffer that @filter accepts
 * @with_inputs: make room for the input tensors (async)
 *
 * Fills @job's regions from @buffer.
 */
void
gst_mnv3_job_gather (GstMnv3Job * job, GstBuffer * buffer, gint width,
    gint height, const GstMnv3RoiFilter * filter, gboolean with_inputs)
{
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  job->full_frame = filter == NULL;
  job->skipped_limit = job->skipped_outside = 0;
  if (job->full_frame) {
    gst_mnv3_job_reserve (job, 1, with_inputs);
    job->boxes[0].x = job->boxes[0].y = 0;
    job->boxes[0].w = width;
    job->boxes[0].h = height;
    job->n_rois = 1;
    return;
  }

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *r = (GstVideoRegionOfInterestMeta *) m;

    if (!gst_mnv3_roi_filter_accepts (filter, r))
      continue;
    /* nothing of it in the frame: classifying it would classify padding */
    if (r->x >= (guint) MAX (width, 0) || r->y >= (guint) MAX (height, 0)) {
      job->skipped_outside++;
      continue;
    }
    /* memory and time bounded whatever upstream sends */
    if (filter->max_rois > 0 && n >= filter->max_rois) {
      job->skipped_limit++;
      continue;
    }
    gst_mnv3_job_reserve (job, n + 1, FALSE);
    job->boxes[n].x = r->x;
    job->boxes[n].y = r->y;
    job->boxes[n].w = r->w;
    job->boxes[n].h = r->h;
    n++;
  }
  gst_mnv3_job_reserve (job, n, with_inputs);
  job->n_rois = n;
  if (job->skipped_limit > 0 || job->skipped_outside > 0)
    GST_LOG ("%u ROIs classified, %u skipped over max-rois, %u outside the "
        "%dx%d frame", n, job->skipped_limit, job->skipped_outside, width,
        height);
}

/**
 * gst_mnv3_job_preprocess:
 *
 * Preprocesses the gathered regions of @frame into the job's input tensors
 * (async: the streaming thread does this, the worker the rest).
 */
void
gst_mnv3_job_preprocess (GstMnv3Job * job, GstMnv3Preprocess * pp,
    const GstVideoFrame * frame)
{
  guint i;

  g_return_if_fail (job->alloc_inputs >= job->n_rois);
  for (i = 0; i < job->n_rois; i++)
    gst_mnv3_preprocess_run (pp, frame, &job->boxes[i],
        job->inputs + i * job->input_len, &job->used[i]);
}

/* FALSE when a probability of region @i is NaN or infinite (a model with
 * overflowing weights): its result is then marked invalid, not reported. */
static gboolean
gst_mnv3_job_probs_finite (const GstMnv3Job * job, guint i)
{
  const gfloat *p = job->probs + (gsize) i * job->num_classes;
  gfloat sum = 0.0f;
  guint j;

  /* one sum: NaN and inf propagate into it */
  for (j = 0; j < job->num_classes; j++)
    sum += p[j] * 0.0f;
  return sum == 0.0f;
}

/**
 * gst_mnv3_job_run:
 * @graph: the graph to run (one thread at a time)
 * @pp: (nullable): with @frame: preprocess from the frame (sync)
 * @frame: (nullable): %NULL: the inputs were preprocessed already (async)
 * @timing: measure preprocess_ns and forward_ns (sync only)
 * @delay_us: sleep this long after each forward pass (tests only)
 *
 * Runs @graph on each region of @job and writes its probabilities.
 */
void
gst_mnv3_job_run (GstMnv3Job * job, Mnv3Graph * graph, GstMnv3Preprocess * pp,
    const GstVideoFrame * frame, gboolean timing, guint64 delay_us)
{
  float *input = mnv3_graph_get_input (graph);
  GstClockTime t_start = 0, t_pre = 0;
  guint i;

  timing = timing && frame != NULL;
  job->preprocess_ns = job->forward_ns = 0;
  job->n_nonfinite = 0;
  for (i = 0; i < job->n_rois; i++) {
    const float *logits;

    if (timing)
      t_start = gst_util_get_timestamp ();
    if (frame)
      gst_mnv3_preprocess_run (pp, frame, &job->boxes[i], input, &job->used[i]);
    else
      memcpy (input, job->inputs + i * job->input_len,
          job->input_len * sizeof (gfloat));
    if (timing)
      t_pre = gst_util_get_timestamp ();
    logits = mnv3_graph_run (graph);
    if (G_UNLIKELY (delay_us > 0))
      g_usleep (delay_us);
    GST_LOG ("region %u: %d,%d %dx%d, used %d,%d %dx%d", i,
        job->boxes[i].x, job->boxes[i].y, job->boxes[i].w, job->boxes[i].h,
        job->used[i].x, job->used[i].y, job->used[i].w, job->used[i].h);
    mnv3_softmax (logits, job->probs + (gsize) i * job->num_classes,
        job->num_classes);
    job->nonfinite[i] = !gst_mnv3_job_probs_finite (job, i);
    if (G_UNLIKELY (job->nonfinite[i])) {
      GST_LOG ("region %u: the model's output is not finite", i);
      job->n_nonfinite++;
    }
    if (timing) {
      GstClockTime t_end = gst_util_get_timestamp ();

      job->preprocess_ns += t_pre - t_start;
      job->forward_ns += t_end - t_pre;
    }
  }
}

/**
 * gst_mnv3_job_run_batch:
 * @jobs: @n jobs of one preprocessed region each (async)
 * @graphs: their graphs: one model, the same options
 *
 * Runs the @n jobs as one batch (mnv3_graph_run_batch ()) and writes their
 * probabilities, the same as gst_mnv3_job_run () on each.
 */
void
gst_mnv3_job_run_batch (GstMnv3Job * const *jobs, Mnv3Graph * const *graphs,
    guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    g_assert (jobs[i]->n_rois == 1);
    memcpy (mnv3_graph_get_input (graphs[i]), jobs[i]->inputs,
        jobs[i]->input_len * sizeof (gfloat));
  }
  mnv3_graph_run_batch (graphs, (int) n);
  for (i = 0; i < n; i++) {
    jobs[i]->preprocess_ns = jobs[i]->forward_ns = 0;
    mnv3_softmax (mnv3_graph_get_logits (graphs[i]), jobs[i]->probs,
        jobs[i]->num_classes);
  }
}
