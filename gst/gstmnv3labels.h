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

/**
 * GstMnv3ErrorCode:
 * @GST_MNV3_ERROR_LABELS_EMPTY: the file holds no label
 * @GST_MNV3_ERROR_LABELS_ENCODING: the file is not UTF-8 text (invalid
 *   UTF-8, or a NUL byte)
 * @GST_MNV3_ERROR_LABELS_NOT_REGULAR: a FIFO, device, socket or directory
 * @GST_MNV3_ERROR_LABELS_TOO_LARGE: larger than %GST_MNV3_LABELS_MAX_BYTES,
 *   or a label longer than %GST_MNV3_LABELS_MAX_LABEL_BYTES
 * @GST_MNV3_ERROR_LABELS_CHANGED: the file changed while it was read
 * @GST_MNV3_ERROR_LABELS_MISMATCH: the number of labels fits no mapping
 *   onto the model's outputs (gst_mnv3_labels_check())
 *
 * Codes of #GST_MNV3_ERROR. A file that cannot be opened or read is a
 * #G_FILE_ERROR instead (%G_FILE_ERROR_NOENT when it does not exist).
 */
typedef enum {
  GST_MNV3_ERROR_LABELS_EMPTY,
  GST_MNV3_ERROR_LABELS_ENCODING,
  GST_MNV3_ERROR_LABELS_NOT_REGULAR,
  GST_MNV3_ERROR_LABELS_TOO_LARGE,
  GST_MNV3_ERROR_LABELS_CHANGED,
  GST_MNV3_ERROR_LABELS_MISMATCH,
} GstMnv3ErrorCode;

/* Limits of a labels file (README, troubleshooting). */
#define GST_MNV3_LABELS_MAX_BYTES (16u << 20)
#define GST_MNV3_LABELS_MAX_LABEL_BYTES 4096u

gchar **  gst_mnv3_labels_load  (const gchar               *path,
                                 GError                   **error);

gchar **  gst_mnv3_labels_map   (const gchar * const        *labels,
                                 guint                      num_classes,
                                 GstMnv3LabelOffset         offset,
                                 guint                     *out_offset,
                                 gchar                    **problem);

gboolean  gst_mnv3_labels_check (guint                      n_labels,
                                 guint                      num_classes,
                                 GstMnv3LabelOffset         offset,
                                 GError                   **error);

G_END_DECLS

#endif /* __GST_MNV3_LABELS_H__ */
