/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mnv3publish element: writes classification results as JSON lines to a
 * file and to an MQTT broker.
 */
#ifndef __GST_MNV3_PUBLISH_H__
#define __GST_MNV3_PUBLISH_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_MNV3_PUBLISH (gst_mnv3_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstMnv3Publish, gst_mnv3_publish, GST, MNV3_PUBLISH,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (mnv3publish);

G_END_DECLS

#endif /* __GST_MNV3_PUBLISH_H__ */
