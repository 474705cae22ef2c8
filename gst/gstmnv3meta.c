/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The result written out: the Mnv3Classification custom meta, the ROI meta
 * and the element message, all from one view of the classification result.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmnv3meta.h"

/* copies every field of @src into @dest */
static gboolean
copy_field (GQuark field, const GValue * value, gpointer dest)
{
  gst_structure_id_set_value (dest, field, value);
  return TRUE;
}

/* Scales one coordinate as GstVideoRegionOfInterestMeta's transform does,
 * so that `roi` and the ROI meta stay equal. */
static gint
scale_coord (gint v, gint from, gint to)
{
  if (from <= 0)
    return v;
  return (gint) (((gint64) v * to) / from);
}

/* The ROI param of attribute @name rebuilt from the custom meta @from
 * (the same fields add_roi_param () writes). */
static GstStructure *
roi_param_from_custom (const GstStructure * from, const gchar * name)
{
  const gchar *label = gst_structure_get_string (from,
      GST_MNV3_FIELD_TOP_LABEL);
  const gchar *const *labels = NULL;
  const GValue *v;
  GValue arr = G_VALUE_INIT, str = G_VALUE_INIT;
  gint id = -1;
  gdouble score = 0.0;
  GstStructure *param;

  gst_structure_get_int (from, GST_MNV3_FIELD_TOP_CLASS_ID, &id);
  gst_structure_get_double (from, GST_MNV3_FIELD_TOP_SCORE, &score);
  param = gst_structure_new (name, GST_MNV3_ROI_PARAM_LABEL, G_TYPE_STRING,
      label ? label : "", GST_MNV3_ROI_PARAM_LABEL_ID, G_TYPE_INT, id,
      GST_MNV3_ROI_PARAM_CONFIDENCE, G_TYPE_DOUBLE, score, NULL);

  v = gst_structure_get_value (from, GST_MNV3_FIELD_LABELS);
  if (v != NULL && G_VALUE_HOLDS (v, G_TYPE_STRV))
    labels = g_value_get_boxed (v);
  gst_value_array_init (&arr, labels ? g_strv_length ((gchar **) labels) : 0);
  g_value_init (&str, G_TYPE_STRING);
  for (; labels && *labels; labels++) {
    g_value_set_string (&str, *labels);
    gst_value_array_append_value (&arr, &str);
  }
  g_value_unset (&str);
  gst_structure_take_value (param, GST_MNV3_FIELD_LABELS, &arr);
  if ((v = gst_structure_get_value (from, GST_MNV3_FIELD_CLASS_IDS)))
    gst_structure_set_value (param, GST_MNV3_FIELD_CLASS_IDS, v);
  if ((v = gst_structure_get_value (from, GST_MNV3_FIELD_SCORES)))
    gst_structure_set_value (param, GST_MNV3_FIELD_SCORES, v);
  return param;
}

/* GStreamer 1.22's ROI meta scale transform does not copy the params: give
 * the rescaled ROI meta of @dest (same id, transformed before this meta, as
 * it was added to the buffer first) its param back. */
static void
restore_roi_param (GstBuffer * dest, const GstStructure * from)
{
  GstVideoRegionOfInterestMeta *rmeta;
  const gchar *name = gst_structure_get_string (from,
      GST_MNV3_FIELD_ATTRIBUTE);
  gint roi_id = -1;

  if (!gst_structure_get_int (from, GST_MNV3_FIELD_ROI_ID, &roi_id)
      || roi_id < 0 || name == NULL || name[0] == '\0')
    return;
  rmeta = gst_buffer_get_video_region_of_interest_meta_id (dest, roi_id);
  if (rmeta == NULL || gst_video_region_of_interest_meta_get_param (rmeta,
          name) != NULL)
    return;
  gst_video_region_of_interest_meta_add_param (rmeta,
      roi_param_from_custom (from, name));
}

