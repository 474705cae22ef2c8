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
 * Read-only once loaded: no lock. A #Mnv3Model may be shared by several
 * graphs (each graph is used by one thread at a time).
 */
typedef struct {
  gchar                *path;
  Mnv3Model            *model;
  const Mnv3ModelInfo  *info;
  gchar               **class_labels;
} GstMnv3ModelData;

GstMnv3ModelData *gst_mnv3_model_data_load (GstElement         *element,
                                            const gchar        *model_file,
                                            const gchar        *labels_file,
                                            GstMnv3LabelOffset  label_offset);
void              gst_mnv3_model_data_free (GstMnv3ModelData   *data);

G_END_DECLS

#endif /* __GST_MNV3_MODEL_H__ */
