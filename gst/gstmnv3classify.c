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

#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/video-overlay-composition.h>

#include "mnv3.h"
#include "gstmnv3classify.h"
#include "gstmnv3labels.h"
#include "gstmnv3meta.h"
#include "gstmnv3overlay.h"
#include "gstmnv3preprocess.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_classify_debug);
/* per-frame time split, logged at DEBUG level (bench/element-overhead.sh) */
GST_DEBUG_CATEGORY_STATIC (gst_mnv3_classify_perf_debug);
#define GST_CAT_DEFAULT gst_mnv3_classify_debug

#define DEFAULT_MODEL_NAME "mnv3-default.safetensors"

#define DEFAULT_PROP_MODEL_FILE NULL
#define DEFAULT_PROP_LABELS_FILE NULL
#define DEFAULT_PROP_LABEL_OFFSET GST_MNV3_LABEL_OFFSET_AUTO
#define DEFAULT_PROP_TOP_K 5
#define DEFAULT_PROP_THRESHOLD 0.0f
#define DEFAULT_PROP_CROP_MODE GST_MNV3_CROP_CENTER
#define DEFAULT_PROP_INFERENCE_INTERVAL 1
#define DEFAULT_PROP_THREADS 0
#define DEFAULT_PROP_QOS TRUE
#define DEFAULT_PROP_OVERLAY TRUE
#define DEFAULT_PROP_MESSAGE GST_MNV3_MESSAGE_ON_CHANGE

#define DEFAULT_PROP_MODE GST_MNV3_MODE_AUTO
#define DEFAULT_PROP_SMOOTHING GST_MNV3_SMOOTHING_NONE
#define DEFAULT_PROP_SMOOTHING_TIME 0.5
#define DEFAULT_PROP_HYSTERESIS 0.0
#define DEFAULT_PROP_ROI_SOURCE GST_MNV3_ROI_SOURCE_FULL_FRAME
#define DEFAULT_PROP_OBJECT_CLASS NULL
#define DEFAULT_PROP_MIN_ROI_SIZE 0

#define MAX_THREADS 256

/* sync mode reports this many times the average inference time as latency,
 * and asks for a new LATENCY query when the estimate drifts by this share */
#define LATENCY_MARGIN 1.5
#define LATENCY_DRIFT 0.2
/* an ROI meta gets the result of a classified region overlapping it by at
 * least this intersection over union (async: boxes move between frames) */
#define ROI_MATCH_IOU 0.5
/* the async worker's nice value: the video path goes first */
#define WORKER_NICE 10

enum
{
  PROP_0,
  PROP_MODEL_FILE,
  PROP_LABELS_FILE,
  PROP_LABEL_OFFSET,
  PROP_TOP_K,
  PROP_THRESHOLD,
  PROP_CROP_MODE,
  PROP_INFERENCE_INTERVAL,
  PROP_THREADS,
  PROP_QOS,
  PROP_OVERLAY,
  PROP_MESSAGE,
  PROP_MODE,
  PROP_SMOOTHING,
  PROP_SMOOTHING_TIME,
  PROP_HYSTERESIS,
  PROP_ROI_SOURCE,
  PROP_OBJECT_CLASS,
  PROP_MIN_ROI_SIZE,
  PROP_CURRENT_LABEL,
  PROP_CURRENT_CONFIDENCE,
  PROP_FRAMES_PROCESSED,
  PROP_FRAMES_INFERRED,
  PROP_LAST_INFERENCE_US,
  PROP_AVG_INFERENCE_US,
  PROP_INFERENCES_SKIPPED,
  PROP_INFERENCES_REPLACED,
};

#define VIDEO_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, " \
    "ABGR, I420, YV12, NV12, NV21, YUY2, UYVY, GRAY8 }"

static GstStaticPadTemplate gst_mnv3_classify_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS))
    );

static GstStaticPadTemplate gst_mnv3_classify_src_template =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS))
    );

/* One classification request: the regions of one frame and, once run, their
 * probabilities. In sync mode the streaming thread fills and runs one job
 * inline; in async mode jobs travel from the streaming thread (which
 * preprocesses into @inputs) through the one-slot mailbox to the worker. */
typedef struct
{
  guint n_rois;
  guint alloc_rois;
  guint alloc_inputs;           /* regions @inputs has room for */
  gfloat *inputs;               /* alloc_inputs x input_len (async only) */
  gfloat *probs;                /* alloc_rois x num_classes */
  GstVideoRectangle *boxes;     /* the regions asked for */
  GstVideoRectangle *used;      /* the regions the model saw */
  gboolean full_frame;          /* one region, the frame: smoothing applies */
  guint64 frame;                /* frame counter of the source frame */
  GstClockTime pts;             /* and its PTS */
  guint64 generation;           /* stale when != the element's */
  gint64 inference_us;          /* preprocessing + forward passes */
  GstClockTime preprocess_ns;   /* sync, with timing on: preprocessing ... */
  GstClockTime forward_ns;      /* ... and forward passes + softmax */
} GstMnv3Job;

#define N_JOBS 4                /* filling, pending, running, done */

struct _GstMnv3Classify
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model_file;
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
  GstMnv3Mode mode;
  GstMnv3Smoothing smoothing;
  gdouble smoothing_time;
  gdouble hysteresis;
  GstMnv3RoiSource roi_source;
  gchar *object_class;
  GQuark *object_quarks;        /* parsed object_class, 0-terminated */
  guint min_roi_size;

  /* status, under the object lock */
  const gchar *current_label;   /* points into class_labels */
  gdouble current_confidence;
  guint64 frames_processed;
  guint64 frames_inferred;
  guint64 inferences_skipped;
  guint64 inferences_replaced;
  gint64 last_inference_us;
  gint64 total_inference_us;

  /* QoS and latency, under the object lock */
  GstClockTime earliest_time;   /* from QOS events: skip inference before */
  gint upstream_live;           /* -1 unknown, else from a LATENCY query */
  gboolean lat_cold_seen;
  gboolean lat_valid;
  gdouble lat_avg_us;           /* running average of sync inferences */
  GstClockTime lat_reported;    /* what the last LATENCY query got from us */
  gboolean lat_msg_posted;      /* LATENCY message posted, no query since */
  guint64 test_delay_us;        /* MNV3_TEST_DELAY_US, tests only */

  /* model state, from start() to stop(); streaming thread only otherwise */
  Mnv3Model *model;
  Mnv3Graph *graph;
  const Mnv3ModelInfo *info;
  gint graph_threads;
  guint num_classes;
  gsize input_len;              /* floats in one input tensor */
  gchar **class_labels;         /* num_classes labels, indexed by class id */
  GstMnv3Preprocess *pp;
  GstMnv3CropMode pp_crop_mode; /* the mode pp was configured with */
  gint *indices;                /* num_classes + 1 */
  gfloat *smooth;               /* num_classes: EMA of the probabilities */
  gboolean smooth_valid;
  GstClockTime smooth_pts;
  gint held_id;                 /* hysteresis: the top-1 being held, -1 */
  GstMnv3Job sync_job;
  GQuark *oc_scratch;           /* copy of object_quarks for one frame */
  guint oc_alloc;
  GstVideoRegionOfInterestMeta **match_metas;   /* roi-meta scratch */
  guint *match_index;
  guint match_alloc;

  /* the current result, streaming thread */
  gboolean have_result;
  guint64 frame_count;          /* frames since start */
  gboolean submitted_any;       /* an inference was started since reset */
  guint64 last_submit;          /* frame_count of the last one */
  guint64 result_frame;
  GstClockTime result_pts;
  gint64 result_us;
  guint res_n_rois;
  guint res_alloc;
  GstVideoRectangle *res_boxes;
  GstVideoRectangle *res_used;
  guint *res_n;                 /* results kept per region */
  gint *res_ids;                /* res_alloc x num_classes */
  gdouble *res_scores;          /* res_alloc x num_classes */
  gint *res_top;                /* res_alloc: top-1 of each, for on-change */
  gint *posted_top;             /* res_alloc: top-1 last posted */
  guint posted_n;
  gint last_posted_id;          /* for message=on-change; -2 = nothing yet */

  /* async worker: the thread, its graph, and the jobs, under wlock */
  GThread *worker;
  Mnv3Graph *worker_graph;      /* made and freed by the worker */
  GError *worker_error;
  gboolean wready;              /* the worker has made its graph (or failed) */
  GMutex wlock;
  GCond wcond;
  gboolean wquit;
  GstMnv3Job jobs[N_JOBS];
  GstMnv3Job *wfree[N_JOBS];
  guint n_wfree;
  GstMnv3Job *wpending;         /* the mailbox: newest frame, not started */
  GstMnv3Job *wbusy;            /* being classified */
  GstMnv3Job *wdone;            /* finished, not picked up yet */
  guint64 generation;           /* bumped by flush, caps change and stop */

  /* overlay */
  gboolean check_downstream;    /* query downstream for overlay meta support */
  gboolean attach_overlay;      /* downstream takes GstVideoOverlayCompositionMeta */
  GstVideoOverlayComposition *comp;     /* cached rendering of ... */
  guint comp_n;                 /* ... these results at this size */
  gint *comp_ids;               /* num_classes */
  gfloat *comp_scores;          /* num_classes */
  gint comp_width, comp_height;
  GstMnv3OverlayCanvas *canvas; /* drawn straight into frames when blending */
  gboolean canvas_refused;      /* the format needs comp + GStreamer's blend */
  const gchar **overlay_labels; /* num_classes, scratch */
  gfloat *overlay_scores;       /* num_classes, scratch */

  gboolean timing;              /* mnv3classify-perf debug at DEBUG or more */
};

#define gst_mnv3_classify_parent_class parent_class
G_DEFINE_TYPE (GstMnv3Classify, gst_mnv3_classify, GST_TYPE_VIDEO_FILTER);

GST_ELEMENT_REGISTER_DEFINE (mnv3classify, "mnv3classify", GST_RANK_NONE,
    GST_TYPE_MNV3_CLASSIFY);

/* Registers an enum type once (thread-safe); the get_type functions below
 * only hold their value tables. */
static GType
register_enum_once (GType * type, const gchar * name, const GEnumValue * values)
{
  if (g_once_init_enter (type)) {
    GType t = g_enum_register_static (name, values);
    g_once_init_leave (type, t);
  }
  return *type;
}

