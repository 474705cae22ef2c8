/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Public header-only helpers to read the Mnv3Classification custom meta that
 * the mnv3classify element attaches to every buffer. Installed as
 * <gst/mnv3/mnv3classify-meta.h>; needs only gstreamer-1.0 to compile.
 *
 * The meta is a #GstCustomMeta whose structure (named "Mnv3Classification")
 * holds, best result first:
 *
 *   labels        GStrv                       label of each result
 *   class-ids     GstValueArray of gint       model output index of each result
 *   scores        GstValueArray of gdouble    softmax probability (0..1)
 *   top-label     gchararray                  "" when no result passed the threshold
 *   top-class-id  gint                        -1 when empty
 *   top-score     gdouble                     0 when empty
 *   fresh         gboolean                    the model ran on this very frame
 *   age-frames    guint64                     frames since that run (0 when fresh)
 *   source-pts    guint64                     PTS of the frame the model ran on
 *   inference-us  gint64                      time of that classification, µs
 *   model         gchararray                  architecture ("large", "small", ...)
 *   roi           GstValueArray of 4 gint     x, y, width, height the model saw
 *                                             (roi-source=roi-meta: the ROI's box)
 *   roi-id        gint                        id of the GstVideoRegionOfInterestMeta
 *                                             holding the same classification
 *                                             (-1: none, full-frame-roi=false)
 *   attribute     gchararray                  the element's attribute-name (default
 *                                             "classification"): tells cascaded
 *                                             classifiers' results apart
 *
 * The meta has the ROI meta's tags ("video", "orientation", "size") and a
 * transform: it is copied with buffers and rescaled (`roi`) by
 * videoconvert/videoscale as the ROI meta is (README "Metadata contract").
 *
 * A result whose model output was not finite (NaN or infinity: broken
 * weights) is reported as empty, as one under the threshold (no labels,
 * top-label "", top-class-id -1); the element posts one GST_MESSAGE_WARNING.
 * With roi-source=roi-meta, ROIs beyond the element's max-rois and ROIs
 * entirely outside the frame get no result (counted in its rois-skipped and
 * rois-outside properties).
 *
 * Example:
 * |[<!-- language="C" -->
 *   GstCustomMeta *meta = gst_mnv3_classification_get (buffer);
 *   if (meta && gst_mnv3_classification_get_n_results (meta) > 0)
 *     g_print ("%s %.2f\n", gst_mnv3_classification_get_label (meta, 0),
 *         gst_mnv3_classification_get_score (meta, 0));
 * ]|
 */
#ifndef __MNV3CLASSIFY_META_H__
#define __MNV3CLASSIFY_META_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * The contract's names, defined here once: the element writes them
 * (gst/gstmnv3meta.c), the readers below, the examples and the tests read
 * them. Changing one is an incompatible change of the contract.
 */

/**
 * GST_MNV3_CLASSIFICATION_NAME:
 *
 * Name of the custom meta and of its structure.
 */
#define GST_MNV3_CLASSIFICATION_NAME "Mnv3Classification"

/* fields of the custom meta's structure (types in the comment above);
 * the bus message uses the first three, inference-us and roi too */
#define GST_MNV3_FIELD_LABELS        "labels"
#define GST_MNV3_FIELD_CLASS_IDS     "class-ids"
#define GST_MNV3_FIELD_SCORES        "scores"
#define GST_MNV3_FIELD_TOP_LABEL     "top-label"
#define GST_MNV3_FIELD_TOP_CLASS_ID  "top-class-id"
#define GST_MNV3_FIELD_TOP_SCORE     "top-score"
#define GST_MNV3_FIELD_FRESH         "fresh"
#define GST_MNV3_FIELD_AGE_FRAMES    "age-frames"
#define GST_MNV3_FIELD_SOURCE_PTS    "source-pts"
#define GST_MNV3_FIELD_INFERENCE_US  "inference-us"
#define GST_MNV3_FIELD_MODEL         "model"
#define GST_MNV3_FIELD_ROI           "roi"
#define GST_MNV3_FIELD_ROI_ID        "roi-id"
#define GST_MNV3_FIELD_ATTRIBUTE     "attribute"

/**
 * GST_MNV3_DEFAULT_ATTRIBUTE:
 *
 * The default of the element's attribute-name: the custom meta's
 * `attribute` and the name of the ROI meta's param structure.
 */
#define GST_MNV3_DEFAULT_ATTRIBUTE   "classification"

/**
 * GST_MNV3_ROI_PARAM_NAME:
 *
 * Name of the param structure the element adds to a
 * #GstVideoRegionOfInterestMeta (gst_video_region_of_interest_meta_get_param()),
 * with the DL Streamer field names below plus the labels, class-ids and
 * scores arrays. An element with another attribute-name names its param
 * structure after it (gst_video_region_of_interest_meta_get_param (rmeta,
 * attribute)).
 */
