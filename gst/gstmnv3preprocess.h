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

/**
 * GST_MNV3_PREPROCESS_FORMATS:
 *
 * The raw video formats gst_mnv3_preprocess_run() reads directly, as a caps
 * format list (the element's pad templates use it; the test list in
 * tests/preprocess/test-formats.h names the same formats). The 16-bit ones
 * are read on little-endian hosts only.
 */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define GST_MNV3_PREPROCESS_FORMATS_16 ", I420_10LE, I422_10LE, Y444_10LE, " \
    "I420_12LE, I422_12LE, Y444_12LE, P010_10LE, GRAY16_LE"
#else
#define GST_MNV3_PREPROCESS_FORMATS_16 ""
#endif
#define GST_MNV3_PREPROCESS_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, " \
    "RGBA, BGRA, ARGB, ABGR, I420, YV12, NV12, NV21, YUY2, UYVY, GRAY8, " \
    "Y42B, Y444, Y41B, NV16, NV24, YVYU, v308, IYU2, AYUV, GBR" \
    GST_MNV3_PREPROCESS_FORMATS_16 " }"

/**
 * GST_MNV3_PREPROCESS_CAPS:
 *
 * The element's pad caps: the formats it reads first, then any other raw
 * video, so that an unreadable format reaches set_info and fails there with
 * an error naming the element and the format (instead of a bare
 * not-negotiated from upstream). Negotiation still prefers the first
 * structure: upstream gets an unreadable format only when it offers nothing
 * else.
 */
#define GST_MNV3_PREPROCESS_CAPS \
    GST_VIDEO_CAPS_MAKE (GST_MNV3_PREPROCESS_FORMATS) "; video/x-raw"

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

gboolean           gst_mnv3_preprocess_run      (GstMnv3Preprocess * pp,
                                                 const GstVideoFrame * frame,
                                                 const GstVideoRectangle * region,
                                                 gfloat * out,
                                                 GstVideoRectangle * used);

const gchar       *gst_mnv3_preprocess_get_path (GstMnv3Preprocess * pp);

gboolean           gst_mnv3_preprocess_format_supported (GstVideoFormat format);

G_END_DECLS

#endif /* __GST_MNV3_PREPROCESS_H__ */