#define GST_TYPE_MNV3_CROP_MODE (gst_mnv3_crop_mode_get_type ())
static GType
gst_mnv3_crop_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_CROP_CENTER,
          "Largest centred square (keeps the aspect ratio, cuts the sides)",
        "center-crop"},
    {GST_MNV3_CROP_STRETCH,
        "Whole frame resized to the model's square input (distorts the aspect "
          "ratio)", "stretch"},
    {GST_MNV3_CROP_LETTERBOX,
          "Whole frame fitted inside the square input, padded with black",
        "letterbox"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3CropMode", values);
}

#define GST_TYPE_MNV3_LABEL_OFFSET (gst_mnv3_label_offset_get_type ())
static GType
gst_mnv3_label_offset_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_LABEL_OFFSET_AUTO,
        "Skip output 0 (background) when the model has one output more "
          "than there are labels", "auto"},
    {GST_MNV3_LABEL_OFFSET_NONE, "Label N names output N", "none"},
    {GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND,
        "Output 0 is background, label N names output N+1", "skip-background"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3LabelOffset", values);
}

#define GST_TYPE_MNV3_MESSAGE_MODE (gst_mnv3_message_mode_get_type ())
static GType
gst_mnv3_message_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_MESSAGE_NONE, "Post no messages", "none"},
    {GST_MNV3_MESSAGE_ON_CHANGE, "Post when the top-1 class changes",
        "on-change"},
    {GST_MNV3_MESSAGE_EVERY_RESULT, "Post after every inference",
        "every-result"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3MessageMode", values);
}

#define GST_TYPE_MNV3_MODE (gst_mnv3_mode_get_type ())
static GType
gst_mnv3_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_MODE_AUTO, "async when upstream is live, else sync", "auto"},
    {GST_MNV3_MODE_SYNC, "Inference inline in the streaming thread", "sync"},
    {GST_MNV3_MODE_ASYNC, "A worker thread classifies the newest frame; "
          "frames pass without waiting", "async"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3Mode", values);
}

#define GST_TYPE_MNV3_SMOOTHING (gst_mnv3_smoothing_get_type ())
static GType
gst_mnv3_smoothing_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_SMOOTHING_NONE, "Scores of each inference as they are", "none"},
    {GST_MNV3_SMOOTHING_EMA, "Exponential moving average of the scores "
          "(time constant smoothing-time)", "ema"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3Smoothing", values);
}

#define GST_TYPE_MNV3_ROI_SOURCE (gst_mnv3_roi_source_get_type ())
static GType
gst_mnv3_roi_source_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MNV3_ROI_SOURCE_FULL_FRAME, "Classify the frame (see crop-mode)",
        "full-frame"},
    {GST_MNV3_ROI_SOURCE_ROI_META, "Classify each upstream "
          "GstVideoRegionOfInterestMeta", "roi-meta"},
    {0, NULL, NULL},
  };

  return register_enum_once (&type, "GstMnv3RoiSource", values);
}

/* helpers */

/* Looks for DEFAULT_MODEL_NAME where an installed or freshly built project
 * keeps it. Returns a newly allocated path or NULL; @searched gets the list of
 * folders for the error message. */
static gchar *
gst_mnv3_classify_find_default_model (GString * searched)
{
  const gchar *dirs[3];
  guint i;

  dirs[0] = g_getenv ("MNV3_MODEL_DIR");
#ifdef MNV3_DATADIR
  dirs[1] = MNV3_DATADIR;
#else
  dirs[1] = NULL;
#endif
#ifdef MNV3_BUILD_MODELDIR
  dirs[2] = MNV3_BUILD_MODELDIR;
#else
  dirs[2] = NULL;
#endif

  for (i = 0; i < G_N_ELEMENTS (dirs); i++) {
    gchar *path;

    if (dirs[i] == NULL || dirs[i][0] == '\0')
      continue;
    path = g_build_filename (dirs[i], DEFAULT_MODEL_NAME, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return path;
    g_free (path);
    g_string_append_printf (searched, "%s%s", searched->len ? ", " : "",
        dirs[i]);
  }
  return NULL;
}

static void
gst_mnv3_classify_clear_overlay (GstMnv3Classify * self)
{
  g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
  g_clear_pointer (&self->canvas, gst_mnv3_overlay_canvas_free);
  self->canvas_refused = FALSE;
  self->comp_n = 0;
  self->comp_width = self->comp_height = 0;
}

/* Forgets the current result and everything derived from it (streaming
 * thread, or with the streaming thread stopped). */
static void
gst_mnv3_classify_reset_result (GstMnv3Classify * self)
{
  self->have_result = FALSE;
  self->submitted_any = FALSE;
  self->res_n_rois = 0;
  self->result_frame = 0;
  self->result_pts = GST_CLOCK_TIME_NONE;
  self->result_us = 0;
  self->posted_n = 0;
  self->last_posted_id = -2;
  self->smooth_valid = FALSE;
  self->smooth_pts = GST_CLOCK_TIME_NONE;
  self->held_id = -1;

  GST_OBJECT_LOCK (self);
  self->earliest_time = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mnv3_job_clear (GstMnv3Job * job)
{
  g_free (job->inputs);
  g_free (job->probs);
  g_free (job->boxes);
  g_free (job->used);
  memset (job, 0, sizeof (*job));
}

/* Room for @n regions (contents kept), and their input tensors when
 * @with_inputs (contents not kept). Grows only: no allocation in the steady
 * state. */
static void
gst_mnv3_job_reserve (GstMnv3Job * job, guint n, guint num_classes,
    gsize input_len, gboolean with_inputs)
{
  if (n > job->alloc_rois) {
    guint a = MAX (n, 2 * job->alloc_rois);

    job->probs = g_renew (gfloat, job->probs, (gsize) a * num_classes);
    job->boxes = g_renew (GstVideoRectangle, job->boxes, a);
    job->used = g_renew (GstVideoRectangle, job->used, a);
    job->alloc_rois = a;
  }
  if (with_inputs && n > job->alloc_inputs) {
    guint a = MAX (n, 2 * job->alloc_inputs);

    g_free (job->inputs);
    job->inputs = g_new (gfloat, (gsize) a * input_len);
    job->alloc_inputs = a;
  }
}

/* Sets up the jobs of the async worker (under wlock or before it runs). */
static void
gst_mnv3_classify_jobs_init (GstMnv3Classify * self)
{
  guint i;

  for (i = 0; i < N_JOBS; i++) {
    memset (&self->jobs[i], 0, sizeof (GstMnv3Job));
    self->wfree[i] = &self->jobs[i];
  }
  self->n_wfree = N_JOBS;
  self->wpending = self->wbusy = self->wdone = NULL;
}

/* Drops the pending and the finished-but-not-taken jobs, and makes the
 * running one stale: after a flush, a caps change or at stop, their results
 * belong to frames that no longer exist. */
static void
gst_mnv3_classify_worker_discard (GstMnv3Classify * self)
{
  g_mutex_lock (&self->wlock);
  self->generation++;
  if (self->wpending) {
    self->wfree[self->n_wfree++] = self->wpending;
    self->wpending = NULL;
  }
  if (self->wdone) {
    self->wfree[self->n_wfree++] = self->wdone;
    self->wdone = NULL;
  }
  g_mutex_unlock (&self->wlock);
}

static void
gst_mnv3_classify_update_stats (GstMnv3Classify * self, gint64 us,
    gboolean sync)
{
  gboolean post = FALSE;

  GST_OBJECT_LOCK (self);
  self->frames_inferred++;
  self->last_inference_us = us;
  self->total_inference_us += us;
  if (sync && !self->lat_cold_seen) {
    /* the first inference after start pays one-time costs (the arena's page
     * faults, the pool's threads starting): not a latency estimate */
    self->lat_cold_seen = TRUE;
  } else if (sync) {
    /* the running average the LATENCY answer is based on */
    if (self->lat_valid)
      self->lat_avg_us += 0.1 * ((gdouble) us - self->lat_avg_us);
    else
      self->lat_avg_us = us;
    self->lat_valid = TRUE;
    if (!self->lat_msg_posted) {
      gdouble est = LATENCY_MARGIN * self->lat_avg_us * GST_USECOND;
      gdouble rep = self->lat_reported;

      if (ABS (est - rep) > LATENCY_DRIFT * rep) {
        post = TRUE;
        self->lat_msg_posted = TRUE;
      }
    }
  }
  GST_OBJECT_UNLOCK (self);

  if (post) {
    GST_DEBUG_OBJECT (self, "inference time drifted, posting LATENCY");
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
  }
}

static void
gst_mnv3_classify_test_delay (GstMnv3Classify * self)
{
  if (G_UNLIKELY (self->test_delay_us > 0))
    g_usleep (self->test_delay_us);
}

/* Runs @graph on the job's regions: preprocessed from @frame when given
 * (sync), else from the job's input tensors (async). */
static void
gst_mnv3_classify_run_job (GstMnv3Classify * self, Mnv3Graph * graph,
    GstMnv3Job * job, GstVideoFrame * frame)
{
  float *input = mnv3_graph_get_input (graph);
  gboolean timing = frame != NULL && self->timing;
  GstClockTime t0 = 0, t1 = 0;
  guint i;

  job->preprocess_ns = job->forward_ns = 0;
  for (i = 0; i < job->n_rois; i++) {
    const float *logits;

    if (timing)
      t0 = gst_util_get_timestamp ();
    if (frame)
      gst_mnv3_preprocess_run (self->pp, frame, &job->boxes[i], input,
          &job->used[i]);
    else
      memcpy (input, job->inputs + i * self->input_len,
          self->input_len * sizeof (gfloat));
    if (timing)
      t1 = gst_util_get_timestamp ();
    logits = mnv3_graph_run (graph);
    gst_mnv3_classify_test_delay (self);
    GST_LOG_OBJECT (self, "region %u: %d,%d %dx%d, used %d,%d %dx%d", i,
        job->boxes[i].x, job->boxes[i].y, job->boxes[i].w, job->boxes[i].h,
        job->used[i].x, job->used[i].y, job->used[i].w, job->used[i].h);
    mnv3_softmax (logits, job->probs + (gsize) i * self->num_classes,
        self->num_classes);
    if (timing) {
      GstClockTime t2 = gst_util_get_timestamp ();

      job->preprocess_ns += t1 - t0;
      job->forward_ns += t2 - t1;
    }
  }
}

/* The worker gives way to the streaming thread: it runs at a lower
 * priority (Linux: nice +10 for the thread, inherited by the pool threads its
 * graph starts), and with threads=0 its graph leaves one core to the video
 * path. */
static void
gst_mnv3_classify_worker_lower_priority (GstMnv3Classify * self)
{
#ifdef __linux__
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), WORKER_NICE) != 0)
    GST_DEBUG_OBJECT (self, "could not lower the worker's priority");
