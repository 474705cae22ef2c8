/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mnv3classify element: classifies raw video frames with libmnv3.
 */

/**
 * SECTION:element-mnv3classify
 * @title: mnv3classify
 *
 * Classifies video frames with a MobileNetV3 network (libmnv3, a safetensors
 * model file) and publishes the top-k labels on every buffer:
 *
 * - a "Mnv3Classification" #GstCustomMeta (read it from C with the
 *   header-only helpers of `<gst/mnv3/mnv3classify-meta.h>`, from Python with
 *   `buf.get_custom_meta ("Mnv3Classification").get_structure ()`);
 * - a #GstVideoRegionOfInterestMeta over the region the model saw (the
 *   centred square with `crop-mode=center-crop`, the whole frame otherwise;
 *   the custom meta's `roi` is the same rectangle), roi type = top-1 label,
 *   with a "classification" param (`label`, `label_id`, `confidence` and the
 *   top-k arrays);
 * - "mnv3classify" element messages on the bus (see #GstMnv3Classify:message)
 *   with `timestamp`, `running-time`, `labels`, `class-ids`, `scores` and
 *   `inference-us`;
 * - optionally the top labels drawn on the video (#GstMnv3Classify:overlay):
 *   attached as a #GstVideoOverlayCompositionMeta when downstream accepts
 *   one, blended into the frame otherwise.
 *
 * The element works in place on any of 17 raw formats and any size, and reads
 * the native format directly: no videoconvert or videoscale is needed in
 * front of it. The region fed to the model is chosen by
 * #GstMnv3Classify:crop-mode.
 *
 * Class ids always index the model's outputs: with a 1001-output TensorFlow
 * model, id 0 is "background" and ImageNet classes start at 1 (see
 * #GstMnv3Classify:label-offset). A caps change or a flush drops the carried
 * result, so the next frame is classified afresh.
 *
 * Buffers are always passed on: when the model runs only on every Nth frame
 * (#GstMnv3Classify:inference-interval), the frames in between carry the last
 * result with `fresh` = %FALSE and `age-frames` set.
 *
 * ## Live streams
 *
 * - #GstMnv3Classify:mode: with a live upstream (the default `auto` asks the
 *   LATENCY query) a worker thread classifies the newest frame while frames
 *   pass without waiting; a frame that arrives while the worker is busy
 *   replaces the one waiting in the one-slot mailbox. Buffers carry the most
 *   recent result (`fresh` = %FALSE, `age-frames` > 0, `source-pts` of the
 *   frame it comes from). `sync` classifies inline and is deterministic.
 * - #GstMnv3Classify:qos: when downstream QOS events say frames are late,
 *   inference is skipped, never the frame
 *   (#GstMnv3Classify:inferences-skipped counts them).
 * - LATENCY: in sync mode the element adds 1.5 times the running average of
 *   its inference time (the first inference after start is not counted) to
 *   the latency, and posts a LATENCY message when that estimate drifts by
 *   more than 20 % from the last answer; async adds nothing.
 * - #GstMnv3Classify:smoothing and #GstMnv3Classify:hysteresis keep the label
 *   stable on noisy input.
 * - #GstMnv3Classify:roi-source=roi-meta classifies the regions found by an
 *   upstream detector (GstVideoRegionOfInterestMeta).
 * - Flushes, seeks and caps changes drop the queued frame and ignore the one
 *   being classified; EOS lets the worker finish (at most one inference) and
 *   posts that result; READY and NULL join the worker.
 *
 * Per-frame time: with the debug category `mnv3classify-perf` at DEBUG
 * (`GST_DEBUG=mnv3classify-perf:5`) each frame logs, in nanoseconds, the
 * time spent in the element's per-frame function (`total`, from entry to
 * return) and its parts: `preprocess` and `forward` (the model, with
 * softmax; sync mode only), `classify-other` (top-k, smoothing, messages and
 * statistics; in async mode the hand-over to the worker), `meta`, `overlay`
 * and `rest`. bench/element-overhead.sh compares their medians with bare
 * inference and preprocessing. The clock is read only while the category is
 * at DEBUG.
 *
 * `MNV3_TEST_DELAY_US` (environment, read when the element starts) slows
 * every forward pass down by that many microseconds. It exists for the
 * tests only (a model slower than the stream) and is logged as a warning.
 *
 * When #GstMnv3Classify:model-file is not set, the element looks for
 * `mnv3-default.safetensors` in `$MNV3_MODEL_DIR`, the installed data folder
 * and the build tree's `models/` folder (see `models/README.md` for how to
 * make one).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m v4l2src ! mnv3classify model-file=mnv3-large.safetensors ! videoconvert ! autovideosink
 * gst-launch-1.0 -m filesrc location=cat.png ! decodebin ! imagefreeze num-buffers=3 ! mnv3classify model-file=m.safetensors ! fakesink
 * gst-launch-1.0 rtspsrc location=rtsp://camera/stream ! decodebin ! mnv3classify model-file=m.safetensors smoothing=ema hysteresis=0.05 ! autovideosink
 * ]|
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/video-overlay-composition.h>

#include "mnv3.h"
#include "gstmnv3classify.h"
#include "gstmnv3enums.h"
#include "gstmnv3job.h"
#include "gstmnv3labels.h"
#include "gstmnv3meta.h"
#include "gstmnv3model.h"
#include "gstmnv3overlay.h"
#include "gstmnv3preprocess.h"
#include "gstmnv3props.h"
#include "gstmnv3result.h"
#include "gstmnv3stats.h"
#include "gstmnv3worker.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_classify_debug);
/* per-frame time split, logged at DEBUG level (bench/element-overhead.sh) */
GST_DEBUG_CATEGORY_STATIC (gst_mnv3_classify_perf_debug);
#define GST_CAT_DEFAULT gst_mnv3_classify_debug


static GstStaticPadTemplate gst_mnv3_classify_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_MNV3_PREPROCESS_CAPS)
    );

static GstStaticPadTemplate gst_mnv3_classify_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_MNV3_PREPROCESS_CAPS)
    );

