/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One classification job: the regions of one frame in, their probabilities
 * out (preprocessing + forward passes + softmax). No element state.
 */
#ifndef __GST_MNV3_JOB_H__
#define __GST_MNV3_JOB_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "mnv3.h"
#include "gstmnv3preprocess.h"

G_BEGIN_DECLS

/**
 * GstMnv3RoiFilter:
 * @classes: 0-terminated list of accepted roi types; %NULL or empty: all
 * @min_size: width and height in pixels an ROI needs (0: any, but not empty)
 * @max_rois: at most this many accepted ROIs per frame (in meta order) are
 *     classified, the rest are counted in the job's skipped_limit (0: all)
 *
 * Which upstream #GstVideoRegionOfInterestMeta are classified
 * (roi-source=roi-meta). Borrowed: the caller keeps @classes alive.
 */
typedef struct _GstMnv3RoiFilter GstMnv3RoiFilter;
struct _GstMnv3RoiFilter
{
  const GQuark *classes;
  guint min_size;
  guint max_rois;               /* regions classified per frame, 0: no limit */
};

gboolean gst_mnv3_roi_filter_accepts (const GstMnv3RoiFilter * filter,
    const GstVideoRegionOfInterestMeta * rmeta);

/**
 * GstMnv3Job:
 *
 * One classification request: the regions of one frame and, once run, their
 * probabilities. In sync mode the streaming thread fills and runs one job
 * inline; in async mode jobs travel from the streaming thread (which
 * preprocesses into @inputs) through the worker's one-slot mailbox to the
 * worker thread. A job has no lock: exactly one thread owns it at a time
 * (the element's sync job: the streaming thread; the worker's jobs: whoever
 * the worker's lock handed it to).
 */
typedef struct _GstMnv3Job GstMnv3Job;
struct _GstMnv3Job
{
  guint num_classes;            /* set by gst_mnv3_job_init () */
  gsize input_len;              /* floats in one input tensor */

  guint n_rois;
  guint skipped_limit;          /* accepted ROIs beyond the filter's max_rois */
  guint skipped_outside;        /* ROIs entirely outside the frame */
  guint alloc_rois;
  guint alloc_inputs;           /* regions @inputs has room for */
  gfloat *inputs;               /* alloc_inputs x input_len (async only) */
  gfloat *probs;                /* alloc_rois x num_classes */
  GstVideoRectangle *boxes;     /* the regions asked for */
  GstVideoRectangle *used;      /* the regions the model saw */
  gboolean *nonfinite;          /* alloc_rois: the model gave NaN or inf */
  guint n_nonfinite;            /* regions with nonfinite set, last run */
  gboolean full_frame;          /* one region, the frame: smoothing applies */
  guint64 frame;                /* frame counter of the source frame */
  GstClockTime pts;             /* and its PTS */
  guint64 generation;           /* the worker's: stale when != its own */
  gint64 inference_us;          /* preprocessing + forward passes */
  GstClockTime preprocess_ns;   /* sync, with timing on: preprocessing ... */
  GstClockTime forward_ns;      /* ... and forward passes + softmax */
};

void gst_mnv3_job_init        (GstMnv3Job * job, guint num_classes,
                               gsize input_len);
void gst_mnv3_job_clear       (GstMnv3Job * job);

void gst_mnv3_job_gather      (GstMnv3Job * job, GstBuffer * buffer,
                               gint width, gint height,
                               const GstMnv3RoiFilter * filter,
                               gboolean with_inputs);

void gst_mnv3_job_preprocess  (GstMnv3Job * job, GstMnv3Preprocess * pp,
                               const GstVideoFrame * frame);

void gst_mnv3_job_run         (GstMnv3Job * job, Mnv3Graph * graph,
                               GstMnv3Preprocess * pp,
                               const GstVideoFrame * frame, gboolean timing,
                               guint64 delay_us);

void gst_mnv3_job_run_batch    (GstMnv3Job * const * jobs,
                               Mnv3Graph * const * graphs, guint n);

G_END_DECLS

#endif /* __GST_MNV3_JOB_H__ */