#endif
}

static gpointer
gst_mnv3_classify_worker_func (gpointer data)
{
  GstMnv3Classify *self = data;
  Mnv3GraphOptions options = { self->graph_threads, NULL };
  Mnv3Graph *graph;

  gst_mnv3_classify_worker_lower_priority (self);
  if (options.threads == 0)
    options.threads = MAX (1, (gint) g_get_num_processors () - 1);
  graph = mnv3_graph_new (self->model, &options, &self->worker_error);

  g_mutex_lock (&self->wlock);
  self->worker_graph = graph;
  self->wready = TRUE;
  g_cond_broadcast (&self->wcond);
  if (graph == NULL) {
    g_mutex_unlock (&self->wlock);
    return NULL;
  }
  for (;;) {
    GstMnv3Job *job;
    gint64 t0;

    while (!self->wquit && self->wpending == NULL)
      g_cond_wait (&self->wcond, &self->wlock);
    if (self->wquit)
      break;
    job = self->wpending;
    self->wpending = NULL;
    self->wbusy = job;
    g_mutex_unlock (&self->wlock);

    t0 = g_get_monotonic_time ();
    gst_mnv3_classify_run_job (self, graph, job, NULL);
    job->inference_us += g_get_monotonic_time () - t0;
    if (job->n_rois > 0)
      gst_mnv3_classify_update_stats (self, job->inference_us, FALSE);

    g_mutex_lock (&self->wlock);
    self->wbusy = NULL;
    if (job->generation == self->generation) {
      if (self->wdone)
        self->wfree[self->n_wfree++] = self->wdone;
      self->wdone = job;
    } else {
      self->wfree[self->n_wfree++] = job;
    }
    g_cond_broadcast (&self->wcond);
  }
  self->worker_graph = NULL;
  g_mutex_unlock (&self->wlock);
  mnv3_graph_free (graph);
  return NULL;
}

static gboolean
gst_mnv3_classify_worker_start (GstMnv3Classify * self)
{
  GError *err = NULL;

  gst_mnv3_classify_jobs_init (self);
  self->wquit = FALSE;
  self->wready = FALSE;
  self->worker = g_thread_try_new ("mnv3classify",
      gst_mnv3_classify_worker_func, self, &err);
  if (self->worker == NULL)
    goto failed;

  g_mutex_lock (&self->wlock);
  while (!self->wready)
    g_cond_wait (&self->wcond, &self->wlock);
  g_mutex_unlock (&self->wlock);
  if (self->worker_graph == NULL) {
    g_thread_join (self->worker);
    self->worker = NULL;
    err = self->worker_error;
    self->worker_error = NULL;
    goto failed;
  }
  GST_DEBUG_OBJECT (self, "async worker started");
  return TRUE;

  /* ERRORS */
failed:
  {
    GST_ELEMENT_WARNING (self, RESOURCE, FAILED,
        ("Could not start the inference thread, classifying in the streaming "
            "thread."), ("%s", err ? err->message : "?"));
    g_clear_error (&err);
    return FALSE;
  }
}

/* Joins the worker (it finishes the inference it is running, at most one)
 * and frees its graph and jobs. */
static void
gst_mnv3_classify_worker_stop (GstMnv3Classify * self)
{
  guint i;

  if (self->worker == NULL)
    return;
  g_mutex_lock (&self->wlock);
  self->wquit = TRUE;
  self->generation++;
  g_cond_broadcast (&self->wcond);
  g_mutex_unlock (&self->wlock);
  g_thread_join (self->worker);
  self->worker = NULL;
  GST_DEBUG_OBJECT (self, "async worker joined");

  for (i = 0; i < N_JOBS; i++)
    gst_mnv3_job_clear (&self->jobs[i]);
  self->n_wfree = 0;
  self->wpending = self->wbusy = self->wdone = NULL;
}

static void
gst_mnv3_classify_free_model (GstMnv3Classify * self)
{
  gst_mnv3_classify_worker_stop (self);

  GST_OBJECT_LOCK (self);
  self->current_label = NULL;
  self->current_confidence = 0.0;
  GST_OBJECT_UNLOCK (self);

  gst_mnv3_classify_clear_overlay (self);
  g_clear_pointer (&self->pp, gst_mnv3_preprocess_free);
  g_clear_pointer (&self->graph, mnv3_graph_free);
  g_clear_pointer (&self->model, mnv3_model_free);
  self->info = NULL;
  g_clear_pointer (&self->class_labels, g_strfreev);
  g_clear_pointer (&self->indices, g_free);
  g_clear_pointer (&self->smooth, g_free);
  gst_mnv3_job_clear (&self->sync_job);
  g_clear_pointer (&self->oc_scratch, g_free);
  self->oc_alloc = 0;
  g_clear_pointer (&self->match_metas, g_free);
  g_clear_pointer (&self->match_index, g_free);
  self->match_alloc = 0;
  g_clear_pointer (&self->res_boxes, g_free);
  g_clear_pointer (&self->res_used, g_free);
  g_clear_pointer (&self->res_n, g_free);
  g_clear_pointer (&self->res_ids, g_free);
  g_clear_pointer (&self->res_scores, g_free);
  g_clear_pointer (&self->res_top, g_free);
  g_clear_pointer (&self->posted_top, g_free);
  self->res_alloc = 0;
  g_clear_pointer (&self->comp_ids, g_free);
  g_clear_pointer (&self->comp_scores, g_free);
  g_clear_pointer (&self->overlay_labels, g_free);
  g_clear_pointer (&self->overlay_scores, g_free);
  self->num_classes = 0;
  gst_mnv3_classify_reset_result (self);
}

/* Asks downstream whether it renders GstVideoOverlayCompositionMeta itself,
 * as textoverlay does. An always-in-place transform never gets a
 * decide_allocation call, so the element makes its own query. */
static gboolean
gst_mnv3_classify_downstream_takes_overlay (GstMnv3Classify * self)
{
  GstPad *srcpad = GST_BASE_TRANSFORM_SRC_PAD (self);
  GstCaps *caps;
  GstQuery *query;
  gboolean ret = FALSE;

  caps = gst_pad_get_current_caps (srcpad);
  if (caps == NULL)
    return FALSE;
  query = gst_query_new_allocation (caps, FALSE);
  if (gst_pad_peer_query (srcpad, query))
    ret = gst_query_find_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gst_query_unref (query);
  gst_caps_unref (caps);

  GST_DEBUG_OBJECT (self, "downstream %s overlay composition meta",
      ret ? "accepts" : "does not accept");
  return ret;
}

/* The mode in effect: auto becomes async when upstream is live. Asks
 * upstream once per start when no LATENCY query has told us yet. */
static GstMnv3Mode
gst_mnv3_classify_resolve_mode (GstMnv3Classify * self)
{
  GstMnv3Mode mode;
  gint live;

  GST_OBJECT_LOCK (self);
  mode = self->mode;
  live = self->upstream_live;
  GST_OBJECT_UNLOCK (self);

  if (mode != GST_MNV3_MODE_AUTO)
    return mode;
  if (live < 0) {
    GstQuery *q = gst_query_new_latency ();
    gboolean is_live = FALSE;

    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), q))
      gst_query_parse_latency (q, &is_live, NULL, NULL);
    gst_query_unref (q);
    live = is_live;
    GST_OBJECT_LOCK (self);
    self->upstream_live = live;
    GST_OBJECT_UNLOCK (self);
    GST_INFO_OBJECT (self, "upstream is %slive: mode auto runs %s",
        live ? "" : "not ", live ? "async" : "sync");
  }
  return live ? GST_MNV3_MODE_ASYNC : GST_MNV3_MODE_SYNC;
}

/* TRUE when downstream QoS says @buffer will be late anyway. */
static gboolean
gst_mnv3_classify_is_late (GstMnv3Classify * self, GstBuffer * buffer)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime rt, earliest;

  if (trans->segment.format != GST_FORMAT_TIME
      || !GST_BUFFER_PTS_IS_VALID (buffer))
    return FALSE;
  rt = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buffer));
  GST_OBJECT_LOCK (self);
  earliest = self->earliest_time;
  GST_OBJECT_UNLOCK (self);
  return GST_CLOCK_TIME_IS_VALID (rt) && GST_CLOCK_TIME_IS_VALID (earliest)
      && rt <= earliest;
}

static gboolean
gst_mnv3_classify_roi_accepted (GstMnv3Classify * self,
    const GstVideoRegionOfInterestMeta * rmeta, const GQuark * classes,
    guint min_size)
{
  if (rmeta->w < MAX (min_size, 1) || rmeta->h < MAX (min_size, 1))
    return FALSE;
  if (classes == NULL || classes[0] == 0)
    return TRUE;
  for (; *classes; classes++)
    if (*classes == rmeta->roi_type)
      return TRUE;
  return FALSE;
}

/* Copies the object-class filter for this frame (no allocation once grown). */
static const GQuark *
gst_mnv3_classify_copy_classes (GstMnv3Classify * self)
{
  guint n = 0;

  GST_OBJECT_LOCK (self);
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
  GST_OBJECT_UNLOCK (self);
  return self->oc_scratch;
}

/* Fills @job's regions from @buffer: the frame, or the accepted ROI metas. */
static void
gst_mnv3_classify_gather (GstMnv3Classify * self, GstBuffer * buffer,
    gint width, gint height, GstMnv3RoiSource roi_source,
    const GQuark * classes, guint min_size, GstMnv3Job * job,
    gboolean with_inputs)
{
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  job->full_frame = roi_source == GST_MNV3_ROI_SOURCE_FULL_FRAME;
  if (job->full_frame) {
    gst_mnv3_job_reserve (job, 1, self->num_classes, self->input_len,
        with_inputs);
    job->boxes[0].x = job->boxes[0].y = 0;
    job->boxes[0].w = width;
    job->boxes[0].h = height;
    job->n_rois = 1;
    return;
  }

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *r = (GstVideoRegionOfInterestMeta *) m;

    if (!gst_mnv3_classify_roi_accepted (self, r, classes, min_size))
      continue;
    gst_mnv3_job_reserve (job, n + 1, self->num_classes, self->input_len,
        FALSE);
    job->boxes[n].x = r->x;
    job->boxes[n].y = r->y;
    job->boxes[n].w = r->w;
    job->boxes[n].h = r->h;
    n++;
  }
  gst_mnv3_job_reserve (job, n, self->num_classes, self->input_len,
      with_inputs);
  job->n_rois = n;
}