struct _GstMnv3Classify
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model_file;
  gchar *model_instance_id;
  guint batch_timeout;          /* us */
  gchar *labels_file;
  GstMnv3LabelOffset label_offset;
  guint top_k;
  gfloat threshold;
  GstMnv3CropMode crop_mode;
  guint inference_interval;
  gint threads;
  gboolean qos;
  gboolean overlay;
  GstMnv3MessageMode message;
  GstMnv3Mode mode;             /* the user's: never written by the element */
  GstMnv3Smoothing smoothing;
  gdouble smoothing_time;
  gdouble hysteresis;
  GstMnv3RoiSource roi_source;
  gchar *object_class;
  GQuark *object_quarks;        /* parsed object_class, 0-terminated */
  guint min_roi_size;
  guint max_rois;
  guint overlay_top_k;
  guint64 rois_skipped;         /* over max-rois, under the object lock */
  guint64 rois_outside;         /* entirely outside the frame, same */
  gboolean nonfinite_warned;    /* streaming thread */
  GQuark attribute_name;        /* its string lives as long as the process */
  gboolean full_frame_roi;

  /* what decides the mode, under the object lock */
  gint upstream_live;           /* -1 unknown, else from a LATENCY query */
  gboolean worker_failed;       /* async could not start: run sync */

  /* model state, from start() to stop(); streaming thread only otherwise */
  GstMnv3ModelData *md;         /* the model, its info and labels */
  const Mnv3ModelInfo *info;    /* md->info */
  Mnv3Graph *graph;
  Mnv3GraphOptions graph_options;       /* the worker makes its graph with them */
  guint num_classes;
  gsize input_len;              /* floats in one input tensor */
  GstMnv3Preprocess *pp;
  GstMnv3CropMode pp_crop_mode; /* the mode pp was configured with */
  guint64 test_delay_us;        /* MNV3_TEST_DELAY_US, tests only */
  GQuark *oc_scratch;           /* copy of object_quarks for one frame */
  guint oc_alloc;

  /* the parts (each documents its own locking) */
  GstMnv3Stats *stats;          /* init to finalize; its own lock: status
                                 * properties, latency estimate, QoS */
  GstMnv3Job sync_job;          /* sync mode; streaming thread, no lock */
  GstMnv3Result *result;        /* start() to stop(); streaming thread, no lock */
  GstMnv3Worker *worker;        /* init to finalize; its own lock and thread */
  GstMnv3OverlayPolicy *overlay_policy; /* init to finalize; streaming thread
                                         * (recheck: any thread, atomic) */

  /* frame bookkeeping, streaming thread */
  guint64 frame_count;          /* frames since start */
  gboolean submitted_any;       /* an inference was started since reset */
  guint64 last_submit;          /* frame_count of the last one */
  gboolean timing;              /* mnv3classify-perf debug at DEBUG or more */
};

/* The properties one frame uses, read once under the object lock. */
typedef struct
{
  guint interval;
  GstMnv3CropMode crop_mode;
  gboolean overlay;
  gboolean qos;
  GstMnv3RoiSource roi_source;
  guint overlay_top_k;
  GstMnv3RoiFilter filter;      /* roi-meta: which ROIs take part */
  const GstMnv3RoiFilter *roi_filter;   /* &filter, NULL for full-frame */
  const gchar *attribute;       /* attribute-name (an interned string) */
  gboolean full_frame_roi;
} GstMnv3FrameParams;

/* Per-frame time split (mnv3classify-perf at DEBUG): entry, after
 * classification, after the metas, after the overlay; preprocessing and
 * forward passes inside classification (sync). */
typedef struct
{
  GstClockTime entry, classified, meta, overlay;
  GstClockTime preprocess_ns, forward_ns;
} GstMnv3FrameTimes;

#define gst_mnv3_classify_parent_class parent_class
G_DEFINE_TYPE (GstMnv3Classify, gst_mnv3_classify, GST_TYPE_VIDEO_FILTER);

GST_ELEMENT_REGISTER_DEFINE (mnv3classify, "mnv3classify", GST_RANK_NONE,
    GST_TYPE_MNV3_CLASSIFY);

/* helpers */

/* Forgets the current result and everything derived from it (streaming
 * thread, or with the streaming thread stopped). */
static void
gst_mnv3_classify_reset_result (GstMnv3Classify * self)
{
  if (self->result)
    gst_mnv3_result_reset (self->result);
  self->submitted_any = FALSE;
  gst_mnv3_stats_clear_qos (self->stats);
}

/* Counts one classification (any thread) and posts a LATENCY message when
 * the sync latency estimate drifted. */
static void
gst_mnv3_classify_update_stats (GstMnv3Classify * self, gint64 us,
    gboolean sync)
{
  if (gst_mnv3_stats_inferred (self->stats, us, sync)) {
    GST_DEBUG_OBJECT (self, "inference time drifted, posting LATENCY");
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
  }
}

/* The worker's statistics callback (worker thread). */
static void
gst_mnv3_classify_worker_ran (gint64 inference_us, gpointer user_data)
{
  gst_mnv3_classify_update_stats (user_data, inference_us, FALSE);
}

static void
gst_mnv3_classify_free_model (GstMnv3Classify * self)
{
  gst_mnv3_worker_stop (self->worker);
  gst_mnv3_stats_set_current (self->stats, NULL, 0.0);

  gst_mnv3_overlay_policy_reset (self->overlay_policy);
  g_clear_pointer (&self->result, gst_mnv3_result_free);
  g_clear_pointer (&self->pp, gst_mnv3_preprocess_free);
  g_clear_pointer (&self->graph, mnv3_graph_free);
  g_clear_pointer (&self->md, gst_mnv3_model_data_free);
  self->info = NULL;
  gst_mnv3_job_clear (&self->sync_job);
  g_clear_pointer (&self->oc_scratch, g_free);
  self->oc_alloc = 0;
  self->num_classes = 0;
  gst_mnv3_classify_reset_result (self);
}

/* The one place the mode is decided (object lock held): the user's mode,
 * auto resolved by whether upstream is live, and sync when the worker could
 * not start. The mode property itself is never written. */
static GstMnv3Mode
gst_mnv3_classify_effective_mode_unlocked (GstMnv3Classify * self)
{
  GstMnv3Mode mode = self->mode;

  if (mode == GST_MNV3_MODE_AUTO)
    mode = self->upstream_live > 0 ? GST_MNV3_MODE_ASYNC : GST_MNV3_MODE_SYNC;
  if (mode == GST_MNV3_MODE_ASYNC && self->worker_failed)
    mode = GST_MNV3_MODE_SYNC;
  return mode;
}