#define GST_MNV3_ROI_PARAM_NAME          GST_MNV3_DEFAULT_ATTRIBUTE
#define GST_MNV3_ROI_PARAM_LABEL         "label"
#define GST_MNV3_ROI_PARAM_LABEL_ID      "label_id"
#define GST_MNV3_ROI_PARAM_CONFIDENCE    "confidence"

/**
 * GST_MNV3_MESSAGE_NAME:
 *
 * Name of the element message's structure, with the fields below plus
 * labels, class-ids, scores (as #GstValueArray), inference-us and, per
 * region, roi.
 */
#define GST_MNV3_MESSAGE_NAME            "mnv3classify"
#define GST_MNV3_MESSAGE_TIMESTAMP       "timestamp"
#define GST_MNV3_MESSAGE_RUNNING_TIME    "running-time"
#define GST_MNV3_MESSAGE_ROI_INDEX       "roi-index"
#define GST_MNV3_MESSAGE_N_ROIS          "n-rois"

/**
 * gst_mnv3_classification_get:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the classification meta of @buffer,
 * or %NULL when it has none (or the mnv3 plugin is not loaded yet).
 */
static inline GstCustomMeta *
gst_mnv3_classification_get (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);

  /* gst_buffer_get_custom_meta() warns on a name that is not registered */
  if (gst_meta_get_info (GST_MNV3_CLASSIFICATION_NAME) == NULL)
    return NULL;
  return gst_buffer_get_custom_meta (buffer, GST_MNV3_CLASSIFICATION_NAME);
}

/**
 * gst_mnv3_classification_iterate:
 * @buffer: a #GstBuffer
 * @state: (inout): %NULL-initialized iteration state
 *
 * Walks all classification metas of @buffer: one per classified region with
 * `roi-source=roi-meta` (each with its `roi` and `roi-id`), one otherwise.
 *
 * Returns: (transfer none) (nullable): the next meta, %NULL at the end.
 */
static inline GstCustomMeta *
gst_mnv3_classification_iterate (GstBuffer * buffer, gpointer * state)
{
  const GstMetaInfo *info;

  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  g_return_val_if_fail (state != NULL, NULL);

  info = gst_meta_get_info (GST_MNV3_CLASSIFICATION_NAME);
  if (info == NULL)
    return NULL;
  return (GstCustomMeta *) gst_buffer_iterate_meta_filtered (buffer, state,
      info->api);
}

/**
 * gst_mnv3_classification_get_attribute:
 * @meta: a classification meta
 *
 * Returns: (transfer none): the attribute-name of the element that wrote
 * @meta (GST_MNV3_DEFAULT_ATTRIBUTE for metas without the field).
 */
static inline const gchar *
gst_mnv3_classification_get_attribute (GstCustomMeta * meta)
{
  const gchar *a;

  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (gst_custom_meta_has_name (meta,
          GST_MNV3_CLASSIFICATION_NAME), NULL);

  a = gst_structure_get_string (gst_custom_meta_get_structure (meta),
      GST_MNV3_FIELD_ATTRIBUTE);
  return a != NULL && a[0] != '\0' ? a : GST_MNV3_DEFAULT_ATTRIBUTE;
}

/**
 * gst_mnv3_classification_iterate_by_attribute:
 * @buffer: a #GstBuffer
 * @attribute: an attribute-name ("classification" by default)
 * @state: (inout): %NULL-initialized iteration state
 *
 * Walks the classification metas of @buffer written by the element(s)
 * whose attribute-name is @attribute: one per classified region with
 * `roi-source=roi-meta`, one otherwise.
 *
 * Returns: (transfer none) (nullable): the next meta, %NULL at the end.
 */
static inline GstCustomMeta *
gst_mnv3_classification_iterate_by_attribute (GstBuffer * buffer,
    const gchar * attribute, gpointer * state)
{
  GstCustomMeta *meta;

  g_return_val_if_fail (attribute != NULL, NULL);

  while ((meta = gst_mnv3_classification_iterate (buffer, state)) != NULL) {
    if (g_strcmp0 (gst_mnv3_classification_get_attribute (meta),
            attribute) == 0)
      return meta;
  }
  return NULL;
}

/**
 * gst_mnv3_classification_get_by_attribute:
 * @buffer: a #GstBuffer
 * @attribute: an attribute-name ("classification" by default)
 * @roi_id: the id of the #GstVideoRegionOfInterestMeta classified, or -1
 *   for any region
 *
 * Finds the result of the classifier named @attribute (e.g. "color" and
 * "make" for two cascaded classifiers on the same car boxes), for the
 * region @roi_id.
 *
 * Returns: (transfer none) (nullable): the first matching meta, or %NULL.
 */
static inline GstCustomMeta *
gst_mnv3_classification_get_by_attribute (GstBuffer * buffer,
    const gchar * attribute, gint roi_id)
{
  gpointer state = NULL;
  GstCustomMeta *meta;

  while ((meta = gst_mnv3_classification_iterate_by_attribute (buffer,
              attribute, &state)) != NULL) {
    gint id = -1;

    if (roi_id < 0)
      return meta;
    if (gst_structure_get_int (gst_custom_meta_get_structure (meta),
            GST_MNV3_FIELD_ROI_ID, &id) && id == roi_id)
      return meta;
  }
  return NULL;
}