/*
 * The custom meta's transform: a full copy keeps it; GstVideoMetaTransform
 * scale (videoscale, videoconvertscale, and videoconvert, which in 1.22 is
 * the same class) rescales `roi` and restores the ROI meta's param. Partial
 * copies (a region of the buffer) and every other transform drop it, as
 * they drop the ROI meta.
 */
static gboolean
gst_mnv3_meta_transform (GstBuffer * dest, GstCustomMeta * meta,
    GstBuffer * src, GQuark type, gpointer data, gpointer user_data)
{
  const GstStructure *from = gst_custom_meta_get_structure (meta);
  GstCustomMeta *out;
  GstStructure *to;

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;

    if (copy->region)
      return FALSE;
  } else if (!GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    return FALSE;
  }

  out = gst_buffer_add_custom_meta (dest, GST_MNV3_CLASSIFICATION_NAME);
  if (out == NULL)
    return FALSE;
  to = gst_custom_meta_get_structure (out);
  gst_structure_foreach (from, copy_field, to);

  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    GstVideoMetaTransform *trans = data;
    const GValue *roi = gst_structure_get_value (from, GST_MNV3_FIELD_ROI);
    gint ow = GST_VIDEO_INFO_WIDTH (trans->in_info);
    gint oh = GST_VIDEO_INFO_HEIGHT (trans->in_info);
    gint nw = GST_VIDEO_INFO_WIDTH (trans->out_info);
    gint nh = GST_VIDEO_INFO_HEIGHT (trans->out_info);

    if (roi != NULL && GST_VALUE_HOLDS_ARRAY (roi)
        && gst_value_array_get_size (roi) == 4) {
      GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
      guint i;

      gst_value_array_init (&arr, 4);
      g_value_init (&v, G_TYPE_INT);
      for (i = 0; i < 4; i++) {
        gint c = g_value_get_int (gst_value_array_get_value (roi, i));

        g_value_set_int (&v, (i % 2 == 0) ? scale_coord (c, ow, nw)
            : scale_coord (c, oh, nh));
        gst_value_array_append_value (&arr, &v);
      }
      g_value_unset (&v);
      gst_structure_take_value (to, GST_MNV3_FIELD_ROI, &arr);
    }
    restore_roi_param (dest, from);
  }
  return TRUE;
}

/**
 * gst_mnv3_meta_register:
 *
 * Registers the "Mnv3Classification" custom meta, once, with the tags of
 * #GstVideoRegionOfInterestMeta ("video", "orientation", "size") and
 * gst_mnv3_meta_transform(), so that it travels where the ROI meta does:
 * copied by videoconvert, copied with `roi` rescaled by videoscale. Elements
 * that drop geometry metas (videocrop, videoflip, and any GstBaseTransform
 * keeping only tag-less metas) drop both; see README "Metadata contract".
 * Called from plugin_init; safe to call again.
 */
void
gst_mnv3_meta_register (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once)) {
    const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
      GST_META_TAG_VIDEO_ORIENTATION_STR, GST_META_TAG_VIDEO_SIZE_STR, NULL
    };

    gst_meta_register_custom (GST_MNV3_CLASSIFICATION_NAME, tags,
        gst_mnv3_meta_transform, NULL, NULL);
    g_once_init_leave (&once, 1);
  }
}

static void
take_array (GstStructure * s, const gchar * field, GValue * arr)
{
  gst_structure_take_value (s, field, arr);
}

/**
 * gst_mnv3_meta_set_arrays:
 * @result: the result
 * @s: structure to fill
 * @labels_as_strv: %TRUE to store `labels` as a #G_TYPE_STRV, %FALSE as a
 *   #GstValueArray of strings (which gst_structure_to_string() can print,
 *   used for bus messages)
 *
 * Sets `labels`, `class-ids` (#GstValueArray of gint) and `scores`
 * (#GstValueArray of gdouble), best first. PyGObject on GStreamer 1.22
 * reads a #GstValueArray as a Gst.ValueArray that list() converts, and a
 * #G_TYPE_STRV as a Python list.
 */