static void
gst_mnv3_classify_res_reserve (GstMnv3Classify * self, guint n)
{
  guint c = self->num_classes;

  if (n <= self->res_alloc)
    return;
  n = MAX (n, 2 * self->res_alloc);
  self->res_boxes = g_renew (GstVideoRectangle, self->res_boxes, n);
  self->res_used = g_renew (GstVideoRectangle, self->res_used, n);
  self->res_n = g_renew (guint, self->res_n, n);
  self->res_ids = g_renew (gint, self->res_ids, (gsize) n * c);
  self->res_scores = g_renew (gdouble, self->res_scores, (gsize) n * c);
  self->res_top = g_renew (gint, self->res_top, n);
  self->posted_top = g_renew (gint, self->posted_top, n);
  self->res_alloc = n;
}

/* Top-k of @scores into region @r of the current result. With a hysteresis
 * margin, the held top-1 stays first while no other class beats it by more
 * than the margin (its score may then be below the second one's). */
static void
gst_mnv3_classify_select (GstMnv3Classify * self, guint r,
    const gfloat * scores, guint top_k, gfloat threshold, gdouble hysteresis,
    gboolean hold)
{
  gint *ids = self->res_ids + (gsize) r * self->num_classes;
  gdouble *out = self->res_scores + (gsize) r * self->num_classes;
  guint k = MIN (top_k, self->num_classes), n, i, m = 0;
  gint first = -1;

  n = mnv3_top_k (scores, self->num_classes, MIN (k + 1, self->num_classes),
      self->indices);
  if (hold && self->held_id >= 0 && n > 0 && self->indices[0] != self->held_id
      && scores[self->held_id] + hysteresis >= scores[self->indices[0]])
    first = self->held_id;

  if (first >= 0 && scores[first] >= threshold) {
    ids[m] = first;
    out[m] = scores[first];
    m++;
  }
  for (i = 0; i < n && m < k; i++) {
    gint id = self->indices[i];

    if (id == first)
      continue;
    if (scores[id] < threshold)
      break;                    /* best first: the rest are lower */
    ids[m] = id;
    out[m] = scores[id];
    m++;
  }
  self->res_n[r] = m;
  self->res_top[r] = m ? ids[0] : -1;
  if (hold)
    self->held_id = self->res_top[r];
}

static void
gst_mnv3_classify_fill_result (GstMnv3Classify * self, guint r,
    guint64 frame_idx, GstMnv3Result * res)
{
  res->n = self->res_n[r];
  res->class_ids = self->res_ids + (gsize) r *self->num_classes;
  res->scores = self->res_scores + (gsize) r *self->num_classes;
  res->class_labels = (const gchar * const *) self->class_labels;
  res->age_frames = frame_idx - self->result_frame;
  res->fresh = res->age_frames == 0;
  res->source_pts = self->result_pts;
  res->inference_us = self->result_us;
  res->model = self->info->arch_name;
  res->roi = self->res_used[r];
}

static void
gst_mnv3_classify_post_message (GstMnv3Classify * self,
    const GstMnv3Result * res, GstClockTime pts, gint roi_index, guint n_rois)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstStructure *s;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (pts) && trans->segment.format == GST_FORMAT_TIME)
    running_time = gst_segment_to_running_time (&trans->segment,
        GST_FORMAT_TIME, pts);

  s = gst_structure_new ("mnv3classify",
      "timestamp", G_TYPE_UINT64, (guint64) pts,
      "running-time", G_TYPE_UINT64, (guint64) running_time, NULL);
  /* GstValueArray of strings rather than GStrv: gst-launch-1.0 -m prints it */
  gst_mnv3_result_set_arrays (res, s, FALSE);
  gst_structure_set (s, "inference-us", G_TYPE_INT64, res->inference_us, NULL);
  if (roi_index >= 0) {
    GValue roi = G_VALUE_INIT, v = G_VALUE_INIT;

    gst_value_array_init (&roi, 4);
    g_value_init (&v, G_TYPE_INT);
    g_value_set_int (&v, res->roi.x);
    gst_value_array_append_value (&roi, &v);
    g_value_set_int (&v, res->roi.y);
    gst_value_array_append_value (&roi, &v);
    g_value_set_int (&v, res->roi.w);
    gst_value_array_append_value (&roi, &v);
    g_value_set_int (&v, res->roi.h);
    gst_value_array_append_value (&roi, &v);
    g_value_unset (&v);
    gst_structure_take_value (s, "roi", &roi);
    gst_structure_set (s, "roi-index", G_TYPE_INT, roi_index,
        "n-rois", G_TYPE_INT, (gint) n_rois, NULL);
  }

  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

/* Makes the finished @job the current result (streaming thread): smoothing
 * and hysteresis, top-k, status and bus messages. */
static void
gst_mnv3_classify_take_result (GstMnv3Classify * self, GstMnv3Job * job,
    guint64 frame_idx)
{
  GstMnv3Smoothing smoothing;
  GstMnv3MessageMode message;
  gdouble tau, hysteresis;
  guint top_k, i, c = self->num_classes;
  gfloat threshold;
  gboolean post = FALSE;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  smoothing = self->smoothing;
  tau = self->smoothing_time;
  hysteresis = self->hysteresis;
  message = self->message;
  GST_OBJECT_UNLOCK (self);

  gst_mnv3_classify_res_reserve (self, MAX (job->n_rois, 1));
  for (i = 0; i < job->n_rois; i++) {
    const gfloat *probs = job->probs + (gsize) i * c;

    if (job->full_frame && smoothing == GST_MNV3_SMOOTHING_EMA) {
      gdouble dt = 0.0, alpha = 1.0;
      GstVideoInfo *vinfo = &GST_VIDEO_FILTER (self)->in_info;
      guint j;

      /* weight of the new result: 1 - exp (-dt / tau), dt the stream time
       * between the frames the two results come from */
      if (self->smooth_valid) {
        if (GST_CLOCK_TIME_IS_VALID (job->pts)
            && GST_CLOCK_TIME_IS_VALID (self->smooth_pts)
            && job->pts > self->smooth_pts)
          dt = (gdouble) (job->pts - self->smooth_pts) / GST_SECOND;
        else if (GST_VIDEO_INFO_FPS_N (vinfo) > 0)
          dt = (gdouble) GST_VIDEO_INFO_FPS_D (vinfo) /
              GST_VIDEO_INFO_FPS_N (vinfo);
        else
          dt = 1.0 / 30.0;
        alpha = -expm1 (-dt / tau);
      }
      for (j = 0; j < c; j++)
        self->smooth[j] += (gfloat) alpha *(probs[j] - self->smooth[j]);
      self->smooth_valid = TRUE;
      self->smooth_pts = job->pts;
      probs = self->smooth;
    }
    gst_mnv3_classify_select (self, i, probs, top_k, threshold,
        job->full_frame ? hysteresis : 0.0, job->full_frame);
    self->res_boxes[i] = job->boxes[i];
    self->res_used[i] = job->used[i];
  }
  self->res_n_rois = job->n_rois;
  self->result_frame = job->frame;
  self->result_pts = job->pts;
  self->result_us = job->inference_us;
  self->have_result = TRUE;

  GST_LOG_OBJECT (self, "result of frame %" G_GUINT64_FORMAT " (%u regions, "
      "%" G_GINT64_FORMAT " us) taken at frame %" G_GUINT64_FORMAT,
      job->frame, job->n_rois, job->inference_us, frame_idx);

  if (job->full_frame) {
    GST_OBJECT_LOCK (self);
    self->current_label = self->res_n[0] ?
        self->class_labels[self->res_ids[0]] : NULL;
    self->current_confidence = self->res_n[0] ? self->res_scores[0] : 0.0;
    GST_OBJECT_UNLOCK (self);
  }

  if (message == GST_MNV3_MESSAGE_NONE)
    return;
  if (job->full_frame) {
    post = message == GST_MNV3_MESSAGE_EVERY_RESULT
        || self->res_top[0] != self->last_posted_id;
    self->last_posted_id = self->res_top[0];
  } else {
    /* regions have no identity across frames: "change" is a change of the
     * list of top-1 classes, in region order */
    post = message == GST_MNV3_MESSAGE_EVERY_RESULT
        || self->posted_n != job->n_rois
        || memcmp (self->posted_top, self->res_top,
        job->n_rois * sizeof (gint)) != 0;
    memcpy (self->posted_top, self->res_top, job->n_rois * sizeof (gint));
    self->posted_n = job->n_rois;
  }
  if (!post)
    return;
  for (i = 0; i < job->n_rois; i++) {
    GstMnv3Result res;

    gst_mnv3_classify_fill_result (self, i, job->frame, &res);
    if (!job->full_frame)
      res.roi = self->res_boxes[i];
    gst_mnv3_classify_post_message (self, &res, job->pts,
        job->full_frame ? -1 : (gint) i, job->n_rois);
  }
}

/* Takes the worker's newest finished result, if any. */
static void
gst_mnv3_classify_poll_worker (GstMnv3Classify * self, guint64 frame_idx)
{
  GstMnv3Job *job;

  if (self->worker == NULL)
    return;
  g_mutex_lock (&self->wlock);
  job = self->wdone;
  self->wdone = NULL;
  g_mutex_unlock (&self->wlock);
  if (job == NULL)
    return;

  gst_mnv3_classify_take_result (self, job, frame_idx);

  g_mutex_lock (&self->wlock);
  self->wfree[self->n_wfree++] = job;
  g_mutex_unlock (&self->wlock);
}

/* Hands the regions of @frame to the worker: preprocessed here (well under a
 * millisecond), classified there. A pending job not started yet is replaced:
 * the mailbox holds one frame, the newest. */
static void
gst_mnv3_classify_submit (GstMnv3Classify * self, GstVideoFrame * frame,
    guint64 frame_idx, GstMnv3RoiSource roi_source, const GQuark * classes,
    guint min_size)
{
  GstMnv3Job *job;
  gboolean replaced = FALSE;
  gint64 t0 = g_get_monotonic_time ();
  guint i;

  g_mutex_lock (&self->wlock);
  g_assert (self->n_wfree > 0);
  job = self->wfree[--self->n_wfree];
  job->generation = self->generation;
  g_mutex_unlock (&self->wlock);

  gst_mnv3_classify_gather (self, frame->buffer, GST_VIDEO_FRAME_WIDTH (frame),
      GST_VIDEO_FRAME_HEIGHT (frame), roi_source, classes, min_size, job, TRUE);
  for (i = 0; i < job->n_rois; i++)
    gst_mnv3_preprocess_run (self->pp, frame, &job->boxes[i],
        job->inputs + i * self->input_len, &job->used[i]);
  job->frame = frame_idx;
  job->pts = GST_BUFFER_PTS (frame->buffer);
  job->inference_us = g_get_monotonic_time () - t0;

  g_mutex_lock (&self->wlock);
  if (self->wpending) {
    self->wfree[self->n_wfree++] = self->wpending;
    replaced = TRUE;
  }
  self->wpending = job;
  g_cond_broadcast (&self->wcond);
  g_mutex_unlock (&self->wlock);

  if (replaced) {
    GST_OBJECT_LOCK (self);
    self->inferences_replaced++;
    GST_OBJECT_UNLOCK (self);
  }
}

