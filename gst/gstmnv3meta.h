/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Mnv3Classification custom meta and the ROI meta: registration and
 * filling both from one classification result.
 */
#ifndef __GST_MNV3_META_H__
#define __GST_MNV3_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GST_MNV3_CLASSIFICATION_META_NAME:
 *
 * Name of the custom meta (gst_buffer_get_custom_meta()).
 */
#define GST_MNV3_CLASSIFICATION_META_NAME "Mnv3Classification"

/**
 * GstMnv3Result:
 * @n: number of results kept (0 when all were below the threshold)
 * @class_ids: @n model output indices, best first
 * @scores: @n softmax probabilities (0..1), same order
 * @class_labels: one label per model output, indexed by class id
 * @fresh: %TRUE when the model ran on this very frame
 * @age_frames: frames since the frame the result was computed on (0 = fresh)
 * @source_pts: PTS of the frame the model ran on
 * @inference_us: wall time of that classification (preprocessing, forward
 *   pass, softmax and top-k) in microseconds
 * @model: architecture name of the model ("large", "small", ...)
 * @roi: the region the meta reports, in pixels: the part of the frame the
 *   model saw (full frame), or the upstream ROI's box (roi-source=roi-meta)
 *
 * One classification result, as the element publishes it. Nothing here is
 * owned: the caller keeps the arrays alive during the call.
 */
typedef struct {
  guint                 n;
  const gint           *class_ids;
  const gdouble        *scores;
  const gchar * const  *class_labels;
  gboolean              fresh;
  guint64               age_frames;
  GstClockTime          source_pts;
  gint64                inference_us;
  const gchar          *model;
  GstVideoRectangle     roi;
} GstMnv3Result;

void            gst_mnv3_meta_register        (void);

void            gst_mnv3_result_add_metas     (GstBuffer            *buffer,
                                               const GstMnv3Result  *result);

void            gst_mnv3_result_add_to_roi_meta (GstBuffer                    *buffer,
                                                 GstVideoRegionOfInterestMeta *rmeta,
                                                 const GstMnv3Result          *result);

void            gst_mnv3_result_set_arrays    (const GstMnv3Result  *result,
                                               GstStructure         *s,
                                               gboolean              labels_as_strv);

G_END_DECLS

#endif /* __GST_MNV3_META_H__ */