static gboolean
gst_mnv3_classify_start_worker (GstMnv3Classify * self)
{
  GError *err = NULL;
  guint batch_timeout;

  GST_OBJECT_LOCK (self);
  batch_timeout = self->batch_timeout;
  GST_OBJECT_UNLOCK (self);
  gst_mnv3_worker_set_batch_timeout (self->worker, batch_timeout);
  if (gst_mnv3_worker_start (self->worker, self->md->model,
          &self->graph_options, self->num_classes, self->input_len,
          self->test_delay_us, gst_mnv3_classify_worker_ran, self, &err)) {
    /* the sync graph's arena is not needed while async: made again if the
     * element ever classifies in sync (gst_mnv3_classify_run_sync ()) */
    g_clear_pointer (&self->graph, mnv3_graph_free);
    return TRUE;
  }

  GST_ELEMENT_WARNING (self, RESOURCE, FAILED,
      ("Could not start the inference thread, classifying in the streaming "
          "thread."), ("%s", err ? err->message : "?"));
  g_clear_error (&err);
  return FALSE;
}

/* The mode for this frame (streaming thread). Asks upstream once per start
 * whether it is live when mode is auto and no LATENCY query told us yet, and
 * starts the worker when async needs it. */
static GstMnv3Mode
gst_mnv3_classify_resolve_mode (GstMnv3Classify * self)
{
  GstMnv3Mode mode;
  gboolean ask;

  GST_OBJECT_LOCK (self);
  ask = self->mode == GST_MNV3_MODE_AUTO && self->upstream_live < 0;
  GST_OBJECT_UNLOCK (self);
  if (ask) {
    GstQuery *q = gst_query_new_latency ();
    gboolean is_live = FALSE;

    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), q))
      gst_query_parse_latency (q, &is_live, NULL, NULL);
    gst_query_unref (q);
    GST_OBJECT_LOCK (self);
    self->upstream_live = is_live;
    GST_OBJECT_UNLOCK (self);
    GST_INFO_OBJECT (self, "upstream is %slive: mode auto runs %s",
        is_live ? "" : "not ", is_live ? "async" : "sync");
  }

  GST_OBJECT_LOCK (self);
  mode = gst_mnv3_classify_effective_mode_unlocked (self);
  GST_OBJECT_UNLOCK (self);
  if (mode == GST_MNV3_MODE_ASYNC && !gst_mnv3_worker_is_running (self->worker)
      && !gst_mnv3_classify_start_worker (self)) {
    GST_OBJECT_LOCK (self);
    self->worker_failed = TRUE;
    GST_OBJECT_UNLOCK (self);
    mode = GST_MNV3_MODE_SYNC;
  }
  return mode;
}

/* TRUE when downstream QoS says @buffer will be late anyway. */
static gboolean
gst_mnv3_classify_is_late (GstMnv3Classify * self, GstBuffer * buffer)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);

  if (trans->segment.format != GST_FORMAT_TIME
      || !GST_BUFFER_PTS_IS_VALID (buffer))
    return FALSE;
  return gst_mnv3_stats_is_late (self->stats,
      gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
          GST_BUFFER_PTS (buffer)));
}

/* Copies the properties one frame uses, and the object-class filter (no
 * allocation once grown). */
static void
gst_mnv3_classify_read_frame_params (GstMnv3Classify * self,
    GstMnv3FrameParams * fp)
{
  guint n = 0;

  GST_OBJECT_LOCK (self);
  fp->interval = self->inference_interval;
  fp->crop_mode = self->crop_mode;
  fp->overlay = self->overlay;
  fp->qos = self->qos;
  fp->roi_source = self->roi_source;
  fp->attribute = g_quark_to_string (self->attribute_name);
  fp->full_frame_roi = self->full_frame_roi;
  fp->filter.min_size = self->min_roi_size;
  fp->filter.max_rois = self->max_rois;
  fp->overlay_top_k = self->overlay_top_k;
  fp->filter.classes = NULL;
  fp->roi_filter = NULL;
  if (fp->roi_source == GST_MNV3_ROI_SOURCE_ROI_META) {
    if (self->object_quarks)
      while (self->object_quarks[n])
        n++;
    if (n + 1 > self->oc_alloc) {
      self->oc_alloc = n + 1;
      self->oc_scratch = g_renew (GQuark, self->oc_scratch, self->oc_alloc);
    }
    if (n)
      memcpy (self->oc_scratch, self->object_quarks, n * sizeof (GQuark));
    self->oc_scratch[n] = 0;
    fp->filter.classes = self->oc_scratch;
    fp->roi_filter = &fp->filter;
  }
  GST_OBJECT_UNLOCK (self);
}

/* How a finished job becomes the result: a copy of the properties.
 * Returns the message mode. */
static GstMnv3MessageMode
gst_mnv3_classify_result_params (GstMnv3Classify * self,
    GstMnv3ResultParams * p)
{
  GstVideoInfo *vinfo = &GST_VIDEO_FILTER (self)->in_info;
  GstMnv3MessageMode message;

  GST_OBJECT_LOCK (self);
  p->top_k = self->top_k;
  p->threshold = self->threshold;
  p->ema = self->smoothing == GST_MNV3_SMOOTHING_EMA;
  p->smoothing_time = self->smoothing_time;
  p->hysteresis = self->hysteresis;
  message = self->message;
  GST_OBJECT_UNLOCK (self);
  if (GST_VIDEO_INFO_FPS_N (vinfo) > 0)
    p->frame_duration = (gdouble) GST_VIDEO_INFO_FPS_D (vinfo) /
        GST_VIDEO_INFO_FPS_N (vinfo);
  else
    p->frame_duration = 1.0 / 30.0;
  return message;
}

/* Posts the current result on the bus, one message per region. */
static void
gst_mnv3_classify_post_result (GstMnv3Classify * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstMnv3Result *r = self->result;
  GstClockTime pts = gst_mnv3_result_get_pts (r);
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  guint i, n = gst_mnv3_result_get_n_regions (r);
  gboolean full_frame = gst_mnv3_result_is_full_frame (r);

  if (GST_CLOCK_TIME_IS_VALID (pts) && trans->segment.format == GST_FORMAT_TIME)
    running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, pts);
  for (i = 0; i < n; i++) {
    GstMnv3ResultView view;

    gst_mnv3_result_get_view (r, i, gst_mnv3_result_get_frame (r), &view);
    gst_mnv3_meta_post_message (GST_ELEMENT_CAST (self), &view, pts,
        running_time, full_frame ? -1 : (gint) i, n);
  }
}

