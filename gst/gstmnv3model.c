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
#include <glib/gstdio.h>

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

/* Posts the ERROR for a labels file that failed: not found, cannot be
 * opened (or is no regular file), does not match the model, bad content. */
static void
gst_mnv3_model_labels_error (GstElement * self, const gchar * labels_file,
    const GError * err)
{
  if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Labels file \"%s\" not found.", labels_file), ("%s", err->message));
  else if (err->domain == G_FILE_ERROR ||
      g_error_matches (err, GST_MNV3_ERROR,
          GST_MNV3_ERROR_LABELS_NOT_REGULAR) ||
      g_error_matches (err, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_CHANGED))
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read labels file \"%s\".", labels_file),
        ("%s", err->message));
  else if (g_error_matches (err, GST_MNV3_ERROR,
          GST_MNV3_ERROR_LABELS_MISMATCH))
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("The labels file \"%s\" does not match the model.", labels_file),
        ("%s", err->message));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, READ,
        ("Labels file \"%s\" is not a usable label list.", labels_file),
        ("%s", err->message));
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
    if (file_labels == NULL || !gst_mnv3_labels_check (g_strv_length
            (file_labels), num_classes, label_offset, &err)) {
      gst_mnv3_model_labels_error (self, labels_file, err);
      g_clear_error (&err);
      g_strfreev (file_labels);
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

/* The process-wide registry of loaded models: key -> GstMnv3ModelData. A
 * load holds the lock (loads are rare; two elements asking for one file at
 * once then load it once). */
static GMutex registry_lock;
static GHashTable *registry;

static void
gst_mnv3_model_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_model_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
}

/* The registry key of @path: its identity on disk (NULL if it cannot be
 * stat'ed: the load then reports why), or @instance_id; plus what shapes the
 * labels. */
static gchar *
gst_mnv3_model_key (const gchar * path, const gchar * labels_file,
    GstMnv3LabelOffset label_offset, const gchar * instance_id)
{
  GStatBuf st;

  if (instance_id != NULL && instance_id[0] != '\0')
    return g_strdup_printf ("id:%s|labels:%s|offset:%d", instance_id,
        labels_file ? labels_file : "", (gint) label_offset);
  if (g_stat (path, &st) != 0)
    return NULL;
  return g_strdup_printf ("file:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
      ":%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT "|labels:%s|offset:%d",
      (guint64) st.st_dev, (guint64) st.st_ino, (gint64) st.st_size,
      (gint64) st.st_mtime, labels_file ? labels_file : "",
      (gint) label_offset);
}

static void
gst_mnv3_model_data_destroy (GstMnv3ModelData * data)
{
  g_strfreev (data->class_labels);
  g_clear_pointer (&data->model, mnv3_model_free);
  g_free (data->path);
  g_free (data->key);
  g_free (data);
}

/**
 * gst_mnv3_model_data_acquire:
 * @element: the element that reports failures
 * @model_file: (nullable): the model-file property; %NULL or "": the
 *     default model (DEFAULT_MODEL_NAME in $MNV3_MODEL_DIR, the installed
 *     data folder, the build tree)
 * @labels_file: (nullable): the labels-file property; %NULL or "": the
 *     model's own labels
 * @instance_id: (nullable): the model-instance-id property: elements naming
 *     the same id share one model (the first one's file); %NULL or "": the
 *     file's identity decides
 *
 * Returns: (nullable): the model, shared with every element that acquired
 * the same one (release with gst_mnv3_model_data_free ()), or %NULL after
 * posting an ERROR. Label warnings are posted by the element that loads.
 */
GstMnv3ModelData *
gst_mnv3_model_data_acquire (GstElement * element, const gchar * model_file,
    const gchar * labels_file, GstMnv3LabelOffset label_offset,
    const gchar * instance_id)
{
  GstMnv3ModelData *data;
  gchar *path, *key;

  gst_mnv3_model_debug_init ();
  path = gst_mnv3_model_path (element, model_file);
  if (path == NULL)
    return NULL;
  if (labels_file != NULL && labels_file[0] == '\0')
    labels_file = NULL;
  key = gst_mnv3_model_key (path, labels_file, label_offset, instance_id);

  g_mutex_lock (&registry_lock);
  data = key && registry ? g_hash_table_lookup (registry, key) : NULL;
  if (data != NULL && instance_id != NULL && g_strcmp0 (data->path, path)) {
    GST_WARNING_OBJECT (element, "model-instance-id \"%s\" is %s, not %s: "
        "using %s", instance_id, data->path, path, data->path);
  }
  if (data != NULL) {
    data->refs++;
    g_mutex_unlock (&registry_lock);
    GST_INFO_OBJECT (element, "sharing the loaded model %s (%d users)",
        data->path, data->refs);
    g_free (key);
    g_free (path);
    return data;
  }

  data = g_new0 (GstMnv3ModelData, 1);
  data->path = path;
  data->refs = 1;
  if (!gst_mnv3_model_load (element, data)
      || !gst_mnv3_model_load_labels (element, data, labels_file, label_offset)) {
    g_mutex_unlock (&registry_lock);
    g_free (key);
    gst_mnv3_model_data_destroy (data);
    return NULL;
  }
  if (key != NULL) {
    if (registry == NULL)
      registry = g_hash_table_new (g_str_hash, g_str_equal);
    data->key = key;
    g_hash_table_insert (registry, data->key, data);
  }
  g_mutex_unlock (&registry_lock);
  return data;
}

/**
 * gst_mnv3_model_data_load:
 *
 * gst_mnv3_model_data_acquire () without a model-instance-id.
 */
GstMnv3ModelData *
gst_mnv3_model_data_load (GstElement * element, const gchar * model_file,
    const gchar * labels_file, GstMnv3LabelOffset label_offset)
{
  return gst_mnv3_model_data_acquire (element, model_file, labels_file,
      label_offset, NULL);
}

/**
 * gst_mnv3_model_data_free:
 *
 * Releases the caller's reference; the last one frees the model.
 */
void
gst_mnv3_model_data_free (GstMnv3ModelData * data)
{
  if (data == NULL)
    return;
  g_mutex_lock (&registry_lock);
  g_assert (data->refs > 0);
  if (--data->refs > 0) {
    g_mutex_unlock (&registry_lock);
    return;
  }
  if (data->key != NULL)
    g_hash_table_remove (registry, data->key);
  g_mutex_unlock (&registry_lock);
  gst_mnv3_model_data_destroy (data);
}

/* Models loaded in the process (tests). */
guint
gst_mnv3_model_registry_size (void)
{
  guint n;

  g_mutex_lock (&registry_lock);
  n = registry ? g_hash_table_size (registry) : 0;
  g_mutex_unlock (&registry_lock);
  return n;
}