static gboolean
gst_mnv3_classify_overlay_is_current (GstMnv3Classify * self, gint width,
    gint height)
{
  guint i;

  if (self->comp_width != width || self->comp_height != height)
    return FALSE;
  if (self->comp_n != self->res_n[0])
    return FALSE;
  for (i = 0; i < self->res_n[0]; i++) {
    /* the text, not the exact score: scores move a little every frame */
    if (self->comp_ids[i] != self->res_ids[i] ||
        gst_mnv3_overlay_score_permille (self->comp_scores[i]) !=
        gst_mnv3_overlay_score_permille ((gfloat) self->res_scores[i]))
      return FALSE;
  }
  return TRUE;
}

static void
gst_mnv3_classify_check_downstream (GstMnv3Classify * self)
{
  if (G_UNLIKELY (self->check_downstream)) {
    self->attach_overlay = gst_mnv3_classify_downstream_takes_overlay (self);
    self->check_downstream = FALSE;
  }
}

/* Attaches @comp, or blends it with GStreamer's blender. */
static void
gst_mnv3_classify_apply_overlay (GstMnv3Classify * self,
    GstVideoOverlayComposition * comp, GstVideoFrame * frame)
{
  gst_mnv3_classify_check_downstream (self);
  if (self->attach_overlay)
    gst_buffer_add_video_overlay_composition_meta (frame->buffer, comp);
  else
    gst_video_overlay_composition_blend (comp, frame);
}

/* Blends the full-frame overlay with the canvas (made on first use), which
 * redraws only the lines whose text changed. FALSE: the format needs a
 * composition and GStreamer's blender. */
static gboolean
gst_mnv3_classify_draw_canvas (GstMnv3Classify * self, GstVideoFrame * frame)
{
  guint i, n = self->res_n[0];

  if (self->canvas == NULL && !self->canvas_refused) {
    self->canvas = gst_mnv3_overlay_canvas_new (&frame->info);
    self->canvas_refused = self->canvas == NULL;
    GST_DEBUG_OBJECT (self, "overlay: %s", self->canvas ? "drawn directly" :
        "composition blended by GStreamer");
  }
  if (self->canvas == NULL)
    return FALSE;
  for (i = 0; i < n; i++) {
    self->overlay_labels[i] = self->class_labels[self->res_ids[i]];
    self->overlay_scores[i] = (gfloat) self->res_scores[i];
  }
  gst_mnv3_overlay_canvas_set (self->canvas, self->overlay_labels,
      self->overlay_scores, n);
  return gst_mnv3_overlay_canvas_blend (self->canvas, frame);
}

/* Full frame: the top-k list in the top-left corner. Blended: drawn on the
 * canvas. Attached (or a format the canvas does not take): a composition,
 * rendered again only when the drawn text (labels, scores to 0.1%) or the
 * frame size changes. */
static void
gst_mnv3_classify_draw_overlay (GstMnv3Classify * self, GstVideoFrame * frame)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  guint i;

  if (self->res_n_rois == 0)
    return;
  gst_mnv3_classify_check_downstream (self);
  if (!self->attach_overlay && gst_mnv3_classify_draw_canvas (self, frame))
    return;
  if (!gst_mnv3_classify_overlay_is_current (self, width, height)) {
    g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
    for (i = 0; i < self->res_n[0]; i++) {
      self->overlay_labels[i] = self->class_labels[self->res_ids[i]];
      self->comp_ids[i] = self->res_ids[i];
      self->comp_scores[i] = self->res_scores[i];
    }
    self->comp_n = self->res_n[0];
    self->comp_width = width;
    self->comp_height = height;
    self->comp = gst_mnv3_overlay_render (self->overlay_labels,
        self->comp_scores, self->res_n[0], width, height, NULL);
  }

  if (self->comp)
    gst_mnv3_classify_apply_overlay (self, self->comp, frame);
}

/* Regions: the top-1 label of each classified region at its box's top-left
 * corner. Boxes move from frame to frame, so this is rendered every frame. */
static void
gst_mnv3_classify_draw_roi_overlay (GstMnv3Classify * self,
    GstVideoFrame * frame, guint n_match)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  GstVideoOverlayComposition *comp = NULL;
  guint i;

  for (i = 0; i < n_match; i++) {
    GstVideoRegionOfInterestMeta *r = self->match_metas[i];
    guint j = self->match_index[i];
    GstVideoRectangle box = { r->x, r->y, r->w, r->h };
    const gchar *label;
    gfloat score;
    GstVideoOverlayComposition *one;

    if (self->res_n[j] == 0)
      continue;
    label = self->class_labels[self->res_ids[(gsize) j * self->num_classes]];
    score = self->res_scores[(gsize) j * self->num_classes];
    one = gst_mnv3_overlay_render (&label, &score, 1, width, height, &box);
    if (one == NULL)
      continue;
    if (comp == NULL) {
      comp = one;
    } else {
      gst_video_overlay_composition_add_rectangle (comp,
          gst_video_overlay_composition_get_rectangle (one, 0));
      gst_video_overlay_composition_unref (one);
    }
  }
  if (comp) {
    gst_mnv3_classify_apply_overlay (self, comp, frame);
    gst_video_overlay_composition_unref (comp);
  }
}

/* Intersection over union of two rectangles, 0..1. */
static gdouble
rect_iou (const GstVideoRectangle * a, const GstVideoRectangle * b)
{
  gint64 x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  gint64 x1 = MIN ((gint64) a->x + a->w, (gint64) b->x + b->w);
  gint64 y1 = MIN ((gint64) a->y + a->h, (gint64) b->y + b->h);
  gdouble inter, uni;

  if (x1 <= x0 || y1 <= y0)
    return 0.0;
  inter = (gdouble) (x1 - x0) * (y1 - y0);
  uni = (gdouble) a->w * a->h + (gdouble) b->w * b->h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

/* roi-meta: gives each accepted ROI meta of the frame the result of the
 * classified region that overlaps it best (IoU >= 0.5; the same box when the
 * model ran on this frame). Returns the number of matches, listed in
 * match_metas / match_index. */
static guint
gst_mnv3_classify_match_rois (GstMnv3Classify * self, GstBuffer * buffer,
    const GQuark * classes, guint min_size)
{
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *r = (GstVideoRegionOfInterestMeta *) m;
    GstVideoRectangle box = { r->x, r->y, r->w, r->h };
    gdouble best = ROI_MATCH_IOU;
    gint best_j = -1;
    guint j;

    if (!gst_mnv3_classify_roi_accepted (self, r, classes, min_size))
      continue;
    for (j = 0; j < self->res_n_rois; j++) {
      gdouble iou = rect_iou (&box, &self->res_boxes[j]);

      if (iou >= best && (best_j < 0 || iou > best)) {
        best = iou;
        best_j = j;
      }
    }
    if (best_j < 0)
      continue;
    if (n + 1 > self->match_alloc) {
      self->match_alloc = MAX (8, 2 * self->match_alloc);
      self->match_metas = g_renew (GstVideoRegionOfInterestMeta *,
          self->match_metas, self->match_alloc);
      self->match_index = g_renew (guint, self->match_index, self->match_alloc);
    }
    self->match_metas[n] = r;
    self->match_index[n] = best_j;
    n++;
  }
  return n;
}

/* vfuncs */

static gboolean
gst_mnv3_classify_start (GstBaseTransform * trans)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);
  gchar *model_file, *labels_file = NULL, *path = NULL, *problem = NULL;
  gchar **file_labels = NULL;
  const gchar *const *labels;
  GstMnv3LabelOffset label_offset;
  Mnv3GraphOptions options = { 0, NULL };
  GError *err = NULL;
  guint applied_offset = 0, n;
  const gchar *delay;

  GST_OBJECT_LOCK (self);
  model_file = g_strdup (self->model_file);
  labels_file = g_strdup (self->labels_file);
  label_offset = self->label_offset;
  options.threads = self->threads;
  GST_OBJECT_UNLOCK (self);

  gst_mnv3_classify_free_model (self);

  if (model_file == NULL || model_file[0] == '\0') {
    GString *searched = g_string_new (NULL);

    path = gst_mnv3_classify_find_default_model (searched);
    if (path == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No model: set the \"model-file\" property."),
          ("model-file is not set and no %s was found in %s; see "
              "models/README.md for how to convert one", DEFAULT_MODEL_NAME,
              searched->len ? searched->str : "(no folder configured)"));
      g_string_free (searched, TRUE);
      goto error;
    }
    g_string_free (searched, TRUE);
    GST_INFO_OBJECT (self, "model-file not set, using %s", path);
  } else {
    path = g_strdup (model_file);
  }

  self->model = mnv3_model_load (path, &err);
  if (self->model == NULL) {
    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      goto model_not_found;
    goto model_invalid;
  }
  self->info = mnv3_model_get_info (self->model);
  self->num_classes = self->info->num_classes;
  GST_INFO_OBJECT (self, "loaded %s: arch %s, width %g, input %d, %d classes",
      path, self->info->arch_name, self->info->width, self->info->input_size,
      self->info->num_classes);

  if (labels_file != NULL && labels_file[0] != '\0') {
    file_labels = gst_mnv3_labels_load (labels_file, &err);
    if (file_labels == NULL)
      goto labels_failed;
    if (!gst_mnv3_labels_check (g_strv_length (file_labels),
            self->num_classes, label_offset, &err))
      goto labels_failed;
    labels = (const gchar * const *) file_labels;
  } else {
    labels = self->info->labels;
  }

  self->class_labels = gst_mnv3_labels_map (labels, self->num_classes,
      label_offset, &applied_offset, &problem);
  if (problem != NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The label list does not match the model."),
        ("%s (%s): %s", file_labels ? labels_file : "labels embedded in",
            file_labels ? path : path, problem));
    g_free (problem);
  }
  if (applied_offset == 1 && label_offset == GST_MNV3_LABEL_OFFSET_AUTO) {
    GST_INFO_OBJECT (self, "model has %u outputs and %u labels: output 0 is "
        "\"background\", label N names output N+1 (label-offset=auto)",
        self->num_classes, self->num_classes - 1);
  }
  g_clear_pointer (&file_labels, g_strfreev);

  self->graph = mnv3_graph_new (self->model, &options, &err);
  if (self->graph == NULL)
    goto graph_failed;
  GST_INFO_OBJECT (self, "graph: %d threads, %s kernels",
      mnv3_graph_get_threads (self->graph),
      mnv3_graph_get_kernels (self->graph));

  n = self->num_classes;
  self->input_len = (gsize) self->info->input_size * self->info->input_size * 3;
  self->graph_threads = options.threads;
  self->indices = g_new0 (gint, n + 1);
  self->smooth = g_new0 (gfloat, n);
  gst_mnv3_classify_res_reserve (self, 1);
  self->comp_ids = g_new0 (gint, n);
  self->comp_scores = g_new0 (gfloat, n);
  self->overlay_labels = g_new0 (const gchar *, n + 1);
  self->overlay_scores = g_new0 (gfloat, n);
  self->pp = gst_mnv3_preprocess_new ();
  gst_mnv3_classify_reset_result (self);

  GST_OBJECT_LOCK (self);
  self->frames_processed = 0;
  self->frames_inferred = 0;
  self->inferences_skipped = 0;
  self->inferences_replaced = 0;
  self->last_inference_us = 0;
  self->total_inference_us = 0;
  self->upstream_live = -1;
  self->lat_cold_seen = FALSE;
  self->lat_valid = FALSE;
  self->lat_avg_us = 0.0;
  self->lat_reported = 0;
  self->lat_msg_posted = FALSE;
  GST_OBJECT_UNLOCK (self);
  self->frame_count = 0;

  /* test-only: slows every forward pass down, to test live behaviour with
   * a model slower than the stream (see tests/gst/test-mnv3classify-live.c) */
  delay = g_getenv ("MNV3_TEST_DELAY_US");
  self->test_delay_us = delay ? g_ascii_strtoull (delay, NULL, 10) : 0;
  if (self->test_delay_us > 0)
    GST_WARNING_OBJECT (self, "MNV3_TEST_DELAY_US: every forward pass is "
        "slowed down by %" G_GUINT64_FORMAT " us (for tests only)",
        self->test_delay_us);

  g_free (model_file);
  g_free (labels_file);
  g_free (path);
  return TRUE;

  /* ERRORS */