/* Makes the finished @job the current result (streaming thread): the
 * result part does smoothing, hysteresis and top-k; here the status
 * properties and the bus messages. */
static void
gst_mnv3_classify_take_result (GstMnv3Classify * self, GstMnv3Job * job,
    guint64 frame_idx)
{
  GstMnv3ResultParams params;
  GstMnv3MessageMode message;
  gboolean changed;

  message = gst_mnv3_classify_result_params (self, &params);
  gst_mnv3_result_take (self->result, job, &params);

  GST_LOG_OBJECT (self, "result of frame %" G_GUINT64_FORMAT " (%u regions, "
      "%" G_GINT64_FORMAT " us) taken at frame %" G_GUINT64_FORMAT,
      job->frame, job->n_rois, job->inference_us, frame_idx);

  if (G_UNLIKELY (job->n_nonfinite > 0) && !self->nonfinite_warned) {
    self->nonfinite_warned = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The model gives non-finite scores (NaN or infinity)."),
        ("%u of %u regions of frame %" G_GUINT64_FORMAT " have non-finite "
            "output: these results carry no labels (warned once per start)",
            job->n_nonfinite, job->n_rois, job->frame));
  }

  if (job->full_frame) {
    const gchar *label;
    gdouble score;

    label = gst_mnv3_result_get_top (self->result, &score);
    gst_mnv3_stats_set_current (self->stats, label, score);
  }

  if (message == GST_MNV3_MESSAGE_NONE)
    return;
  changed = gst_mnv3_result_top_changed (self->result);
  if (changed || message == GST_MNV3_MESSAGE_EVERY_RESULT)
    gst_mnv3_classify_post_result (self);
}

/* Takes the worker's newest finished result, if any. */
static void
gst_mnv3_classify_poll_worker (GstMnv3Classify * self, guint64 frame_idx)
{
  GstMnv3Job *job = gst_mnv3_worker_take (self->worker);

  if (job == NULL)
    return;
  gst_mnv3_classify_take_result (self, job, frame_idx);
  gst_mnv3_worker_release (self->worker, job);
}

/* Counts the ROIs a gather left out (rois-skipped, rois-outside). */
static void
gst_mnv3_classify_count_skipped (GstMnv3Classify * self, const GstMnv3Job * job)
{
  if (G_LIKELY (job->skipped_limit == 0 && job->skipped_outside == 0))
    return;
  GST_OBJECT_LOCK (self);
  self->rois_skipped += job->skipped_limit;
  self->rois_outside += job->skipped_outside;
  GST_OBJECT_UNLOCK (self);
}

/* Async: the regions of @frame are preprocessed here (well under a
 * millisecond) and classified by the worker. */
static void
gst_mnv3_classify_submit (GstMnv3Classify * self, GstVideoFrame * frame,
    guint64 frame_idx, const GstMnv3FrameParams * fp)
{
  gint64 t_start = g_get_monotonic_time ();
  GstMnv3Job *job = gst_mnv3_worker_acquire (self->worker);

  gst_mnv3_job_gather (job, frame->buffer, GST_VIDEO_FRAME_WIDTH (frame),
      GST_VIDEO_FRAME_HEIGHT (frame), fp->roi_filter, TRUE);
  gst_mnv3_classify_count_skipped (self, job);
  gst_mnv3_job_preprocess (job, self->pp, frame);
  job->frame = frame_idx;
  job->pts = GST_BUFFER_PTS (frame->buffer);
  job->inference_us = g_get_monotonic_time () - t_start;

  if (gst_mnv3_worker_submit (self->worker, job))
    gst_mnv3_stats_replaced (self->stats);
}

/* Sync: classifies @frame inline and makes it the result. */
static void
gst_mnv3_classify_run_sync (GstMnv3Classify * self, GstVideoFrame * frame,
    guint64 frame_idx, const GstMnv3FrameParams * fp, GstMnv3FrameTimes * times)
{
  GstMnv3Job *job = &self->sync_job;
  gint64 t_start = g_get_monotonic_time ();

  if (G_UNLIKELY (self->graph == NULL)) {
    GError *err = NULL;

    self->graph = mnv3_graph_new (self->md->model, &self->graph_options, &err);
    if (self->graph == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not prepare model \"%s\" for inference.", self->md->path),
          ("%s", err->message));
      g_clear_error (&err);
      return;
    }
  }

  gst_mnv3_job_gather (job, frame->buffer, GST_VIDEO_FRAME_WIDTH (frame),
      GST_VIDEO_FRAME_HEIGHT (frame), fp->roi_filter, FALSE);
  gst_mnv3_classify_count_skipped (self, job);
  job->frame = frame_idx;
  job->pts = GST_BUFFER_PTS (frame->buffer);
  gst_mnv3_job_run (job, self->graph, self->pp, frame, self->timing,
      self->test_delay_us);
  job->inference_us = g_get_monotonic_time () - t_start;
  if (job->n_rois > 0)
    gst_mnv3_classify_update_stats (self, job->inference_us, TRUE);
  gst_mnv3_classify_take_result (self, job, frame_idx);
  times->preprocess_ns = job->preprocess_ns;
  times->forward_ns = job->forward_ns;
}

/* TRUE when the model runs on this frame: every inference-interval th
 * frame, unless QoS says the frame is late (then *skipped). */