void
gst_mnv3_meta_set_arrays (const GstMnv3ResultView * result, GstStructure * s,
    gboolean labels_as_strv)
{
  GValue ids = G_VALUE_INIT, scores = G_VALUE_INIT, labels = G_VALUE_INIT;
  GValue v = G_VALUE_INIT;
  guint i;

  gst_value_array_init (&ids, result->n);
  gst_value_array_init (&scores, result->n);

  g_value_init (&v, G_TYPE_INT);
  for (i = 0; i < result->n; i++) {
    g_value_set_int (&v, result->class_ids[i]);
    gst_value_array_append_value (&ids, &v);
  }
  g_value_unset (&v);

  g_value_init (&v, G_TYPE_DOUBLE);
  for (i = 0; i < result->n; i++) {
    g_value_set_double (&v, result->scores[i]);
    gst_value_array_append_value (&scores, &v);
  }
  g_value_unset (&v);

  if (labels_as_strv) {
    const gchar **strv = g_newa (const gchar *, result->n + 1);

    for (i = 0; i < result->n; i++)
      strv[i] = result->class_labels[result->class_ids[i]];
    strv[result->n] = NULL;
    g_value_init (&labels, G_TYPE_STRV);
    g_value_set_boxed (&labels, strv);
  } else {
    gst_value_array_init (&labels, result->n);
    g_value_init (&v, G_TYPE_STRING);
    for (i = 0; i < result->n; i++) {
      g_value_set_string (&v, result->class_labels[result->class_ids[i]]);
      gst_value_array_append_value (&labels, &v);
    }
    g_value_unset (&v);
  }

  take_array (s, GST_MNV3_FIELD_LABELS, &labels);
  take_array (s, GST_MNV3_FIELD_CLASS_IDS, &ids);
  take_array (s, GST_MNV3_FIELD_SCORES, &scores);
}

/* x, y, w, h as a GstValueArray of 4 gint */
static void
roi_array (GValue * arr, const GstVideoRectangle * r)
{
  const gint xywh[4] = { r->x, r->y, r->w, r->h };
  GValue v = G_VALUE_INIT;
  guint i;

  gst_value_array_init (arr, 4);
  g_value_init (&v, G_TYPE_INT);
  for (i = 0; i < 4; i++) {
    g_value_set_int (&v, xywh[i]);
    gst_value_array_append_value (arr, &v);
  }
  g_value_unset (&v);
}

static void
add_custom_meta (GstBuffer * buffer, const GstMnv3ResultView * result,
    gint roi_id, const gchar * attribute)
{
  GstCustomMeta *cmeta;
  GstStructure *s;
  GValue roi = G_VALUE_INIT;
  const gchar *top_label = "";
  gint top_id = -1;
  gdouble top_score = 0.0;

  if (result->n > 0) {
    top_id = result->class_ids[0];
    top_label = result->class_labels[top_id];
    top_score = result->scores[0];
  }

  cmeta = gst_buffer_add_custom_meta (buffer, GST_MNV3_CLASSIFICATION_NAME);
  if (cmeta == NULL)
    return;
  s = gst_custom_meta_get_structure (cmeta);
  gst_mnv3_meta_set_arrays (result, s, TRUE);

  roi_array (&roi, &result->roi);

  gst_structure_set (s,
      GST_MNV3_FIELD_TOP_LABEL, G_TYPE_STRING, top_label,
      GST_MNV3_FIELD_TOP_CLASS_ID, G_TYPE_INT, top_id,
      GST_MNV3_FIELD_TOP_SCORE, G_TYPE_DOUBLE, top_score,
      GST_MNV3_FIELD_FRESH, G_TYPE_BOOLEAN, result->fresh,
      GST_MNV3_FIELD_AGE_FRAMES, G_TYPE_UINT64, result->age_frames,
      GST_MNV3_FIELD_SOURCE_PTS, G_TYPE_UINT64, (guint64) result->source_pts,
      GST_MNV3_FIELD_INFERENCE_US, G_TYPE_INT64, result->inference_us,
      GST_MNV3_FIELD_MODEL, G_TYPE_STRING, result->model ? result->model : "",
      GST_MNV3_FIELD_ROI_ID, G_TYPE_INT, roi_id,
      GST_MNV3_FIELD_ATTRIBUTE, G_TYPE_STRING, attribute, NULL);
  gst_structure_take_value (s, GST_MNV3_FIELD_ROI, &roi);
}

