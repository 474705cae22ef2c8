/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The model an element runs: finding the file, loading it and its labels.
 * Failures are posted on @element as ERROR (WARNING for a label list of
 * the wrong length that an explicit label-offset maps), in the words users
 * see.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <dlfcn.h>

#include "gstmnv3model.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_model_debug);
#define GST_CAT_DEFAULT gst_mnv3_model_debug

#define DEFAULT_MODEL_NAME "mnv3-default.safetensors"

/* <build>/models when this plugin is the one in a meson build tree
 * (<build>/gst/libgstmnv3.so next to <build>/meson-private), else NULL: the
 * uninstalled plugin finds scripts/get-model's output without any absolute
 * build path compiled in. */
static gchar *
gst_mnv3_model_build_dir (void)
{
  Dl_info dl;
  gchar *gst_dir, *build, *private, *models = NULL;

  if (!dladdr ((gpointer) gst_mnv3_model_build_dir, &dl)
      || dl.dli_fname == NULL)
    return NULL;
  gst_dir = g_path_get_dirname (dl.dli_fname);
  build = g_path_get_dirname (gst_dir);
  private = g_build_filename (build, "meson-private", NULL);
  if (g_file_test (private, G_FILE_TEST_IS_DIR))
    models = g_build_filename (build, "models", NULL);
  g_free (private);
  g_free (build);
  g_free (gst_dir);
  return models;
}

/* Looks for DEFAULT_MODEL_NAME where an installed or freshly built project
 * keeps it. Returns a newly allocated path or NULL; @searched gets the list of
 * folders for the error message. */
static gchar *
gst_mnv3_model_find_default (GString * searched)
{
  const gchar *dirs[3];
  g_autofree gchar *build_dir = gst_mnv3_model_build_dir ();
  guint i;

  dirs[0] = g_getenv ("MNV3_MODEL_DIR");
#ifdef MNV3_DATADIR
  dirs[1] = MNV3_DATADIR;
#else
  dirs[1] = NULL;
#endif
  dirs[2] = build_dir;

  for (i = 0; i < G_N_ELEMENTS (dirs); i++) {
    gchar *path;

    if (dirs[i] == NULL || dirs[i][0] == '\0')
      continue;
    path = g_build_filename (dirs[i], DEFAULT_MODEL_NAME, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return path;
    g_free (path);
    g_string_append_printf (searched, "%s%s", searched->len ? ", " : "",
        dirs[i]);
  }
  return NULL;
}

/* The model to load: model-file, else the default model. NULL when there is
 * none (an ERROR is posted). */
static gchar *
gst_mnv3_model_path (GstElement * self, const gchar * model_file)
{
  GString *searched;
  gchar *path;

  if (model_file != NULL && model_file[0] != '\0')
    return g_strdup (model_file);

  searched = g_string_new (NULL);
  path = gst_mnv3_model_find_default (searched);
  if (path == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model: set the \"model-file\" property."),
        ("model-file is not set and no %s was found in %s; see "
            "models/README.md for how to convert one", DEFAULT_MODEL_NAME,
            searched->len ? searched->str : "(no folder configured)"));
  } else {
    GST_INFO_OBJECT (self, "model-file not set, using %s", path);
  }
  g_string_free (searched, TRUE);
  return path;
}

/* Loads the model at @data->path (FALSE: an ERROR is posted). */
static gboolean
gst_mnv3_model_load (GstElement * self, GstMnv3ModelData * data)
{
  GError *err = NULL;

  const gchar *path = data->path;

  data->model = mnv3_model_load (path, &err);
  if (data->model == NULL) {
    /* libmnv3 tells a missing file from one it cannot read */
    if (g_error_matches (err, MNV3_ERROR, MNV3_ERROR_NOT_FOUND))
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Model file \"%s\" not found.", path), ("%s", err->message));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not load model file \"%s\".", path), ("%s", err->message));
    g_clear_error (&err);
    return FALSE;
  }
  data->info = mnv3_model_get_info (data->model);
  GST_INFO_OBJECT (self, "loaded %s: arch %s, width %g, input %d, %d classes",
      path, data->info->arch_name, data->info->width, data->info->input_size,
      data->info->num_classes);
  return TRUE;
}