model_not_found:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file \"%s\" not found.", path), ("%s", err->message));
    goto error;
  }
model_invalid:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not load model file \"%s\".", path), ("%s", err->message));
    goto error;
  }
labels_failed:
  {
    /* not found, cannot be opened (or is no regular file), bad content */
    if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Labels file \"%s\" not found.", labels_file), ("%s", err->message));
    else if (err->domain == G_FILE_ERROR ||
        g_error_matches (err, GST_MNV3_ERROR,
            GST_MNV3_ERROR_LABELS_NOT_REGULAR) ||
        g_error_matches (err, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_CHANGED))
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read labels file \"%s\".", labels_file),
          ("%s", err->message));
    else if (g_error_matches (err, GST_MNV3_ERROR,
            GST_MNV3_ERROR_LABELS_MISMATCH))
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("The labels file \"%s\" does not match the model.", labels_file),
          ("%s", err->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, READ,
          ("Labels file \"%s\" is not a usable label list.", labels_file),
          ("%s", err->message));
    goto error;
  }
graph_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not prepare model \"%s\" for inference.", path),
        ("%s", err->message));
    goto error;
  }
error:
  {
    g_clear_error (&err);
    g_strfreev (file_labels);
    g_free (model_file);
    g_free (labels_file);
    g_free (path);
    gst_mnv3_classify_free_model (self);
    return FALSE;
  }
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

  if (!gst_mnv3_classify_configure_preprocess (self, in_info, crop_mode))
    return FALSE;

  /* a result computed on a frame of another size has a stale roi */
  gst_mnv3_classify_worker_discard (self);
  gst_mnv3_classify_reset_result (self);
  gst_mnv3_classify_clear_overlay (self);
  self->check_downstream = TRUE;
  return TRUE;
}

static GstFlowReturn
gst_mnv3_classify_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (filter);
  GstBuffer *buffer = frame->buffer;
  GstMnv3Result res;
  GstMnv3Mode mode;
  GstMnv3RoiSource roi_source;
  GstMnv3CropMode crop_mode;
  const GQuark *classes;
  guint interval, min_size, i;
  gboolean overlay, qos, due, skipped = FALSE;
  guint64 frame_idx;
  /* time split: start, after classification, after the metas, after the
   * overlay; preprocessing and forward passes inside classification */
  GstClockTime t0 = 0, t1 = 0, t2 = 0, t3 = 0, pp_ns = 0, fwd_ns = 0;

#ifndef GST_DISABLE_GST_DEBUG
  self->timing = G_UNLIKELY (gst_debug_category_get_threshold
      (gst_mnv3_classify_perf_debug) >= GST_LEVEL_DEBUG);
#endif
  if (self->timing)
    t0 = gst_util_get_timestamp ();

  if (G_UNLIKELY (self->graph == NULL || self->pp == NULL))
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  interval = self->inference_interval;
  crop_mode = self->crop_mode;
  overlay = self->overlay;
  qos = self->qos;
  roi_source = self->roi_source;
  min_size = self->min_roi_size;
  GST_OBJECT_UNLOCK (self);
  classes = roi_source == GST_MNV3_ROI_SOURCE_ROI_META ?
      gst_mnv3_classify_copy_classes (self) : NULL;

  if (G_UNLIKELY (crop_mode != self->pp_crop_mode)) {
    if (!gst_mnv3_classify_configure_preprocess (self, &filter->in_info,
            crop_mode))
      goto not_negotiated;
    /* recompute with the new region */
    gst_mnv3_classify_worker_discard (self);
    gst_mnv3_classify_reset_result (self);
  }

  mode = gst_mnv3_classify_resolve_mode (self);
  if (mode == GST_MNV3_MODE_ASYNC && self->worker == NULL
      && !gst_mnv3_classify_worker_start (self)) {
    GST_OBJECT_LOCK (self);
    self->mode = GST_MNV3_MODE_SYNC;
    GST_OBJECT_UNLOCK (self);
    mode = GST_MNV3_MODE_SYNC;
  }

  frame_idx = self->frame_count++;

  /* the worker's newest result, also after a switch to sync */
  gst_mnv3_classify_poll_worker (self, frame_idx);

  due = !self->submitted_any || frame_idx - self->last_submit >= interval;
  if (due && qos && gst_mnv3_classify_is_late (self, buffer)) {
    GST_LOG_OBJECT (self, "late: inference skipped on %" GST_TIME_FORMAT,
        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    due = FALSE;
    skipped = TRUE;
  }

  if (due) {
    self->submitted_any = TRUE;
    self->last_submit = frame_idx;
    if (mode == GST_MNV3_MODE_ASYNC) {
      gst_mnv3_classify_submit (self, frame, frame_idx, roi_source, classes,
          min_size);
    } else {
      GstMnv3Job *job = &self->sync_job;
      gint64 t0 = g_get_monotonic_time ();

      gst_mnv3_classify_gather (self, buffer, GST_VIDEO_FRAME_WIDTH (frame),
          GST_VIDEO_FRAME_HEIGHT (frame), roi_source, classes, min_size, job,
          FALSE);
      job->frame = frame_idx;
      job->pts = GST_BUFFER_PTS (buffer);
      gst_mnv3_classify_run_job (self, self->graph, job, frame);
      job->inference_us = g_get_monotonic_time () - t0;
      if (job->n_rois > 0)
        gst_mnv3_classify_update_stats (self, job->inference_us, TRUE);
      gst_mnv3_classify_take_result (self, job, frame_idx);
      pp_ns = job->preprocess_ns;
      fwd_ns = job->forward_ns;
    }
  }
  if (self->timing)
    t1 = t2 = t3 = gst_util_get_timestamp ();

  if (roi_source == GST_MNV3_ROI_SOURCE_FULL_FRAME) {
    if (self->have_result && self->res_n_rois == 1) {
      gst_mnv3_classify_fill_result (self, 0, frame_idx, &res);
    } else {
      /* async, before the first result: an empty one, so that every buffer
       * carries the meta */
      memset (&res, 0, sizeof (res));
      res.class_labels = (const gchar * const *) self->class_labels;
      res.source_pts = GST_CLOCK_TIME_NONE;
      res.model = self->info->arch_name;
      res.roi.w = GST_VIDEO_FRAME_WIDTH (frame);
      res.roi.h = GST_VIDEO_FRAME_HEIGHT (frame);
    }
    gst_mnv3_result_add_metas (buffer, &res);
    if (self->timing)
      t2 = gst_util_get_timestamp ();
    if (overlay && self->have_result)
      gst_mnv3_classify_draw_overlay (self, frame);
    if (self->timing)
      t3 = gst_util_get_timestamp ();
  } else if (self->have_result) {
    guint n = gst_mnv3_classify_match_rois (self, buffer, classes, min_size);

    for (i = 0; i < n; i++) {
      GstVideoRegionOfInterestMeta *r = self->match_metas[i];

      gst_mnv3_classify_fill_result (self, self->match_index[i], frame_idx,
          &res);
      res.roi.x = r->x;
      res.roi.y = r->y;
      res.roi.w = r->w;
      res.roi.h = r->h;
      gst_mnv3_result_add_to_roi_meta (buffer, r, &res);
    }
    if (self->timing)
      t2 = gst_util_get_timestamp ();
    if (overlay)
      gst_mnv3_classify_draw_roi_overlay (self, frame, n);
    if (self->timing)
      t3 = gst_util_get_timestamp ();
  }

  GST_OBJECT_LOCK (self);
  self->frames_processed++;
  if (skipped)
    self->inferences_skipped++;
  GST_OBJECT_UNLOCK (self);

  if (self->timing) {
    GstClockTime t4 = gst_util_get_timestamp ();

    /* ns; classify-other: top-k, smoothing, messages, stats (sync), or
     * preprocessing and the hand-over to the worker (async) */
    GST_CAT_DEBUG_OBJECT (gst_mnv3_classify_perf_debug, self,
        "frame %" G_GUINT64_FORMAT ": total=%" G_GUINT64_FORMAT
        " preprocess=%" G_GUINT64_FORMAT " forward=%" G_GUINT64_FORMAT
        " classify-other=%" G_GUINT64_FORMAT " meta=%" G_GUINT64_FORMAT
        " overlay=%" G_GUINT64_FORMAT " rest=%" G_GUINT64_FORMAT,
        frame_idx, t4 - t0, pp_ns, fwd_ns, t1 - t0 - pp_ns - fwd_ns,
        t2 - t1, t3 - t2, t4 - t3);
  }

  return GST_FLOW_OK;

  /* ERRORS */
not_negotiated:
  {
    GST_ERROR_OBJECT (self, "not negotiated");
    return GST_FLOW_NOT_NEGOTIATED;
  }
}

