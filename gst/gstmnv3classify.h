/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mnv3classify element: classifies raw video frames with libmnv3.
 */
#ifndef __GST_MNV3_CLASSIFY_H__
#define __GST_MNV3_CLASSIFY_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

/**
 * GstMnv3MessageMode:
 * @GST_MNV3_MESSAGE_NONE: post no element messages
 * @GST_MNV3_MESSAGE_ON_CHANGE: post when the top-1 class changes
 * @GST_MNV3_MESSAGE_EVERY_RESULT: post after every inference
 *
 * When the element posts its "mnv3classify" element message.
 */
typedef enum {
  GST_MNV3_MESSAGE_NONE = 0,
  GST_MNV3_MESSAGE_ON_CHANGE,
  GST_MNV3_MESSAGE_EVERY_RESULT,
} GstMnv3MessageMode;

/**
 * GstMnv3Mode:
 * @GST_MNV3_MODE_AUTO: async when upstream is live (LATENCY query), else sync
 * @GST_MNV3_MODE_SYNC: inference inline in the streaming thread
 * @GST_MNV3_MODE_ASYNC: a worker thread classifies the newest frame; frames
 *     pass without waiting and carry the most recent result
 *
 * Where inference runs.
 */
typedef enum {
  GST_MNV3_MODE_AUTO = 0,
  GST_MNV3_MODE_SYNC,
  GST_MNV3_MODE_ASYNC,
} GstMnv3Mode;

/**
 * GstMnv3Smoothing:
 * @GST_MNV3_SMOOTHING_NONE: scores of each inference as they are
 * @GST_MNV3_SMOOTHING_EMA: exponential moving average of the probabilities
 *
 * Temporal smoothing of the scores.
 */
typedef enum {
  GST_MNV3_SMOOTHING_NONE = 0,
  GST_MNV3_SMOOTHING_EMA,
} GstMnv3Smoothing;

/**
 * GstMnv3RoiSource:
 * @GST_MNV3_ROI_SOURCE_FULL_FRAME: classify the frame (see crop-mode)
 * @GST_MNV3_ROI_SOURCE_ROI_META: classify each upstream
 *     #GstVideoRegionOfInterestMeta
 *
 * What the element classifies.
 */
typedef enum {
  GST_MNV3_ROI_SOURCE_FULL_FRAME = 0,
  GST_MNV3_ROI_SOURCE_ROI_META,
} GstMnv3RoiSource;

#define GST_TYPE_MNV3_CLASSIFY (gst_mnv3_classify_get_type ())
G_DECLARE_FINAL_TYPE (GstMnv3Classify, gst_mnv3_classify, GST, MNV3_CLASSIFY,
    GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (mnv3classify);

G_END_DECLS

#endif /* __GST_MNV3_CLASSIFY_H__ */
