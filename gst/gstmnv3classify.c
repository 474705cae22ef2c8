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
 * When #GstMnv3Classify:model-file is not set, the element looks for
 * `mnv3-default.safetensors` in `$MNV3_MODEL_DIR`, the installed data folder
 * and the build tree's `models/` folder (see `models/README.md` for how to
 * make one).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -m v4l2src ! mnv3classify model-file=mnv3-large.safetensors ! videoconvert ! autovideosink
 * gst-launch-1.0 -m filesrc location=cat.png ! decodebin ! imagefreeze num-buffers=3 ! mnv3classify model-file=m.safetensors ! fakesink
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
#include "gstmnv3labels.h"
#include "gstmnv3meta.h"
#include "gstmnv3overlay.h"
#include "gstmnv3preprocess.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_classify_debug);
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

#define MAX_THREADS 256

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
  PROP_CURRENT_LABEL,
  PROP_CURRENT_CONFIDENCE,
  PROP_FRAMES_PROCESSED,
  PROP_FRAMES_INFERRED,
  PROP_LAST_INFERENCE_US,
  PROP_AVG_INFERENCE_US,
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

  /* status, under the object lock */
  const gchar *current_label;   /* points into class_labels */
  gdouble current_confidence;
  guint64 frames_processed;
  guint64 frames_inferred;
  gint64 last_inference_us;
  gint64 total_inference_us;

  /* model state, from start() to stop(); streaming thread only otherwise */
  Mnv3Model *model;
  Mnv3Graph *graph;
  const Mnv3ModelInfo *info;
  guint num_classes;
  gchar **class_labels;         /* num_classes labels, indexed by class id */
  GstMnv3Preprocess *pp;
  GstMnv3CropMode pp_crop_mode; /* the mode pp was configured with */
  gfloat *probs;                /* num_classes */
  gint *indices;                /* num_classes */

  /* the last result */
  gboolean have_result;
  guint n_results;
  gint *result_ids;             /* num_classes */
  gdouble *result_scores;       /* num_classes */
  guint64 age_frames;
  GstClockTime result_pts;
  gint64 result_us;
  GstVideoRectangle result_roi;
  gint last_posted_id;          /* for message=on-change; -2 = nothing yet */

  /* overlay */
  gboolean check_downstream;    /* query downstream for overlay meta support */
  gboolean attach_overlay;      /* downstream takes GstVideoOverlayCompositionMeta */
  GstVideoOverlayComposition *comp;     /* cached rendering of ... */
  guint comp_n;                 /* ... these results at this size */
  gint *comp_ids;               /* num_classes */
  gfloat *comp_scores;          /* num_classes */
  gint comp_width, comp_height;
  const gchar **overlay_labels; /* num_classes, scratch */
};

#define gst_mnv3_classify_parent_class parent_class
G_DEFINE_TYPE (GstMnv3Classify, gst_mnv3_classify, GST_TYPE_VIDEO_FILTER);

GST_ELEMENT_REGISTER_DEFINE (mnv3classify, "mnv3classify", GST_RANK_NONE,
    GST_TYPE_MNV3_CLASSIFY);

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

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMnv3CropMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
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

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMnv3LabelOffset", values);
    g_once_init_leave (&type, t);
  }
  return type;
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

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMnv3MessageMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
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
  self->comp_n = 0;
  self->comp_width = self->comp_height = 0;
}

static void
gst_mnv3_classify_reset_result (GstMnv3Classify * self)
{
  self->have_result = FALSE;
  self->n_results = 0;
  self->age_frames = 0;
  self->result_pts = GST_CLOCK_TIME_NONE;
  self->result_us = 0;
  self->last_posted_id = -2;
}