/* EOS: let the worker finish the frame it has (bounded by one inference per
 * region) so that the last result still reaches the bus and the status. */
static void
gst_mnv3_classify_drain (GstMnv3Classify * self)
{
  GstMnv3Job *job;

  if (self->worker == NULL)
    return;
  g_mutex_lock (&self->wlock);
  while (!self->wquit && (self->wpending != NULL || self->wbusy != NULL))
    g_cond_wait (&self->wcond, &self->wlock);
  g_mutex_unlock (&self->wlock);
  GST_DEBUG_OBJECT (self, "drained");

  g_mutex_lock (&self->wlock);
  job = self->wdone;
  self->wdone = NULL;
  g_mutex_unlock (&self->wlock);
  if (job) {
    gst_mnv3_classify_take_result (self, job, self->frame_count);
    g_mutex_lock (&self->wlock);
    self->wfree[self->n_wfree++] = job;
    g_mutex_unlock (&self->wlock);
  }
}

static gboolean
gst_mnv3_classify_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_FLUSH_START:
      /* not the streaming thread: only drop what is queued */
      gst_mnv3_classify_worker_discard (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_mnv3_classify_worker_discard (self);
      gst_mnv3_classify_reset_result (self);
      break;
    case GST_EVENT_EOS:
      gst_mnv3_classify_drain (self);
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
      self->check_downstream = TRUE;
      break;
    case GST_EVENT_QOS:{
      GstQOSType type;
      gdouble proportion;
      GstClockTimeDiff diff;
      GstClockTime timestamp;

      /* as videodecoder does: when late, aim past the lateness plus one more
       * inference so that skipping lets the pipeline catch up */
      gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
      GST_OBJECT_LOCK (self);
      if (!GST_CLOCK_TIME_IS_VALID (timestamp))
        self->earliest_time = GST_CLOCK_TIME_NONE;
      else if (diff > 0)
        self->earliest_time = timestamp + 2 * diff +
            (self->lat_valid ? self->lat_avg_us * GST_USECOND : 0);
      else if ((GstClockTimeDiff) timestamp + diff > 0)
        self->earliest_time = timestamp + diff;
      else
        self->earliest_time = GST_CLOCK_TIME_NONE;
      GST_LOG_OBJECT (self, "QoS %s proportion %g diff %" G_GINT64_FORMAT
          " ts %" GST_TIME_FORMAT ": skip inference until %" GST_TIME_FORMAT,
          type == GST_QOS_TYPE_OVERFLOW ? "overflow" : "underflow", proportion,
          diff, GST_TIME_ARGS (timestamp), GST_TIME_ARGS (self->earliest_time));
      GST_OBJECT_UNLOCK (self);
      break;
    }
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
}

/* LATENCY: in sync mode the element holds each frame for one inference, so
 * it adds LATENCY_MARGIN times the running average of the inference time
 * (0 before the first one; a LATENCY message asks for a new query when it
 * drifts by more than LATENCY_DRIFT). Async adds nothing. */
