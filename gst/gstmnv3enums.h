/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GTypes of the element's enum properties.
 */
#ifndef __GST_MNV3_ENUMS_H__
#define __GST_MNV3_ENUMS_H__

#include <glib-object.h>

#include "gstmnv3classify.h"
#include "gstmnv3labels.h"
#include "gstmnv3preprocess.h"

G_BEGIN_DECLS

#define GST_TYPE_MNV3_CROP_MODE (gst_mnv3_crop_mode_get_type ())
GType gst_mnv3_crop_mode_get_type (void);

#define GST_TYPE_MNV3_LABEL_OFFSET (gst_mnv3_label_offset_get_type ())
GType gst_mnv3_label_offset_get_type (void);

#define GST_TYPE_MNV3_MESSAGE_MODE (gst_mnv3_message_mode_get_type ())
GType gst_mnv3_message_mode_get_type (void);

#define GST_TYPE_MNV3_MODE (gst_mnv3_mode_get_type ())
GType gst_mnv3_mode_get_type (void);

#define GST_TYPE_MNV3_SMOOTHING (gst_mnv3_smoothing_get_type ())
GType gst_mnv3_smoothing_get_type (void);

#define GST_TYPE_MNV3_ROI_SOURCE (gst_mnv3_roi_source_get_type ())
GType gst_mnv3_roi_source_get_type (void);

G_END_DECLS

#endif /* __GST_MNV3_ENUMS_H__ */