/**
 * gst_mnv3_classification_get_structure:
 * @meta: a classification meta
 *
 * Returns: (transfer none): the structure holding all fields.
 */
static inline const GstStructure *
gst_mnv3_classification_get_structure (GstCustomMeta * meta)
{
  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (gst_custom_meta_has_name (meta,
          GST_MNV3_CLASSIFICATION_NAME), NULL);

  return gst_custom_meta_get_structure (meta);
}

/**
 * gst_mnv3_classification_get_n_results:
 * @meta: a classification meta
 *
 * Returns: the number of results (0 when none passed the threshold).
 */
static inline guint
gst_mnv3_classification_get_n_results (GstCustomMeta * meta)
{
  const GstStructure *s;
  const GValue *v;

  g_return_val_if_fail (meta != NULL, 0);
  s = gst_mnv3_classification_get_structure (meta);
  g_return_val_if_fail (s != NULL, 0);

  v = gst_structure_get_value (s, GST_MNV3_FIELD_SCORES);
  g_return_val_if_fail (v != NULL && GST_VALUE_HOLDS_ARRAY (v), 0);
  return gst_value_array_get_size (v);
}

/**
 * gst_mnv3_classification_get_label:
 * @meta: a classification meta
 * @i: result index, 0 = best
 *
 * Returns: (transfer none) (nullable): the label of result @i, valid as long
 * as @meta, or %NULL when @i is out of range.
 */
static inline const gchar *
gst_mnv3_classification_get_label (GstCustomMeta * meta, guint i)
{
  const GstStructure *s;
  const GValue *v;
  const gchar *const *labels;

  g_return_val_if_fail (meta != NULL, NULL);
  s = gst_mnv3_classification_get_structure (meta);
  g_return_val_if_fail (s != NULL, NULL);

  v = gst_structure_get_value (s, GST_MNV3_FIELD_LABELS);
  g_return_val_if_fail (v != NULL && G_VALUE_HOLDS (v, G_TYPE_STRV), NULL);
  labels = (const gchar * const *) g_value_get_boxed (v);
  g_return_val_if_fail (labels != NULL
      && i < g_strv_length ((gchar **) labels), NULL);
  return labels[i];
}

/**
 * gst_mnv3_classification_get_score:
 * @meta: a classification meta
 * @i: result index, 0 = best
 *
 * Returns: the softmax probability (0..1) of result @i, or -1 when @i is out
 * of range.
 */
static inline gdouble
gst_mnv3_classification_get_score (GstCustomMeta * meta, guint i)
{
  const GstStructure *s;
  const GValue *v;

  g_return_val_if_fail (meta != NULL, -1.0);
  s = gst_mnv3_classification_get_structure (meta);
  g_return_val_if_fail (s != NULL, -1.0);

  v = gst_structure_get_value (s, GST_MNV3_FIELD_SCORES);
  g_return_val_if_fail (v != NULL && GST_VALUE_HOLDS_ARRAY (v), -1.0);
  g_return_val_if_fail (i < gst_value_array_get_size (v), -1.0);
  return g_value_get_double (gst_value_array_get_value (v, i));
}

/**
 * gst_mnv3_classification_get_class_id:
 * @meta: a classification meta
 * @i: result index, 0 = best
 *
 * Returns: the model output index of result @i (for 1001-class models, 0 is
 * "background"), or -1 when @i is out of range.
 */
static inline gint
gst_mnv3_classification_get_class_id (GstCustomMeta * meta, guint i)
{
  const GstStructure *s;
  const GValue *v;

  g_return_val_if_fail (meta != NULL, -1);
  s = gst_mnv3_classification_get_structure (meta);
  g_return_val_if_fail (s != NULL, -1);

  v = gst_structure_get_value (s, GST_MNV3_FIELD_CLASS_IDS);
  g_return_val_if_fail (v != NULL && GST_VALUE_HOLDS_ARRAY (v), -1);
  g_return_val_if_fail (i < gst_value_array_get_size (v), -1);
  return g_value_get_int (gst_value_array_get_value (v, i));
}

/**
 * gst_mnv3_classification_is_fresh:
 * @meta: a classification meta
 *
 * Returns: %TRUE when the model ran on this buffer, %FALSE when the result
 * was carried over from an earlier frame (see `inference-interval`).
 */
static inline gboolean
gst_mnv3_classification_is_fresh (GstCustomMeta * meta)
{
  const GstStructure *s;
  gboolean fresh = FALSE;

  g_return_val_if_fail (meta != NULL, FALSE);
  s = gst_mnv3_classification_get_structure (meta);
  g_return_val_if_fail (s != NULL, FALSE);

  gst_structure_get_boolean (s, GST_MNV3_FIELD_FRESH, &fresh);
  return fresh;
}

G_END_DECLS

#endif /* __MNV3CLASSIFY_META_H__ */