static gboolean
gst_mnv3_classify_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);
  GstClockTime min, max, ours = 0;
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
  mode = self->mode == GST_MNV3_MODE_AUTO ?
      (live ? GST_MNV3_MODE_ASYNC : GST_MNV3_MODE_SYNC) : self->mode;
  if (mode == GST_MNV3_MODE_SYNC && self->lat_valid)
    ours = LATENCY_MARGIN * self->lat_avg_us * GST_USECOND;
  self->lat_reported = ours;
  self->lat_msg_posted = FALSE;
  GST_OBJECT_UNLOCK (self);

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
    case PROP_INFERENCES_SKIPPED:
      g_value_set_uint64 (value, self->inferences_skipped);
      break;
    case PROP_INFERENCES_REPLACED:
      g_value_set_uint64 (value, self->inferences_replaced);
      break;
    case PROP_CURRENT_LABEL:
      g_value_set_string (value, self->current_label);
      break;
    case PROP_CURRENT_CONFIDENCE:
      g_value_set_double (value, self->current_confidence);
      break;
    case PROP_FRAMES_PROCESSED:
      g_value_set_uint64 (value, self->frames_processed);
      break;
    case PROP_FRAMES_INFERRED:
      g_value_set_uint64 (value, self->frames_inferred);
      break;
    case PROP_LAST_INFERENCE_US:
      g_value_set_int64 (value, self->last_inference_us);
      break;
    case PROP_AVG_INFERENCE_US:
      g_value_set_double (value, self->frames_inferred ?
          (gdouble) self->total_inference_us / self->frames_inferred : 0.0);
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
  g_free (self->labels_file);
  g_free (self->object_class);
  g_free (self->object_quarks);
  g_mutex_clear (&self->wlock);
  g_cond_clear (&self->wcond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_mnv3_classify_class_init (GstMnv3ClassifyClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  GstVideoFilterClass *filter_class = (GstVideoFilterClass *) klass;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_mnv3_classify_debug, "mnv3classify", 0,
      "MobileNetV3 classification element");
  GST_DEBUG_CATEGORY_INIT (gst_mnv3_classify_perf_debug, "mnv3classify-perf",
      0, "mnv3classify per-frame time split (DEBUG: one line per frame)");

  gobject_class->set_property = gst_mnv3_classify_set_property;
  gobject_class->get_property = gst_mnv3_classify_get_property;
  gobject_class->finalize = gst_mnv3_classify_finalize;

  /**
   * GstMnv3Classify:model-file:
   *
   * Path of the MobileNetV3 model, a safetensors file written by the
   * converters in `models/` (format: `models/FORMAT.md`). When unset, the
   * element looks for `mnv3-default.safetensors` in `$MNV3_MODEL_DIR`, the
   * installed data folder and the build tree's `models/`. A missing or
   * invalid file posts an ERROR naming the file and the reason, and the
   * READY to PAUSED state change fails. Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_FILE,
      g_param_spec_string ("model-file", "Model file",
          "Path of the safetensors MobileNetV3 model to run; it is loaded "
          "when the element goes from READY to PAUSED.",
          DEFAULT_PROP_MODEL_FILE, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:labels-file:
   *
   * Text file with one label per line, line N naming class N (after
   * #GstMnv3Classify:label-offset is applied). When unset, the labels
   * embedded in the model are used, else class numbers ("class 17"). A list
   * of the wrong length posts a WARNING; outputs without a label are then
   * named by their class number and extra lines are ignored. An unreadable
   * file is an ERROR. Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "Path of a text file with one class label per line; when unset the "
          "labels embedded in the model are used, else class numbers.",
          DEFAULT_PROP_LABELS_FILE, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:label-offset:
   *
   * How the label list lines up with the model's outputs. `auto` skips
   * output 0 ("background") when the model has exactly one output more than
   * there are labels (TensorFlow's 1001-class models with a 1000-line list)
   * and says so once in the debug log; `none` maps label N to output N;
   * `skip-background` always names output 0 "background" and label N output
   * N+1. Class ids in the results always index the model's outputs.
   * Default: `auto`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LABEL_OFFSET,
      g_param_spec_enum ("label-offset", "Label offset",
          "How label lines map to model outputs: auto skips output 0 "
          "(background) when the model has one output more than there are "
          "labels.", GST_TYPE_MNV3_LABEL_OFFSET, DEFAULT_PROP_LABEL_OFFSET,
          rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:top-k:
   *
   * Number of results kept per frame, best first (1 to any number; values
   * above the model's number of classes keep all of them). Default: 5.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of best results kept per frame, best first.",
          1, G_MAXINT, DEFAULT_PROP_TOP_K, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:threshold:
   *
   * Minimum softmax probability (0 to 1) a result needs to be kept. Results
   * below it are dropped; when none is left, an empty result is still
   * attached (top-class-id -1). Default: 0 (keep all top-k).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Minimum probability (0 to 1) a result needs to be kept; an empty "
          "result is still attached when none passes.",
          0.0f, 1.0f, DEFAULT_PROP_THRESHOLD, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:crop-mode:
   *
   * Which part of the frame feeds the model's square input: `center-crop`
   * the largest centred square (aspect kept, sides cut), `stretch` the whole
   * frame resized to a square (aspect distorted, as TensorFlow's reference
   * evaluations do), `letterbox` the whole frame fitted inside the square and
   * padded with black. The region used is reported as the
   * meta's `roi`. Default: `center-crop`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CROP_MODE,
      g_param_spec_enum ("crop-mode", "Crop mode",
          "Which part of the frame is fed to the model: the centred square, "
          "the whole frame stretched, or the whole frame letterboxed.",
          GST_TYPE_MNV3_CROP_MODE, DEFAULT_PROP_CROP_MODE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:inference-interval:
   *
   * Run the model on every Nth frame only (N >= 1, in frames). The frames in
   * between carry the last result with `fresh` = %FALSE and `age-frames` = the
   * number of frames since the frame it was computed on. Default: 1 (every
   * frame).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run the model on every Nth frame; frames in between carry the last "
          "result, marked as not fresh.", 1, G_MAXINT,
          DEFAULT_PROP_INFERENCE_INTERVAL, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:threads:
   *
   * Number of threads one inference uses, including the streaming thread
   * (0 to 256; 0 = one per CPU core). Read when the model is loaded (READY
   * to PAUSED). In async mode (#GstMnv3Classify:mode) the worker's
   * inference uses this many threads, and with 0 one per core but one, so
   * that the video path keeps a core. Default: 0.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Number of threads an inference uses, 0 for one per CPU core; read "
          "when the model is loaded.", 0, MAX_THREADS, DEFAULT_PROP_THREADS,
          rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:qos:
   *
   * Whether the element skips inference on frames that downstream QoS
   * events say will be late; the frame itself always passes, carrying the
   * last result (`fresh` = %FALSE, `age-frames` growing). A QOS event with
   * lateness `diff` > 0 at `timestamp` skips inference on frames whose
   * running time is up to `timestamp + 2 * diff + one average inference`, as
   * GstVideoDecoder does; an on-time QOS event ends the skipping. Counted in
   * #GstMnv3Classify:inferences-skipped. This property shadows
   * #GstBaseTransform:qos, whose frame dropping the element never enables.
   * Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_boolean ("qos", "QoS",
          "Whether inference is skipped on frames downstream QoS says are "
          "late; frames themselves are never dropped.",
          DEFAULT_PROP_QOS, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:overlay:
   *
   * Whether to draw the top labels and scores on the video, with a built-in
   * font scaled with the frame height. The drawing is attached as a
   * #GstVideoOverlayCompositionMeta when downstream accepts one (checked with
   * an allocation query after each caps change), else blended into the
   * frame. With %FALSE the pixels are left untouched. Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OVERLAY,
      g_param_spec_boolean ("overlay", "Overlay",
          "Whether to draw the top labels and scores on the video; when off, "
          "pixels are left untouched.", DEFAULT_PROP_OVERLAY,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:message:
   *
   * When to post the "mnv3classify" element message (fields `timestamp`,
   * `running-time` (both #GstClockTime), `labels`, `class-ids`, `scores`
   * (#GstValueArray, best first) and `inference-us`): `none`, `on-change`
   * (after an inference whose top-1 class differs from the last posted one)
   * or `every-result` (after every inference). Default: `on-change`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE,
      g_param_spec_enum ("message", "Message",
          "When to post mnv3classify element messages on the bus: never, "
          "when the top-1 class changes, or after every inference.",
          GST_TYPE_MNV3_MESSAGE_MODE, DEFAULT_PROP_MESSAGE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:mode:
   *
   * Where inference runs. `sync`: in the streaming thread, on every
   * #GstMnv3Classify:inference-interval th frame (deterministic; the frame
   * waits for its result, and the LATENCY query reports the inference time).
   * `async`: one worker thread classifies the newest frame; the streaming
   * thread only preprocesses (well under a millisecond) into a one-slot
   * mailbox, replacing a pending frame that has not started (counted in
   * #GstMnv3Classify:inferences-replaced), and frames pass at once carrying
   * the most recent finished result with `fresh` = %FALSE, `age-frames` =
   * frames since its source frame and `source-pts` = that frame's PTS. The
   * worker gives way to the video path: on Linux it runs at nice +10, and
   * with #GstMnv3Classify:threads = 0 its inference uses one thread fewer
   * than there are cores.
   * Before the first result, buffers carry an empty result (no labels,
   * `source-pts` = GST_CLOCK_TIME_NONE). `auto`: async when the upstream
   * LATENCY query says live, else sync. Flushes, seeks and caps changes drop
   * the queued frame and ignore the running one; EOS waits for the running
   * one (at most one inference) and posts its result on the bus; stopping
   * joins the worker. May be changed while playing. Default: `auto`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Where inference runs: inline (sync), in a worker thread that "
          "classifies the newest frame while frames pass (async), or async "
          "when upstream is live (auto).", GST_TYPE_MNV3_MODE,
          DEFAULT_PROP_MODE, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:smoothing:
   *
   * Temporal smoothing of the scores before top-k, the threshold, the
   * overlay and `on-change` messages. `ema`: an exponential moving average
   * of the probability vector with time constant
   * #GstMnv3Classify:smoothing-time. Reported scores are then the smoothed
   * ones. Applies with #GstMnv3Classify:roi-source=full-frame only (regions
   * from a detector have no identity across frames). The average restarts
   * after a flush, a seek or a caps change. Default: `none`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_enum ("smoothing", "Smoothing",
          "Temporal smoothing of the scores for a stable label: none, or an "
          "exponential moving average (see smoothing-time).",
          GST_TYPE_MNV3_SMOOTHING, DEFAULT_PROP_SMOOTHING,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:smoothing-time:
   *
   * Time constant tau of `smoothing=ema`, in seconds of stream time (0.001
   * to 3600). A new result whose source frame comes dt after the previous
   * result's gets the weight 1 - exp (-dt / tau): at 30 fps, tau = 0.5 s
   * gives each frame 6.5 % and a change of scene takes over the label after
   * about 0.35 s (ln 2 tau). dt comes from the PTS, else the caps framerate,
   * else 1/30 s, so the smoothing does not depend on the inference rate.
   * Default: 0.5.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING_TIME,
      g_param_spec_double ("smoothing-time", "Smoothing time",
          "Time constant of the exponential moving average in seconds of "
          "stream time.", 0.001, 3600.0, DEFAULT_PROP_SMOOTHING_TIME,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:hysteresis:
   *
   * Score margin (0 to 1) another class must beat the current top-1 by to
   * replace it, applied after smoothing and before top-k and `on-change`
   * messages. While the current top-1 is held it stays first in the results,
   * so its score may be below the second one's by less than the margin.
   * Full-frame only, like smoothing. Default: 0 (the best score wins).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_HYSTERESIS,
      g_param_spec_double ("hysteresis", "Hysteresis",
          "Score margin another class must beat the current top-1 label by "
          "to replace it.", 0.0, 1.0, DEFAULT_PROP_HYSTERESIS,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:roi-source:
   *
   * What is classified. `full-frame`: the frame (see
   * #GstMnv3Classify:crop-mode); the element adds its own
   * #GstVideoRegionOfInterestMeta. `roi-meta`: each upstream
   * #GstVideoRegionOfInterestMeta (e.g. from a detector) accepted by
   * #GstMnv3Classify:object-class and #GstMnv3Classify:min-roi-size, with
   * #GstMnv3Classify:crop-mode applied inside its box. Each classified ROI
   * meta gets a "classification" param (`label`, `label_id`, `confidence`,
   * top-k arrays; its roi_type is left alone), and the buffer gets one
   * "Mnv3Classification" custom meta per classified ROI, whose `roi` is the
   * ROI's box and `roi-id` the ROI meta's id. The overlay draws each top-1
   * label at its box's top-left corner. Frames without accepted ROIs get no
   * classification. In async mode a frame's ROI gets the result of the
   * classified region (of the newest finished frame) that overlaps it with
   * an intersection over union of at least 0.5. Messages: one per region,
   * with `roi`, `roi-index` and `n-rois`; `on-change` posts when the list of
   * top-1 classes changes. Default: `full-frame`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ROI_SOURCE,
      g_param_spec_enum ("roi-source", "ROI source",
          "What is classified: the frame, or each upstream region of "
          "interest meta.", GST_TYPE_MNV3_ROI_SOURCE, DEFAULT_PROP_ROI_SOURCE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:object-class:
   *
   * With `roi-source=roi-meta`: comma-separated list of ROI types (the
   * roi_type of #GstVideoRegionOfInterestMeta, e.g. "person,car") to
   * classify; other ROIs are left alone. %NULL or "" classifies all.
   * Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated ROI types to classify with roi-source=roi-meta; "
          "empty for all.", DEFAULT_PROP_OBJECT_CLASS,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:min-roi-size:
   *
   * With `roi-source=roi-meta`: ROIs narrower or lower than this many
   * pixels are not classified (0 to any; 0 = no minimum). Default: 0.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_ROI_SIZE,
      g_param_spec_uint ("min-roi-size", "Minimum ROI size",
          "Width and height in pixels an ROI needs to be classified with "
          "roi-source=roi-meta.", 0, G_MAXINT, DEFAULT_PROP_MIN_ROI_SIZE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:inferences-skipped:
   *
   * Inferences that were due (see #GstMnv3Classify:inference-interval) but
   * skipped because downstream QoS said the frame was late
   * (#GstMnv3Classify:qos). The frames passed anyway. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCES_SKIPPED,
      g_param_spec_uint64 ("inferences-skipped", "Inferences skipped",
          "Number of inferences skipped because QoS said the frame was late.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:inferences-replaced:
   *
   * Async mode: frames handed to the worker that a newer frame replaced in
   * the mailbox before the worker got to them. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCES_REPLACED,
      g_param_spec_uint64 ("inferences-replaced", "Inferences replaced",
          "Number of frames a newer frame replaced before the async worker "
          "classified them.", 0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:current-label:
   *
   * Top-1 label of the last inference, %NULL before the first one or when no
   * result passed the threshold. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CURRENT_LABEL,
      g_param_spec_string ("current-label", "Current label",
          "Top-1 label of the last inference, or NULL when there is none.",
          NULL, ro));

  /**
   * GstMnv3Classify:current-confidence:
   *
   * Softmax probability (0 to 1) of #GstMnv3Classify:current-label, 0 when
   * there is none. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CURRENT_CONFIDENCE,
      g_param_spec_double ("current-confidence", "Current confidence",
          "Probability (0 to 1) of the current top-1 label, 0 when there is "
          "none.", 0.0, 1.0, 0.0, ro));

  /**
   * GstMnv3Classify:frames-processed:
   *
   * Frames that went through the element since it was started. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PROCESSED,
      g_param_spec_uint64 ("frames-processed", "Frames processed",
          "Number of frames that passed through the element since it started.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:frames-inferred:
   *
   * Frames the model ran on since the element was started. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_INFERRED,
      g_param_spec_uint64 ("frames-inferred", "Frames inferred",
          "Number of frames the model ran on since the element started.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:last-inference-us:
   *
   * Wall time of the last classification in microseconds: preprocessing,
   * forward pass, softmax and top-k. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LAST_INFERENCE_US,
      g_param_spec_int64 ("last-inference-us", "Last inference time",
          "Wall time of the last classification (preprocessing and forward "
          "pass) in microseconds.", 0, G_MAXINT64, 0, ro));

  /**
   * GstMnv3Classify:avg-inference-us:
   *
   * Mean of #GstMnv3Classify:last-inference-us over all inferences since the
   * element was started, in microseconds. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AVG_INFERENCE_US,
      g_param_spec_double ("avg-inference-us", "Average inference time",
          "Mean wall time of a classification since the element started, in "
          "microseconds.", 0.0, G_MAXDOUBLE, 0.0, ro));

  gst_element_class_set_static_metadata (element_class,
      "MobileNetV3 classifier", "Filter/Analyzer/Video",
      "Classifies video frames with MobileNetV3 and attaches the labels as "
      "metadata, bus messages and an optional overlay",
      "mnv3classify developers <mnv3classify@example.invalid>");

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
  self->last_posted_id = -2;
  self->held_id = -1;
  self->upstream_live = -1;
  self->earliest_time = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->wlock);
  g_cond_init (&self->wcond);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* inference must never cost a frame: keep GstBaseTransform's QoS frame
   * dropping off (our own "qos" property shadows it) */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
