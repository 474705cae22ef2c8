/* mnv3classify: GstVideoFrame to normalized NHWC input tensor
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Crop, antialiased (area-averaging) resize, colour conversion to RGB and
 * mean/std normalization of a raw video frame into the model's input tensor.
 */
#ifndef __GST_MNV3_PREPROCESS_H__
#define __GST_MNV3_PREPROCESS_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

/**
 * GstMnv3CropMode:
 * @GST_MNV3_CROP_CENTER: the largest centred square of the region
 * @GST_MNV3_CROP_STRETCH: the whole region, aspect ratio not kept
 * @GST_MNV3_CROP_LETTERBOX: the whole region scaled to fit, aspect ratio
 *     kept, the rest filled with black
 *
 * Which part of the region feeds the model.
 */
typedef enum {
  GST_MNV3_CROP_CENTER = 0,
  GST_MNV3_CROP_STRETCH,
  GST_MNV3_CROP_LETTERBOX
} GstMnv3CropMode;

typedef struct _GstMnv3Preprocess GstMnv3Preprocess;

GstMnv3Preprocess *gst_mnv3_preprocess_new      (void);
void               gst_mnv3_preprocess_free     (GstMnv3Preprocess * pp);

gboolean           gst_mnv3_preprocess_set_info (GstMnv3Preprocess * pp,
                                                 const GstVideoInfo * info,
                                                 gint out_size,
                                                 const gfloat mean[3],
                                                 const gfloat std[3],
                                                 GstMnv3CropMode mode,
                                                 gboolean use_orc);

void               gst_mnv3_preprocess_run      (GstMnv3Preprocess * pp,
                                                 const GstVideoFrame * frame,
                                                 const GstVideoRectangle * region,
                                                 gfloat * out,
                                                 GstVideoRectangle * used);

const gchar       *gst_mnv3_preprocess_get_path (GstMnv3Preprocess * pp);

gboolean           gst_mnv3_preprocess_format_supported (GstVideoFormat format);

G_END_DECLS

#endif /* __GST_MNV3_PREPROCESS_H__ */
