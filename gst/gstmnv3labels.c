/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Label lists: reading a labels file and mapping labels to model outputs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstmnv3labels.h"

/* Not G_DEFINE_QUARK: gst-indent would space its stringified name into
 * "gst - mnv3 - error - quark". */
GQuark
gst_mnv3_error_quark (void)
{
  return g_quark_from_static_string ("gst-mnv3-error-quark");
}

/**
 * gst_mnv3_labels_load:
 * @path: a text file, one label per line (UTF-8; "\n" or "\r\n" endings)
 * @error: return location for a #G_FILE_ERROR or #GST_MNV3_ERROR
 *
 * Reads every line of @path as one label, in order. Surrounding whitespace is
 * stripped; a final newline does not add an empty label, but empty lines in
 * the middle are kept so that line N still names class N.
 *
 * Returns: (transfer full): a %NULL-terminated list (g_strfreev()), or %NULL
 * with @error set naming the file.
 */
gchar **
gst_mnv3_labels_load (const gchar * path, GError ** error)
{
  gchar *contents = NULL;
  gsize len = 0;
  gchar **lines;
  guint n, i;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;

  if (!g_utf8_validate (contents, len, NULL)) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY,
        "Labels file \"%s\" is not UTF-8 text", path);
    g_free (contents);
    return NULL;
  }

  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);

  n = g_strv_length (lines);
  /* drop trailing empty lines (the final newline and blank lines at EOF) */
  while (n > 0 && g_strstrip (lines[n - 1])[0] == '\0') {
    g_free (lines[n - 1]);
    lines[n - 1] = NULL;
    n--;
  }
  for (i = 0; i < n; i++)
    g_strstrip (lines[i]);

  if (n == 0) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY,
        "Labels file \"%s\" has no labels", path);
    g_strfreev (lines);
    return NULL;
  }
  return lines;
}

/**
 * gst_mnv3_labels_map:
 * @labels: (nullable): the label list, or %NULL for none
 * @num_classes: outputs of the classifier
 * @offset: the mapping rule
 * @out_offset: (out) (optional): the offset applied (0 or 1)
 * @problem: (out) (optional): set to a newly allocated sentence when the list
 *   does not fit the model (wrong number of labels), else %NULL
 *
 * Builds one label per model output. With offset 1, output 0 is
 * "background" and label N names output N + 1. Outputs without a label (the
 * list is too short, or there is no list) are named by their class number
 * ("class 17"); labels beyond the last output are ignored.
 *
 * Returns: (transfer full): @num_classes strings, %NULL-terminated.
 */
gchar **
gst_mnv3_labels_map (const gchar * const *labels, guint num_classes,
    GstMnv3LabelOffset offset, guint * out_offset, gchar ** problem)
{
  guint n_labels = labels ? g_strv_length ((gchar **) labels) : 0;
  guint off = 0, i;
  gchar **map;

  if (problem)
    *problem = NULL;

  switch (offset) {
    case GST_MNV3_LABEL_OFFSET_AUTO:
      off = (labels && n_labels + 1 == num_classes) ? 1 : 0;
      break;
    case GST_MNV3_LABEL_OFFSET_NONE:
      off = 0;
      break;
    case GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND:
      off = num_classes > 0 ? 1 : 0;
      break;
  }

  if (labels && problem && n_labels + off != num_classes) {
    *problem = g_strdup_printf ("%u labels for a model with %u outputs "
        "(label offset %u): %s", n_labels, num_classes, off,
        n_labels + off < num_classes ?
        "outputs without a label are named by their class number" :
        "the extra labels are ignored");
  }

  map = g_new0 (gchar *, num_classes + 1);
  for (i = 0; i < num_classes; i++) {
    if (off == 1 && i == 0)
      map[i] = g_strdup ("background");
    else if (labels && i - off < n_labels)
      map[i] = g_strdup (labels[i - off]);
    else
      map[i] = g_strdup_printf ("class %u", i);
  }

  if (out_offset)
    *out_offset = off;
  return map;
}
