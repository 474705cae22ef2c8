/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one result type: top-k, EMA smoothing, hysteresis, ROI matching and
 * freshness. The meta, the bus message and the overlay all read it.
 */
#ifndef __GST_MNV3_RESULT_H__
#define __GST_MNV3_RESULT_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct _GstMnv3Job GstMnv3Job;                 /* gstmnv3job.h */
typedef struct _GstMnv3RoiFilter GstMnv3RoiFilter;     /* gstmnv3job.h */
typedef struct _GstMnv3Result GstMnv3Result;

/**
 * GstMnv3ResultView:
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
 * @roi: the region the view reports, in pixels: the part of the frame the
 *   model saw (full frame), or the region's box (roi-source=roi-meta)
 *
 * One region of a #GstMnv3Result as seen from one frame: what the meta, the
 * message and the overlay publish. Nothing here is owned: it points into
 * the result and is valid until the result changes.
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
} GstMnv3ResultView;

/**
 * GstMnv3ResultParams:
 * @top_k: results kept per region
 * @threshold: minimum probability of a kept result
 * @ema: smooth the full-frame probabilities with an EMA
 * @smoothing_time: its time constant in seconds
 * @hysteresis: margin another class must beat the held top-1 by (full frame)
 * @frame_duration: seconds between two frames when the PTS cannot tell
 *     (from the caps framerate, else 1/30)
 *
 * How a finished job becomes the result; a copy of the element's properties.
 */
typedef struct {
  guint top_k;
  gfloat threshold;
  gboolean ema;
  gdouble smoothing_time;
  gdouble hysteresis;
  gdouble frame_duration;
} GstMnv3ResultParams;

GstMnv3Result *gst_mnv3_result_new            (guint num_classes,
                                               const gchar * const *class_labels,
                                               const gchar * model);
void           gst_mnv3_result_free           (GstMnv3Result * r);
void           gst_mnv3_result_reset          (GstMnv3Result * r);

void           gst_mnv3_result_take           (GstMnv3Result * r,
                                               const GstMnv3Job * job,
                                               const GstMnv3ResultParams * p);

gboolean       gst_mnv3_result_is_valid       (const GstMnv3Result * r);
gboolean       gst_mnv3_result_is_full_frame  (const GstMnv3Result * r);
guint          gst_mnv3_result_get_n_regions  (const GstMnv3Result * r);
guint64        gst_mnv3_result_get_frame      (const GstMnv3Result * r);
GstClockTime   gst_mnv3_result_get_pts        (const GstMnv3Result * r);
const gchar   *gst_mnv3_result_get_top        (const GstMnv3Result * r,
                                               gdouble * score);
gboolean       gst_mnv3_result_top_changed    (GstMnv3Result * r);

void           gst_mnv3_result_get_view       (const GstMnv3Result * r,
                                               guint region,
                                               guint64 frame_idx,
                                               GstMnv3ResultView * view);
void           gst_mnv3_result_get_frame_view (const GstMnv3Result * r,
                                               guint64 frame_idx,
                                               gint width, gint height,
                                               GstMnv3ResultView * view);

guint          gst_mnv3_result_match          (GstMnv3Result * r,
                                               GstBuffer * buffer,
                                               const GstMnv3RoiFilter * filter,
                                               guint64 frame_idx);
GstVideoRegionOfInterestMeta *gst_mnv3_result_get_match (const GstMnv3Result * r,
                                               guint i,
                                               const GstMnv3ResultView ** view);
const GstMnv3ResultView *gst_mnv3_result_get_match_views (const GstMnv3Result * r);

G_END_DECLS

#endif /* __GST_MNV3_RESULT_H__ */