static gboolean
gst_mnv3_classify_is_due (GstMnv3Classify * self, GstBuffer * buffer,
    guint64 frame_idx, const GstMnv3FrameParams * fp, gboolean * skipped)
{
  gboolean due;

  due = !self->submitted_any || frame_idx - self->last_submit >= fp->interval;
  if (due && fp->qos && gst_mnv3_classify_is_late (self, buffer)) {
    GST_LOG_OBJECT (self, "late: inference skipped on %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    *skipped = TRUE;
    return FALSE;
  }
  if (due) {
    self->submitted_any = TRUE;
    self->last_submit = frame_idx;
  }
  return due;
}

#define STAMP(self) ((self)->timing ? gst_util_get_timestamp () : 0)

/* Writes the result onto the frame: metas, then the overlay. */
static void
gst_mnv3_classify_publish (GstMnv3Classify * self, GstVideoFrame * frame,
    guint64 frame_idx, const GstMnv3FrameParams * fp, GstMnv3FrameTimes * times)
{
  GstMnv3Result *r = self->result;
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (self);
  GstMnv3ResultView view;
  guint i, n;

  if (fp->roi_source == GST_MNV3_ROI_SOURCE_FULL_FRAME) {
    gst_mnv3_result_get_frame_view (r, frame_idx,
        GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame), &view);
    gst_mnv3_meta_add (frame->buffer, &view, fp->attribute, fp->full_frame_roi);
    times->meta = STAMP (self);
    if (fp->overlay && gst_mnv3_result_is_valid (r)
        && gst_mnv3_result_get_n_regions (r) > 0) {
      gst_mnv3_result_get_view (r, 0, frame_idx, &view);
      if (fp->overlay_top_k > 0)
        view.n = MIN (view.n, fp->overlay_top_k);
      gst_mnv3_overlay_policy_draw (self->overlay_policy, &view, frame, srcpad);
    }
    times->overlay = STAMP (self);
  } else if (gst_mnv3_result_is_valid (r)) {
    n = gst_mnv3_result_match (r, frame->buffer, &fp->filter, frame_idx);
    for (i = 0; i < n; i++) {
      const GstMnv3ResultView *v;
      GstVideoRegionOfInterestMeta *rmeta;

      rmeta = gst_mnv3_result_get_match (r, i, &v);
      gst_mnv3_meta_add_to_roi (frame->buffer, rmeta, v, fp->attribute);
    }
    times->meta = STAMP (self);
    if (fp->overlay)
      gst_mnv3_overlay_policy_draw_regions (self->overlay_policy,
          gst_mnv3_result_get_match_views (r), n, frame, srcpad);
    times->overlay = STAMP (self);
  }
}

static void
gst_mnv3_classify_log_times (GstMnv3Classify * self, guint64 frame_idx,
    const GstMnv3FrameTimes * t)
{
  GstClockTime end = gst_util_get_timestamp ();

  /* ns; classify-other: top-k, smoothing, messages, stats (sync), or
   * preprocessing and the hand-over to the worker (async) */
  GST_CAT_DEBUG_OBJECT (gst_mnv3_classify_perf_debug, self,
      "frame %" G_GUINT64_FORMAT ": total=%" G_GUINT64_FORMAT
      " preprocess=%" G_GUINT64_FORMAT " forward=%" G_GUINT64_FORMAT
      " classify-other=%" G_GUINT64_FORMAT " meta=%" G_GUINT64_FORMAT
      " overlay=%" G_GUINT64_FORMAT " rest=%" G_GUINT64_FORMAT,
      frame_idx, end - t->entry, t->preprocess_ns, t->forward_ns,
      t->classified - t->entry - t->preprocess_ns - t->forward_ns,
      t->meta - t->classified, t->overlay - t->meta, end - t->overlay);
}

/* The threads property, or GST_MNV3_THREADS when it is 0 (the process's
 * budget for every element, README "Many streams"); 0 = one per core. */
static gint
gst_mnv3_classify_threads (gint prop)
{
  const gchar *env = g_getenv ("GST_MNV3_THREADS");

  if (prop == 0 && env != NULL)
    return (gint) CLAMP (g_ascii_strtoll (env, NULL, 10), 0, MAX_THREADS);
  return prop;
}

/* vfuncs */

/* Makes the sync graph and the parts that depend on the model (FALSE: an
 * ERROR is posted). */
static gboolean
gst_mnv3_classify_prepare (GstMnv3Classify * self)
{
  const gchar *path = self->md->path;
  GError *err = NULL;
  const gchar *delay;
  GstMnv3Mode mode;

  GST_OBJECT_LOCK (self);
  mode = self->mode;
  GST_OBJECT_UNLOCK (self);
  /* mode=async: the worker makes its graph; no sync arena (made if the
   * element ever falls back to sync, gst_mnv3_classify_run_sync ()) */
  if (mode != GST_MNV3_MODE_ASYNC)
    self->graph = mnv3_graph_new (self->md->model, &self->graph_options, &err);
  if (mode != GST_MNV3_MODE_ASYNC && self->graph == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not prepare model \"%s\" for inference.", path),
        ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  if (self->graph != NULL)
    GST_INFO_OBJECT (self, "graph: %d threads, %s kernels",
        mnv3_graph_get_threads (self->graph),
        mnv3_graph_get_kernels (self->graph));

  self->input_len = (gsize) self->info->input_size * self->info->input_size * 3;
  gst_mnv3_job_init (&self->sync_job, self->num_classes, self->input_len);
  self->result = gst_mnv3_result_new (self->num_classes,
      (const gchar * const *) self->md->class_labels, self->info->arch_name);
  self->pp = gst_mnv3_preprocess_new ();

  /* test-only: slows every forward pass down, to test live behaviour with
   * a model slower than the stream (see tests/gst/test-mnv3classify-live.c) */
  delay = g_getenv ("MNV3_TEST_DELAY_US");
  self->test_delay_us = delay ? g_ascii_strtoull (delay, NULL, 10) : 0;
  if (self->test_delay_us > 0)
    GST_WARNING_OBJECT (self, "MNV3_TEST_DELAY_US: every forward pass is "
        "slowed down by %" G_GUINT64_FORMAT " us (for tests only)",
        self->test_delay_us);
  return TRUE;
}

