/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GTypes of the element's enum properties: the nicks are the values
 * users write (crop-mode=center-crop), so they are spelled out here rather
 * than derived from the C names.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmnv3enums.h"

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

GType
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

GType
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

GType
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

GType
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

GType
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

GType
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
