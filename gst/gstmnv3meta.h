/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The result written out: the Mnv3Classification custom meta, the ROI meta
 * and the element message, all from one view of the classification result.
 */
#ifndef __GST_MNV3_META_H__
#define __GST_MNV3_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3result.h"
#include "mnv3classify-meta.h"

G_BEGIN_DECLS



void            gst_mnv3_meta_register     (void);

void            gst_mnv3_meta_add          (GstBuffer                    *buffer,
                                            const GstMnv3ResultView      *result,
                                            const gchar                  *attribute,
                                            gboolean                      add_roi);

void            gst_mnv3_meta_add_to_roi   (GstBuffer                    *buffer,
                                            GstVideoRegionOfInterestMeta *rmeta,
                                            const GstMnv3ResultView      *result,
                                            const gchar                  *attribute);

void            gst_mnv3_meta_set_arrays   (const GstMnv3ResultView      *result,
                                            GstStructure                 *s,
                                            gboolean                      labels_as_strv);

void            gst_mnv3_meta_post_message (GstElement                   *element,
                                            const GstMnv3ResultView      *result,
                                            GstClockTime                  pts,
                                            GstClockTime                  running_time,
                                            gint                          roi_index,
                                            guint                         n_rois);

G_END_DECLS

#endif /* __GST_MNV3_META_H__ */