static gboolean
gst_mnv3_classify_start (GstBaseTransform * trans)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);
  gchar *model_file, *labels_file, *instance_id;
  GstMnv3LabelOffset label_offset;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  model_file = g_strdup (self->model_file);
  instance_id = g_strdup (self->model_instance_id);
  labels_file = g_strdup (self->labels_file);
  label_offset = self->label_offset;
  memset (&self->graph_options, 0, sizeof (self->graph_options));
  self->graph_options.threads = gst_mnv3_classify_threads (self->threads);
  /* the library reads no environment for it: the element does */
  self->graph_options.fuse = mnv3_fuse_from_string (g_getenv ("MNV3_FUSE"));
  GST_OBJECT_UNLOCK (self);

  gst_mnv3_classify_free_model (self);

  self->md = gst_mnv3_model_data_acquire (GST_ELEMENT_CAST (self),
      model_file, labels_file, label_offset, instance_id);
  if (self->md) {
    self->info = self->md->info;
    self->num_classes = self->info->num_classes;
  }
  ok = self->md != NULL && gst_mnv3_classify_prepare (self);
  g_free (model_file);
  g_free (instance_id);
  g_free (labels_file);
  if (!ok) {
    gst_mnv3_classify_free_model (self);
    return FALSE;
  }

  gst_mnv3_classify_reset_result (self);
  gst_mnv3_stats_reset (self->stats);
  GST_OBJECT_LOCK (self);
  self->rois_skipped = self->rois_outside = 0;
  self->nonfinite_warned = FALSE;
  self->upstream_live = -1;
  self->worker_failed = FALSE;
  GST_OBJECT_UNLOCK (self);
  self->frame_count = 0;
  return TRUE;
}

static gboolean
gst_mnv3_classify_stop (GstBaseTransform * trans)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);

  gst_mnv3_classify_free_model (self);
  return TRUE;
}

static gboolean
gst_mnv3_classify_configure_preprocess (GstMnv3Classify * self,
    const GstVideoInfo * info, GstMnv3CropMode crop_mode)
{
  if (!gst_mnv3_preprocess_set_info (self->pp, info, self->info->input_size,
          self->info->mean, self->info->std, crop_mode, TRUE)) {
    GST_WARNING_OBJECT (self, "preprocessing cannot handle %s %dx%d",
        GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
        GST_VIDEO_INFO_HEIGHT (info));
    return FALSE;
  }
  self->pp_crop_mode = crop_mode;
  GST_DEBUG_OBJECT (self, "preprocessing %s %dx%d: %s",
      GST_VIDEO_INFO_NAME (info), GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), gst_mnv3_preprocess_get_path (self->pp));
  return TRUE;
}

static gboolean
gst_mnv3_classify_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (filter);
  GstMnv3CropMode crop_mode;

  if (self->pp == NULL)
    return FALSE;

  GST_OBJECT_LOCK (self);
  crop_mode = self->crop_mode;
  GST_OBJECT_UNLOCK (self);

  if (!gst_mnv3_classify_configure_preprocess (self, in_info, crop_mode)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("mnv3classify cannot read "
            "%s video: put videoconvert in front of it", GST_VIDEO_INFO_NAME
            (in_info)), ("formats read directly: %s",
            GST_MNV3_PREPROCESS_FORMATS));
    return FALSE;
  }

  /* a result computed on a frame of another size has a stale roi */
  gst_mnv3_worker_discard (self->worker);
  gst_mnv3_classify_reset_result (self);
  gst_mnv3_overlay_policy_reset (self->overlay_policy);
  gst_mnv3_overlay_policy_recheck (self->overlay_policy);
  return TRUE;
}

/* The pipeline one frame runs: (mode) -> the worker's newest result ->
 * job, sync or handed to the worker -> result -> metas -> overlay. */
static GstFlowReturn
gst_mnv3_classify_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (filter);
  GstMnv3FrameParams fp;
  GstMnv3FrameTimes times = { 0, };
  GstMnv3Mode mode;
  gboolean skipped = FALSE;
  guint64 frame_idx;

#ifndef GST_DISABLE_GST_DEBUG
  self->timing = G_UNLIKELY (gst_debug_category_get_threshold
      (gst_mnv3_classify_perf_debug) >= GST_LEVEL_DEBUG);
#endif
  times.entry = STAMP (self);

  if (G_UNLIKELY (self->md == NULL || self->pp == NULL))
    goto not_negotiated;

  gst_mnv3_classify_read_frame_params (self, &fp);
  if (G_UNLIKELY (fp.crop_mode != self->pp_crop_mode)) {
    if (!gst_mnv3_classify_configure_preprocess (self, &filter->in_info,
            fp.crop_mode))
      goto not_negotiated;
    /* recompute with the new region */
    gst_mnv3_worker_discard (self->worker);
    gst_mnv3_classify_reset_result (self);
  }

  mode = gst_mnv3_classify_resolve_mode (self);
  frame_idx = self->frame_count++;

  /* the worker's newest result, also after a switch to sync */
  gst_mnv3_classify_poll_worker (self, frame_idx);

  if (gst_mnv3_classify_is_due (self, frame->buffer, frame_idx, &fp, &skipped)) {
    if (mode == GST_MNV3_MODE_ASYNC)
      gst_mnv3_classify_submit (self, frame, frame_idx, &fp);
    else
      gst_mnv3_classify_run_sync (self, frame, frame_idx, &fp, &times);
  }
  times.classified = times.meta = times.overlay = STAMP (self);

  gst_mnv3_classify_publish (self, frame, frame_idx, &fp, &times);

  gst_mnv3_stats_frame (self->stats, skipped);

  if (self->timing)
    gst_mnv3_classify_log_times (self, frame_idx, &times);
  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ERROR_OBJECT (self, "not negotiated");
    return GST_FLOW_NOT_NEGOTIATED;
  }
}

static gboolean
gst_mnv3_classify_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* not the streaming thread: only drop what is queued */
      gst_mnv3_worker_discard (self->worker);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_mnv3_worker_discard (self->worker);
      gst_mnv3_classify_reset_result (self);
      break;
    case GST_EVENT_EOS:
      /* let the worker finish the frame it has (bounded by one inference
       * per region) so that the last result still reaches the bus and the
       * status */
      gst_mnv3_worker_drain (self->worker);
      gst_mnv3_classify_poll_worker (self, self->frame_count);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_mnv3_classify_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_RECONFIGURE:
      /* a new downstream (e.g. a relinked sink) may render overlays itself */
      gst_mnv3_overlay_policy_recheck (self->overlay_policy);
      break;
    case GST_EVENT_QOS:{
      GstQOSType type;
      gdouble proportion;
      GstClockTimeDiff diff;
      GstClockTime timestamp, earliest;

      gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
      earliest = gst_mnv3_stats_qos (self->stats, timestamp, diff);
      GST_LOG_OBJECT (self, "QoS %s proportion %g diff %" G_GINT64_FORMAT
          " ts %" GST_TIME_FORMAT ": skip inference until %" GST_TIME_FORMAT,
          type == GST_QOS_TYPE_OVERFLOW ? "overflow" : "underflow", proportion,
          diff, GST_TIME_ARGS (timestamp), GST_TIME_ARGS (earliest));
      break;
    }
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* LATENCY: in sync mode the element holds each frame for one inference, so
 * it adds 1.5 times the running average of the inference time (0 before
 * the first one; a LATENCY message asks for a new query when it drifts by
 * more than 20 %: gstmnv3stats.c). Async adds nothing. */