/* Sets @data's class_labels from @labels_file or the model's own labels (FALSE: an
 * ERROR is posted). */
static gboolean
gst_mnv3_model_load_labels (GstElement * self, GstMnv3ModelData * data,
    const gchar * labels_file, GstMnv3LabelOffset label_offset)
{
  gchar **file_labels = NULL, *problem = NULL;
  const gchar *const *labels = data->info->labels;
  guint num_classes = data->info->num_classes;
  guint applied_offset = 0;
  GError *err = NULL;

  if (labels_file != NULL && labels_file[0] != '\0') {
    file_labels = gst_mnv3_labels_load (labels_file, &err);
    if (file_labels == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("Could not read labels file \"%s\".", labels_file),
          ("%s", err->message));
      g_clear_error (&err);
      return FALSE;
    }
    labels = (const gchar * const *) file_labels;
  }

  data->class_labels = gst_mnv3_labels_map (labels, num_classes,
      label_offset, &applied_offset, &problem);
  /* label-offset=auto: a list whose length fits no mapping (num_classes,
   * or num_classes - 1 with a background output 0) is an ERROR rather than
   * wrong names; an explicit none/skip-background is the user's word, so a
   * mismatch is only a WARNING (missing names become "class N"). */
  if (problem != NULL && label_offset == GST_MNV3_LABEL_OFFSET_AUTO) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("The label list does not match the model: %u outputs, %u labels.",
            num_classes, g_strv_length ((gchar **) labels)),
        ("%s (%s): %s. Fix the list (one label per output, or one fewer "
            "when output 0 is background), or set label-offset=none or "
            "label-offset=skip-background to map it anyway.",
            file_labels ? labels_file : "labels embedded in", data->path,
            problem));
    g_free (problem);
    g_strfreev (file_labels);
    return FALSE;
  }
  if (problem != NULL) {
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("The label list does not match the model."),
        ("%s (%s): %s", file_labels ? labels_file : "labels embedded in",
            data->path, problem));
    g_free (problem);
  }
  if (applied_offset == 1 && label_offset == GST_MNV3_LABEL_OFFSET_AUTO) {
    GST_INFO_OBJECT (self, "model has %u outputs and %u labels: output 0 is "
        "\"background\", label N names output N+1 (label-offset=auto)",
        num_classes, num_classes - 1);
  }
  g_strfreev (file_labels);
  return TRUE;
}

/**
 * gst_mnv3_model_data_load:
 * @element: the element that reports failures
 * @model_file: (nullable): the model-file property; %NULL or "": the
 *     default model (DEFAULT_MODEL_NAME in $MNV3_MODEL_DIR, the installed
 *     data folder, the build tree)
 * @labels_file: (nullable): the labels-file property; %NULL or "": the
 *     model's own labels
 *
 * Returns: (nullable): the loaded model, or %NULL after posting an ERROR.
 */
GstMnv3ModelData *
gst_mnv3_model_data_load (GstElement * element, const gchar * model_file,
    const gchar * labels_file, GstMnv3LabelOffset label_offset)
{
  GstMnv3ModelData *data = g_new0 (GstMnv3ModelData, 1);
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_model_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
  data->path = gst_mnv3_model_path (element, model_file);
  if (data->path == NULL || !gst_mnv3_model_load (element, data)
      || !gst_mnv3_model_load_labels (element, data, labels_file, label_offset)) {
    gst_mnv3_model_data_free (data);
    return NULL;
  }
  return data;
}

void
gst_mnv3_model_data_free (GstMnv3ModelData * data)
{
  if (data == NULL)
    return;
  g_strfreev (data->class_labels);
  g_clear_pointer (&data->model, mnv3_model_free);
  g_free (data->path);
  g_free (data);
}
