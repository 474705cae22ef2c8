/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Label lists: reading a labels file and mapping labels to model outputs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gstmnv3labels.h"

/* Not G_DEFINE_QUARK: gst-indent would space its stringified name into
 * "gst - mnv3 - error - quark". */
GQuark
gst_mnv3_error_quark (void)
{
  return g_quark_from_static_string ("gst-mnv3-error-quark");
}

/* Reads a regular file of at most GST_MNV3_LABELS_MAX_BYTES. Opened
 * O_NONBLOCK so that a FIFO without a writer cannot block the open, then
 * refused by fstat; a file that changes while it is read is refused. */
static gchar *
read_regular_file (const gchar * path, gsize * len, GError ** error)
{
  struct stat before, after;
  gchar *buf = NULL;
  gsize got = 0, want;
  int fd;

  do {
    fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "Failed to open labels file \"%s\": %s", path, g_strerror (e));
    return NULL;
  }
  if (fstat (fd, &before) != 0) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "Failed to stat labels file \"%s\": %s", path, g_strerror (e));
    goto fail;
  }
  if (!S_ISREG (before.st_mode)) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_NOT_REGULAR,
        "Labels file \"%s\" is not a regular file (%s)", path,
        S_ISDIR (before.st_mode) ? "a directory" : S_ISFIFO (before.st_mode) ?
        "a FIFO" : S_ISCHR (before.st_mode) || S_ISBLK (before.st_mode) ?
        "a device" : "a socket or other special file");
    goto fail;
  }
  if (before.st_size < 0 || (guint64) before.st_size >
      GST_MNV3_LABELS_MAX_BYTES) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_TOO_LARGE,
        "Labels file \"%s\" is %" G_GINT64_FORMAT " bytes, more than the "
        "limit of %u bytes", path, (gint64) before.st_size,
        GST_MNV3_LABELS_MAX_BYTES);
    goto fail;
  }
  want = (gsize) before.st_size;
  buf = g_malloc (want + 1);
  /* one byte more than the size, to notice a file that grew */
  while (got < want + 1) {
    gssize r = read (fd, buf + got, want + 1 - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r < 0) {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
          "Failed to read labels file \"%s\": %s", path, g_strerror (e));
      goto fail;
    }
    if (r == 0)
      break;
    got += (gsize) r;
  }
  if (fstat (fd, &after) != 0 || got != want ||
      after.st_size != before.st_size || after.st_ino != before.st_ino ||
      after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
      after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_CHANGED,
        "Labels file \"%s\" changed while it was read", path);
    goto fail;
  }
  close (fd);
  buf[want] = '\0';
  *len = want;
  return buf;

fail:
  g_free (buf);
  close (fd);
  return NULL;
}

/**
 * gst_mnv3_labels_load:
 * @path: a text file, one label per line (UTF-8; "\n" or "\r\n" endings)
 * @error: return location for a #G_FILE_ERROR (cannot open or read) or a
 *   #GST_MNV3_ERROR
 *
 * Reads every line of @path as one label, in order. Surrounding whitespace is
 * stripped; a final newline does not add an empty label, but empty lines in
 * the middle are kept so that line N still names class N.
 *
 * Only a regular file of at most %GST_MNV3_LABELS_MAX_BYTES is read, with
 * labels of at most %GST_MNV3_LABELS_MAX_LABEL_BYTES; the text is validated,
 * not repaired: invalid UTF-8 or a NUL byte is an error.
 *
 * Returns: (transfer full): a %NULL-terminated list (g_strfreev()), or %NULL
 * with @error set naming the file.
 */
gchar **
gst_mnv3_labels_load (const gchar * path, GError ** error)
{
  gchar *contents;
  const gchar *bad, *nul;
  gsize len = 0;
  gchar **lines;
  guint n, i;

  contents = read_regular_file (path, &len, error);
  if (contents == NULL)
    return NULL;

  nul = memchr (contents, '\0', len);
  if (nul != NULL) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_ENCODING,
        "Labels file \"%s\" is not text: NUL byte at offset %" G_GSIZE_FORMAT,
        path, (gsize) (nul - contents));
    g_free (contents);
    return NULL;
  }
  if (!g_utf8_validate (contents, len, &bad)) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_ENCODING,
        "Labels file \"%s\" is not UTF-8 text (invalid byte at offset %"
        G_GSIZE_FORMAT ")", path, (gsize) (bad - contents));
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
  for (i = 0; i < n; i++) {
    g_strstrip (lines[i]);
    if (strlen (lines[i]) > GST_MNV3_LABELS_MAX_LABEL_BYTES) {
      g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_TOO_LARGE,
          "Labels file \"%s\": line %u is %" G_GSIZE_FORMAT " bytes long, "
          "more than the limit of %u bytes for one label", path, i + 1,
          strlen (lines[i]), GST_MNV3_LABELS_MAX_LABEL_BYTES);
      g_strfreev (lines);
      return NULL;
    }
  }

  if (n == 0) {
    g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY,
        "Labels file \"%s\" has no labels", path);
    g_strfreev (lines);
    return NULL;
  }
  return lines;
}

/**
 * gst_mnv3_labels_check:
 * @n_labels: lines in the labels file
 * @num_classes: outputs of the classifier
 * @offset: the mapping rule (the label-offset property)
 * @error: return location for a #GST_MNV3_ERROR_LABELS_MISMATCH
 *
 * Decides whether a label list can be used. With
 * %GST_MNV3_LABEL_OFFSET_AUTO the list must name every output
 * (@n_labels == @num_classes) or every output but background
 * (@n_labels + 1 == @num_classes); any other count is an error, since
 * guessing would put wrong names on results. An explicit offset is the
 * user saying how the list lines up: the list is accepted, and
 * gst_mnv3_labels_map() reports the mismatch as a problem (a warning).
 *
 * Returns: %TRUE when the list may be mapped.
 */
gboolean
gst_mnv3_labels_check (guint n_labels, guint num_classes,
    GstMnv3LabelOffset offset, GError ** error)
{
  if (offset != GST_MNV3_LABEL_OFFSET_AUTO || n_labels == num_classes ||
      (guint64) n_labels + 1 == num_classes)
    return TRUE;
  g_set_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_MISMATCH,
      "%u labels for a model with %u outputs: label-offset=auto expects %u "
      "(one per output) or %u (all but output 0, background); set "
      "label-offset=none or skip-background to use this list anyway",
      n_labels, num_classes, num_classes, num_classes ? num_classes - 1 : 0);
  return FALSE;
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