static gboolean
gst_mnv3_classify_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);
  GstClockTime min, max, ours;
  GstMnv3Mode mode;
  gboolean live;

  if (direction != GST_PAD_SRC || GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
        query);

  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction, query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);

  GST_OBJECT_LOCK (self);
  self->upstream_live = live;
  mode = gst_mnv3_classify_effective_mode_unlocked (self);
  GST_OBJECT_UNLOCK (self);
  ours = gst_mnv3_stats_latency (self->stats, mode == GST_MNV3_MODE_SYNC);

  GST_DEBUG_OBJECT (self, "upstream %slive, min %" GST_TIME_FORMAT " max %"
      GST_TIME_FORMAT ", %s mode adds %" GST_TIME_FORMAT, live ? "" : "not ",
      GST_TIME_ARGS (min), GST_TIME_ARGS (max),
      mode == GST_MNV3_MODE_SYNC ? "sync" : "async", GST_TIME_ARGS (ours));
  min += ours;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += ours;
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

static gboolean
gst_mnv3_classify_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  if (!GST_BASE_TRANSFORM_CLASS (parent_class)->propose_allocation (trans,
          decide_query, query))
    return FALSE;

  /* we map frames with gst_video_frame_map(), which honours GstVideoMeta
   * strides and offsets, so upstream may send padded buffers */
  if (!gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);

  return TRUE;
}

/* A GstStructure name: a letter, then letters, digits or "/-_.:+". */
static gboolean
gst_mnv3_classify_attribute_name_valid (const gchar * name)
{
  const gchar *p;

  if (!g_ascii_isalpha (name[0]))
    return FALSE;
  for (p = name + 1; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("/-_.:+", *p) == NULL)
      return FALSE;
  return TRUE;
}

