/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The model an element runs: the file (model-file or the default model),
 * the loaded libmnv3 model and its labels.
 */
#ifndef __GST_MNV3_MODEL_H__
#define __GST_MNV3_MODEL_H__

#include <gst/gst.h>

#include "mnv3.h"
#include "gstmnv3labels.h"

G_BEGIN_DECLS

/**
 * GstMnv3ModelData:
 * @path: the file loaded
 * @model: the libmnv3 model
 * @info: its description (owned by @model)
 * @class_labels: @info->num_classes labels, indexed by class id
 *
 * Read-only once loaded: no lock. Shared by every element of the process
 * that loads the same file (device, inode, size and modification time) with
 * the same labels-file and label-offset, or names the same
 * model-instance-id: one process-wide registry, reference counted. A
 * #Mnv3Model is shared by several graphs (each graph is used by one thread
 * at a time; their packed weights are shared too, libmnv3 keeps them in the
 * model).
 */
typedef struct {
  gchar                *path;
  Mnv3Model            *model;
  const Mnv3ModelInfo  *info;
  gchar               **class_labels;
  /*< private >*/
  gchar                *key;           /* in the registry */
  gint                  refs;          /* under the registry's lock */
} GstMnv3ModelData;

GstMnv3ModelData *gst_mnv3_model_data_load    (GstElement         *element,
                                               const gchar        *model_file,
                                               const gchar        *labels_file,
                                               GstMnv3LabelOffset  label_offset);
GstMnv3ModelData *gst_mnv3_model_data_acquire (GstElement         *element,
                                               const gchar        *model_file,
                                               const gchar        *labels_file,
                                               GstMnv3LabelOffset  label_offset,
                                               const gchar        *instance_id);
void              gst_mnv3_model_data_free    (GstMnv3ModelData   *data);
guint             gst_mnv3_model_registry_size (void);

G_END_DECLS

#endif /* __GST_MNV3_MODEL_H__ */
