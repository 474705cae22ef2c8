/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Label lists: reading a labels file and mapping labels to model outputs.
 */
#ifndef __GST_MNV3_LABELS_H__
#define __GST_MNV3_LABELS_H__

#include <glib.h>

G_BEGIN_DECLS

/**
 * GstMnv3LabelOffset:
 * @GST_MNV3_LABEL_OFFSET_AUTO: skip output 0 when the model has exactly one
 *   output more than there are labels (a 1001-class model with a 1000-line
 *   list), else map label N to output N
 * @GST_MNV3_LABEL_OFFSET_NONE: label N names output N
 * @GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND: output 0 is "background" and label N
 *   names output N + 1
 *
 * How a label list lines up with the classifier's outputs.
 */
typedef enum {
  GST_MNV3_LABEL_OFFSET_AUTO = 0,
  GST_MNV3_LABEL_OFFSET_NONE,
  GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND,
} GstMnv3LabelOffset;

#define GST_MNV3_ERROR (gst_mnv3_error_quark ())
GQuark gst_mnv3_error_quark (void);

typedef enum {
  GST_MNV3_ERROR_LABELS_EMPTY,
} GstMnv3ErrorCode;

gchar **  gst_mnv3_labels_load  (const gchar               *path,
                                 GError                   **error);

gchar **  gst_mnv3_labels_map   (const gchar * const        *labels,
                                 guint                      num_classes,
                                 GstMnv3LabelOffset         offset,
                                 guint                     *out_offset,
                                 gchar                    **problem);

G_END_DECLS

#endif /* __GST_MNV3_LABELS_H__ */