static void
gst_mnv3_classify_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL_FILE:
      g_free (self->model_file);
      self->model_file = g_value_dup_string (value);
      break;
    case PROP_LABELS_FILE:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      break;
    case PROP_LABEL_OFFSET:
      self->label_offset = g_value_get_enum (value);
      break;
    case PROP_TOP_K:
      self->top_k = g_value_get_uint (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_float (value);
      break;
    case PROP_CROP_MODE:
      self->crop_mode = g_value_get_enum (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_QOS:
      self->qos = g_value_get_boolean (value);
      break;
    case PROP_OVERLAY:
      self->overlay = g_value_get_boolean (value);
      break;
    case PROP_MESSAGE:
      self->message = g_value_get_enum (value);
      break;
    case PROP_MODE:
      self->mode = g_value_get_enum (value);
      self->worker_failed = FALSE;      /* the user asks again: retry */
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_enum (value);
      break;
    case PROP_SMOOTHING_TIME:
      self->smoothing_time = g_value_get_double (value);
      break;
    case PROP_HYSTERESIS:
      self->hysteresis = g_value_get_double (value);
      break;
    case PROP_ROI_SOURCE:
      self->roi_source = g_value_get_enum (value);
      break;
    case PROP_OBJECT_CLASS:{
      gchar **names;
      guint i, n = 0;

      g_free (self->object_class);
      self->object_class = g_value_dup_string (value);
      g_clear_pointer (&self->object_quarks, g_free);
      names = g_strsplit (self->object_class ? self->object_class : "", ",",
          -1);
      self->object_quarks = g_new0 (GQuark, g_strv_length (names) + 1);
      for (i = 0; names[i]; i++) {
        g_strstrip (names[i]);
        if (names[i][0] != '\0')
          self->object_quarks[n++] = g_quark_from_string (names[i]);
      }
      g_strfreev (names);
      break;
    }
    case PROP_MIN_ROI_SIZE:
      self->min_roi_size = g_value_get_uint (value);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_free (self->model_instance_id);
      self->model_instance_id = g_value_dup_string (value);
      break;
    case PROP_BATCH_TIMEOUT:
      self->batch_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_ROIS:
      self->max_rois = g_value_get_uint (value);
      break;
    case PROP_OVERLAY_TOP_K:
      self->overlay_top_k = g_value_get_uint (value);
      break;
    case PROP_ATTRIBUTE_NAME:{
      const gchar *name = g_value_get_string (value);

      if (name == NULL || name[0] == '\0')
        name = DEFAULT_PROP_ATTRIBUTE_NAME;
      if (gst_mnv3_classify_attribute_name_valid (name))
        self->attribute_name = g_quark_from_string (name);
      else
        GST_WARNING_OBJECT (self, "attribute-name \"%s\" is not a valid "
            "structure name (a letter, then letters, digits or \"/-_.:+\"); "
            "kept \"%s\"", name, g_quark_to_string (self->attribute_name));
      break;
    }
    case PROP_FULL_FRAME_ROI:
      self->full_frame_roi = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mnv3_classify_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (object);
  GstMnv3StatsSnapshot st;

  /* the status properties: the stats part has its own lock */
  gst_mnv3_stats_get (self->stats, &st);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL_FILE:
      g_value_set_string (value, self->model_file);
      break;
    case PROP_LABELS_FILE:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_LABEL_OFFSET:
      g_value_set_enum (value, self->label_offset);
      break;
    case PROP_TOP_K:
      g_value_set_uint (value, self->top_k);
      break;
    case PROP_THRESHOLD:
      g_value_set_float (value, self->threshold);
      break;
    case PROP_CROP_MODE:
      g_value_set_enum (value, self->crop_mode);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_QOS:
      g_value_set_boolean (value, self->qos);
      break;
    case PROP_OVERLAY:
      g_value_set_boolean (value, self->overlay);
      break;
    case PROP_MESSAGE:
      g_value_set_enum (value, self->message);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_SMOOTHING:
      g_value_set_enum (value, self->smoothing);
      break;
    case PROP_SMOOTHING_TIME:
      g_value_set_double (value, self->smoothing_time);
      break;
    case PROP_HYSTERESIS:
      g_value_set_double (value, self->hysteresis);
      break;
    case PROP_ROI_SOURCE:
      g_value_set_enum (value, self->roi_source);
      break;
    case PROP_OBJECT_CLASS:
      g_value_set_string (value, self->object_class);
      break;
    case PROP_MIN_ROI_SIZE:
      g_value_set_uint (value, self->min_roi_size);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, self->model_instance_id);
      break;
    case PROP_BATCH_TIMEOUT:
      g_value_set_uint (value, self->batch_timeout);
      break;
    case PROP_MAX_ROIS:
      g_value_set_uint (value, self->max_rois);
      break;
    case PROP_ROIS_SKIPPED:
      g_value_set_uint64 (value, self->rois_skipped);
      break;
    case PROP_ROIS_OUTSIDE:
      g_value_set_uint64 (value, self->rois_outside);
      break;
    case PROP_OVERLAY_TOP_K:
      g_value_set_uint (value, self->overlay_top_k);
      break;
    case PROP_ATTRIBUTE_NAME:
      g_value_set_string (value, g_quark_to_string (self->attribute_name));
      break;
    case PROP_FULL_FRAME_ROI:
      g_value_set_boolean (value, self->full_frame_roi);
      break;
    case PROP_INFERENCES_SKIPPED:
      g_value_set_uint64 (value, st.inferences_skipped);
      break;
    case PROP_INFERENCES_REPLACED:
      g_value_set_uint64 (value, st.inferences_replaced);
      break;
    case PROP_CURRENT_LABEL:
      g_value_set_string (value, st.current_label);
      break;
    case PROP_CURRENT_CONFIDENCE:
      g_value_set_double (value, st.current_confidence);
      break;
    case PROP_FRAMES_PROCESSED:
      g_value_set_uint64 (value, st.frames_processed);
      break;
    case PROP_FRAMES_INFERRED:
      g_value_set_uint64 (value, st.frames_inferred);
      break;
    case PROP_LAST_INFERENCE_US:
      g_value_set_int64 (value, st.last_inference_us);
      break;
    case PROP_AVG_INFERENCE_US:
      g_value_set_double (value, st.avg_inference_us);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mnv3_classify_finalize (GObject * object)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (object);

  gst_mnv3_classify_free_model (self);
  g_free (self->model_file);
  g_free (self->model_instance_id);
  g_free (self->labels_file);
  g_free (self->object_class);
  g_free (self->object_quarks);
  gst_mnv3_worker_free (self->worker);
  gst_mnv3_stats_free (self->stats);
  gst_mnv3_overlay_policy_free (self->overlay_policy);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_mnv3_classify_class_init (GstMnv3ClassifyClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;

  GST_DEBUG_CATEGORY_INIT (gst_mnv3_classify_debug, "mnv3classify", 0,
      "MobileNetV3 classification element");
  GST_DEBUG_CATEGORY_INIT (gst_mnv3_classify_perf_debug, "mnv3classify-perf",
      0, "mnv3classify per-frame time split (DEBUG: one line per frame)");

  gobject_class->set_property = gst_mnv3_classify_set_property;
  gobject_class->get_property = gst_mnv3_classify_get_property;
  gobject_class->finalize = gst_mnv3_classify_finalize;

  gst_mnv3_classify_install_properties (gobject_class);

  gst_element_class_set_static_metadata (element_class,
      "MobileNetV3 classifier", "Filter/Analyzer/Video",
      "Classifies video frames with MobileNetV3 and attaches the labels as "
      "metadata, bus messages and an optional overlay",
      "mnv3classify developers");

  gst_element_class_add_static_pad_template (element_class,
      &gst_mnv3_classify_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_mnv3_classify_src_template);

  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;
  trans_class->start = GST_DEBUG_FUNCPTR (gst_mnv3_classify_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mnv3_classify_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mnv3_classify_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_mnv3_classify_src_event);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_mnv3_classify_propose_allocation);

  trans_class->query = GST_DEBUG_FUNCPTR (gst_mnv3_classify_query);

  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_mnv3_classify_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_mnv3_classify_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_CROP_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_LABEL_OFFSET, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_MESSAGE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_SMOOTHING, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_ROI_SOURCE, 0);
}

static void
gst_mnv3_classify_init (GstMnv3Classify * self)
{
  self->label_offset = DEFAULT_PROP_LABEL_OFFSET;
  self->top_k = DEFAULT_PROP_TOP_K;
  self->threshold = DEFAULT_PROP_THRESHOLD;
  self->crop_mode = DEFAULT_PROP_CROP_MODE;
  self->inference_interval = DEFAULT_PROP_INFERENCE_INTERVAL;
  self->threads = DEFAULT_PROP_THREADS;
  self->qos = DEFAULT_PROP_QOS;
  self->overlay = DEFAULT_PROP_OVERLAY;
  self->message = DEFAULT_PROP_MESSAGE;
  self->mode = DEFAULT_PROP_MODE;
  self->smoothing = DEFAULT_PROP_SMOOTHING;
  self->smoothing_time = DEFAULT_PROP_SMOOTHING_TIME;
  self->hysteresis = DEFAULT_PROP_HYSTERESIS;
  self->roi_source = DEFAULT_PROP_ROI_SOURCE;
  self->object_quarks = g_new0 (GQuark, 1);
  self->min_roi_size = DEFAULT_PROP_MIN_ROI_SIZE;
  self->max_rois = DEFAULT_PROP_MAX_ROIS;
  self->overlay_top_k = DEFAULT_PROP_OVERLAY_TOP_K;
  self->attribute_name = g_quark_from_static_string
      (DEFAULT_PROP_ATTRIBUTE_NAME);
  self->full_frame_roi = DEFAULT_PROP_FULL_FRAME_ROI;
  self->upstream_live = -1;
  self->stats = gst_mnv3_stats_new ();
  self->worker = gst_mnv3_worker_new (GST_OBJECT_CAST (self));
  self->overlay_policy = gst_mnv3_overlay_policy_new (GST_OBJECT_CAST (self));

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* inference must never cost a frame: keep GstBaseTransform's QoS frame
   * dropping off (our own "qos" property shadows it) */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