static void
add_roi_param (GstVideoRegionOfInterestMeta * rmeta,
    const GstMnv3ResultView * result, const gchar * attribute)
{
  GstStructure *param;

  param = gst_structure_new (attribute,
      GST_MNV3_ROI_PARAM_LABEL, G_TYPE_STRING,
      result->n > 0 ? result->class_labels[result->class_ids[0]] : "",
      GST_MNV3_ROI_PARAM_LABEL_ID, G_TYPE_INT,
      result->n > 0 ? result->class_ids[0] : -1, GST_MNV3_ROI_PARAM_CONFIDENCE,
      G_TYPE_DOUBLE, result->n > 0 ? result->scores[0] : 0.0, NULL);
  gst_mnv3_meta_set_arrays (result, param, FALSE);
  /* takes ownership of param */
  gst_video_region_of_interest_meta_add_param (rmeta, param);
}

/* Gives @rmeta an id no other ROI meta of @buffer has (GStreamer starts
 * every ROI meta at id 0): kept when already unique, else the largest id
 * of the buffer plus one. */
static void
make_roi_id_unique (GstBuffer * buffer, GstVideoRegionOfInterestMeta * rmeta)
{
  gpointer state = NULL;
  GstMeta *m;
  gboolean clash = FALSE;
  gint max_id = rmeta->id;

  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *o = (GstVideoRegionOfInterestMeta *) m;

    if (o == rmeta)
      continue;
    clash |= o->id == rmeta->id;
    max_id = MAX (max_id, o->id);
  }
  if (clash && max_id < G_MAXINT)
    rmeta->id = max_id + 1;
}

/**
 * gst_mnv3_meta_add:
 * @buffer: a writable buffer
 * @result: the result to publish
 * @attribute: the element's attribute-name
 * @add_roi: whether to add the ROI meta (full-frame-roi)
 *
 * Attaches @result twice, from this one function so that the two dialects
 * cannot disagree:
 *
 * 1. (@add_roi) a #GstVideoRegionOfInterestMeta over @result->roi whose
 *    roi_type is the top-1 label ("unknown" when empty) and whose id no
 *    other ROI meta of @buffer has, with an @attribute param structure
 *    holding `label` (string), `label_id` (gint), `confidence` (gdouble) as
 *    DL Streamer names them, plus the same `labels`, `class-ids` and
 *    `scores` arrays;
 * 2. the "Mnv3Classification" custom meta, a structure with `labels`
 *    (GStrv), `class-ids` (GstValueArray of gint), `scores` (GstValueArray
 *    of gdouble), `top-label` (string, "" when empty), `top-class-id` (gint,
 *    -1 when empty), `top-score` (gdouble, 0 when empty), `fresh`
 *    (gboolean), `age-frames` (guint64), `source-pts` (guint64, a
 *    #GstClockTime), `inference-us` (gint64), `model` (string), `roi`
 *    (GstValueArray of 4 gint: x, y, w, h), `roi-id` (gint, the id of the
 *    ROI meta of 1., -1 without it) and `attribute` (string, @attribute).
 */