static void
gst_mnv3_classify_free_model (GstMnv3Classify * self)
{
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
  g_clear_pointer (&self->probs, g_free);
  g_clear_pointer (&self->indices, g_free);
  g_clear_pointer (&self->result_ids, g_free);
  g_clear_pointer (&self->result_scores, g_free);
  g_clear_pointer (&self->comp_ids, g_free);
  g_clear_pointer (&self->comp_scores, g_free);
  g_clear_pointer (&self->overlay_labels, g_free);
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

/* Runs the model on @frame and stores the result. No allocation. */
static void
gst_mnv3_classify_infer (GstMnv3Classify * self, GstVideoFrame * frame,
    guint top_k, gfloat threshold)
{
  GstVideoRectangle used = { 0, 0, GST_VIDEO_FRAME_WIDTH (frame),
    GST_VIDEO_FRAME_HEIGHT (frame)
  };
  const float *logits;
  gint64 t0, t1;
  guint k, n, i, m;

  t0 = g_get_monotonic_time ();
  gst_mnv3_preprocess_run (self->pp, frame, NULL,
      mnv3_graph_get_input (self->graph), &used);
  logits = mnv3_graph_run (self->graph);
  mnv3_softmax (logits, self->probs, self->num_classes);
  k = MIN (top_k, self->num_classes);
  n = mnv3_top_k (self->probs, self->num_classes, k, self->indices);
  for (i = 0, m = 0; i < n; i++) {
    gint id = self->indices[i];

    if (self->probs[id] < threshold)
      break;                    /* best first: the rest are lower */
    self->result_ids[m] = id;
    self->result_scores[m] = self->probs[id];
    m++;
  }
  t1 = g_get_monotonic_time ();

  self->have_result = TRUE;
  self->n_results = m;
  self->age_frames = 0;
  self->result_pts = GST_BUFFER_PTS (frame->buffer);
  self->result_us = t1 - t0;
  self->result_roi = used;

  GST_LOG_OBJECT (self, "top-1 %d (%s) %.3f in %" G_GINT64_FORMAT " us",
      m ? self->result_ids[0] : -1,
      m ? self->class_labels[self->result_ids[0]] : "-",
      m ? self->result_scores[0] : 0.0, self->result_us);
}

static void
gst_mnv3_classify_post_message (GstMnv3Classify * self,
    const GstMnv3Result * res, GstClockTime pts)
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

  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static gboolean
gst_mnv3_classify_overlay_is_current (GstMnv3Classify * self, gint width,
    gint height)
{
  guint i;

  if (self->comp_width != width || self->comp_height != height)
    return FALSE;
  if (self->comp_n != self->n_results)
    return FALSE;
  for (i = 0; i < self->n_results; i++) {
    if (self->comp_ids[i] != self->result_ids[i] ||
        self->comp_scores[i] != (gfloat) self->result_scores[i])
      return FALSE;
  }
  return TRUE;
}

static void
gst_mnv3_classify_draw_overlay (GstMnv3Classify * self, GstVideoFrame * frame)
{
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  guint i;

  if (!gst_mnv3_classify_overlay_is_current (self, width, height)) {
    g_clear_pointer (&self->comp, gst_video_overlay_composition_unref);
    for (i = 0; i < self->n_results; i++) {
      self->overlay_labels[i] = self->class_labels[self->result_ids[i]];
      self->comp_ids[i] = self->result_ids[i];
      self->comp_scores[i] = self->result_scores[i];
    }
    self->comp_n = self->n_results;
    self->comp_width = width;
    self->comp_height = height;
    self->comp = gst_mnv3_overlay_render (self->overlay_labels,
        self->comp_scores, self->n_results, width, height, NULL);
  }

  if (self->comp == NULL)
    return;

  if (self->attach_overlay)
    gst_buffer_add_video_overlay_composition_meta (frame->buffer, self->comp);
  else
    gst_video_overlay_composition_blend (self->comp, frame);
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
  self->probs = g_new0 (gfloat, n);
  self->indices = g_new0 (gint, n);
  self->result_ids = g_new0 (gint, n);
  self->result_scores = g_new0 (gdouble, n);
  self->comp_ids = g_new0 (gint, n);
  self->comp_scores = g_new0 (gfloat, n);
  self->overlay_labels = g_new0 (const gchar *, n + 1);
  self->pp = gst_mnv3_preprocess_new ();
  gst_mnv3_classify_reset_result (self);

  GST_OBJECT_LOCK (self);
  self->frames_processed = 0;
  self->frames_inferred = 0;
  self->last_inference_us = 0;
  self->total_inference_us = 0;
  GST_OBJECT_UNLOCK (self);

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
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Could not read labels file \"%s\".", labels_file),
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
  GstMnv3Result res;
  guint top_k, interval;
  gfloat threshold;
  GstMnv3CropMode crop_mode;
  gboolean overlay, fresh = FALSE, post = FALSE;
  GstMnv3MessageMode message;

  if (G_UNLIKELY (self->graph == NULL || self->pp == NULL))
    goto not_negotiated;

  GST_OBJECT_LOCK (self);
  top_k = self->top_k;
  threshold = self->threshold;
  interval = self->inference_interval;
  crop_mode = self->crop_mode;
  overlay = self->overlay;
  message = self->message;
  GST_OBJECT_UNLOCK (self);

  if (G_UNLIKELY (crop_mode != self->pp_crop_mode)) {
    if (!gst_mnv3_classify_configure_preprocess (self, &filter->in_info,
            crop_mode))
      goto not_negotiated;
    self->have_result = FALSE;  /* recompute with the new region */
  }

  if (!self->have_result || self->age_frames + 1 >= interval) {
    gst_mnv3_classify_infer (self, frame, top_k, threshold);
    fresh = TRUE;
  } else {
    self->age_frames++;
  }

  res.n = self->n_results;
  res.class_ids = self->result_ids;
  res.scores = self->result_scores;
  res.class_labels = (const gchar * const *) self->class_labels;
  res.fresh = fresh;
  res.age_frames = self->age_frames;
  res.source_pts = self->result_pts;
  res.inference_us = self->result_us;
  res.model = self->info->arch_name;
  res.roi = self->result_roi;

  gst_mnv3_result_add_metas (frame->buffer, &res);

  GST_OBJECT_LOCK (self);
  self->frames_processed++;
  if (fresh) {
    self->frames_inferred++;
    self->last_inference_us = res.inference_us;
    self->total_inference_us += res.inference_us;
    self->current_label = res.n ? self->class_labels[res.class_ids[0]] : NULL;
    self->current_confidence = res.n ? res.scores[0] : 0.0;
  }
  GST_OBJECT_UNLOCK (self);

  if (fresh && message != GST_MNV3_MESSAGE_NONE) {
    gint top = res.n ? res.class_ids[0] : -1;

    post = message == GST_MNV3_MESSAGE_EVERY_RESULT
        || top != self->last_posted_id;
    self->last_posted_id = top;
  }
  if (post)
    gst_mnv3_classify_post_message (self, &res, GST_BUFFER_PTS (frame->buffer));

  if (overlay) {
    if (G_UNLIKELY (self->check_downstream)) {
      self->attach_overlay = gst_mnv3_classify_downstream_takes_overlay (self);
      self->check_downstream = FALSE;
    }
    gst_mnv3_classify_draw_overlay (self, frame);
  }

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

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    gst_mnv3_classify_reset_result (self);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
gst_mnv3_classify_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMnv3Classify *self = GST_MNV3_CLASSIFY (trans);

  /* a new downstream (e.g. a relinked sink) may render overlays itself */
  if (GST_EVENT_TYPE (event) == GST_EVENT_RECONFIGURE)
    self->check_downstream = TRUE;

  return GST_BASE_TRANSFORM_CLASS (parent_class)->src_event (trans, event);
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
   * to PAUSED). Default: 0.
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
   * Whether the element may skip inference on late frames (it never drops a
   * frame). This property shadows #GstBaseTransform:qos, whose frame
   * dropping the element never enables. In this version the value is only
   * stored: inference is not skipped yet. Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_boolean ("qos", "QoS",
          "Whether inference may be skipped on late frames; frames themselves "
          "are never dropped (stored only in this version).",
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

  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_mnv3_classify_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_mnv3_classify_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_CROP_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_LABEL_OFFSET, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MNV3_MESSAGE_MODE, 0);
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
  self->last_posted_id = -2;

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* inference must never cost a frame: keep GstBaseTransform's QoS frame
   * dropping off (our own "qos" property shadows it) */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}