void
gst_mnv3_meta_add (GstBuffer * buffer, const GstMnv3ResultView * result,
    const gchar * attribute, gboolean add_roi)
{
  GstVideoRegionOfInterestMeta *rmeta;
  gint roi_id = -1;

  g_return_if_fail (GST_IS_BUFFER (buffer));
  g_return_if_fail (gst_buffer_is_writable (buffer));
  g_return_if_fail (result != NULL && attribute != NULL);

  if (add_roi) {
    rmeta = gst_buffer_add_video_region_of_interest_meta (buffer,
        result->n > 0 ? result->class_labels[result->class_ids[0]] :
        "unknown", result->roi.x, result->roi.y, result->roi.w, result->roi.h);
    make_roi_id_unique (buffer, rmeta);
    add_roi_param (rmeta, result, attribute);
    roi_id = rmeta->id;
  }
  add_custom_meta (buffer, result, roi_id, attribute);
}

/**
 * gst_mnv3_meta_add_to_roi:
 * @buffer: a writable buffer
 * @rmeta: a #GstVideoRegionOfInterestMeta of @buffer (from upstream)
 * @result: the classification of that region
 * @attribute: the element's attribute-name
 *
 * Publishes the classification of an upstream region: adds an @attribute
 * param (fields as in gst_mnv3_meta_add()) to @rmeta, leaving its roi_type
 * alone, and attaches one more "Mnv3Classification" custom meta whose
 * `roi-id` is @rmeta's id and whose `roi` is @result->roi. When another ROI
 * meta of @buffer has @rmeta's id (upstream left them all at 0), @rmeta gets
 * a new unique one first, so that `roi-id` names one region.
 */
void
gst_mnv3_meta_add_to_roi (GstBuffer * buffer,
    GstVideoRegionOfInterestMeta * rmeta, const GstMnv3ResultView * result,
    const gchar * attribute)
{
  g_return_if_fail (GST_IS_BUFFER (buffer));
  g_return_if_fail (gst_buffer_is_writable (buffer));
  g_return_if_fail (rmeta != NULL && result != NULL && attribute != NULL);

  make_roi_id_unique (buffer, rmeta);
  add_roi_param (rmeta, result, attribute);
  add_custom_meta (buffer, result, rmeta->id, attribute);
}

/**
 * gst_mnv3_meta_post_message:
 * @element: the element that posts
 * @result: the result to post
 * @pts: PTS of the frame the result comes from
 * @running_time: its running time, or GST_CLOCK_TIME_NONE
 * @roi_index: the region's index (roi-source=roi-meta), -1: full frame
 * @n_rois: the number of regions (with @roi_index >= 0)
 *
 * Posts the "mnv3classify" element message: `timestamp`, `running-time`,
 * `labels`, `class-ids`, `scores`, `inference-us`, and for a region `roi`
 * (x, y, w, h), `roi-index` and `n-rois`.
 */
void
gst_mnv3_meta_post_message (GstElement * element,
    const GstMnv3ResultView * result, GstClockTime pts,
    GstClockTime running_time, gint roi_index, guint n_rois)
{
  GstStructure *s;

  s = gst_structure_new (GST_MNV3_MESSAGE_NAME,
      GST_MNV3_MESSAGE_TIMESTAMP, G_TYPE_UINT64, (guint64) pts,
      GST_MNV3_MESSAGE_RUNNING_TIME, G_TYPE_UINT64, (guint64) running_time,
      NULL);
  /* GstValueArray of strings rather than GStrv: gst-launch-1.0 -m prints it */
  gst_mnv3_meta_set_arrays (result, s, FALSE);
  gst_structure_set (s, GST_MNV3_FIELD_INFERENCE_US, G_TYPE_INT64,
      result->inference_us, NULL);
  if (roi_index >= 0) {
    GValue roi = G_VALUE_INIT;

    roi_array (&roi, &result->roi);
    gst_structure_take_value (s, GST_MNV3_FIELD_ROI, &roi);
    gst_structure_set (s, GST_MNV3_MESSAGE_ROI_INDEX, G_TYPE_INT, roi_index,
        GST_MNV3_MESSAGE_N_ROIS, G_TYPE_INT, (gint) n_rois, NULL);
  }

  gst_element_post_message (element,
      gst_message_new_element (GST_OBJECT_CAST (element), s));
}
