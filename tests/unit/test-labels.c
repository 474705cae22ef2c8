/* Hostile labels files: empty lines, CRLF, no final newline, invalid UTF-8,
 * NUL bytes, 100k lines
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case states what the loader documents: a list with line N naming
 * class N, or a GError naming the file.
 */
#include <glib/gstdio.h>
#include <string.h>
#include "gstmnv3labels.h"

static gchar *
write_tmp (const char *data, gssize len)
{
  GError *error = NULL;
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("mnv3-labels-XXXXXX.txt", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, data, len, &error));
  return path;
}

static gchar **
load (const char *data, gssize len, GError ** error)
{
  gchar *path = write_tmp (data, len < 0 ? (gssize) strlen (data) : len);
  gchar **labels = gst_mnv3_labels_load (path, error);
  g_unlink (path);
  g_free (path);
  return labels;
}

static void
test_line_endings (void)
{
  GError *error = NULL;
  gchar **l = load ("cat\r\ndog\r\nbird", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (l), ==, 3);
  g_assert_cmpstr (l[0], ==, "cat");    /* CR stripped */
  g_assert_cmpstr (l[2], ==, "bird");   /* no final newline */
  g_strfreev (l);

  /* Empty lines in the middle keep their place; trailing ones go. */
  l = load ("a\n\nc\n\n\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (l), ==, 3);
  g_assert_cmpstr (l[1], ==, "");
  g_assert_cmpstr (l[2], ==, "c");
  g_strfreev (l);
}

static void
test_bad_text (void)
{
  GError *error = NULL;
  g_assert_null (load ("cat\n\xff\xfe\n", -1, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);

  /* A NUL byte is valid UTF-8 for the validator only with a length; the
   * loader must not be fooled into a short list or a crash. */
  gchar **l = load ("a\nb\0c\nd\n", 8, &error);
  if (l) {
    g_assert_cmpuint (g_strv_length (l), >=, 2);
    g_strfreev (l);
  } else {
    g_clear_error (&error);
  }

  g_assert_null (load ("", 0, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY);
  g_clear_error (&error);
  g_assert_null (load ("\n \n\t\n", -1, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_EMPTY);
  g_clear_error (&error);

  g_assert_null (gst_mnv3_labels_load ("/nonexistent/labels.txt", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);
}

static void
test_many_lines (void)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < 100000; i++)
    g_string_append_printf (s, "label %d\n", i);
  GError *error = NULL;
  gchar **l = load (s->str, (gssize) s->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (l), ==, 100000);
  g_assert_cmpstr (l[99999], ==, "label 99999");

  /* Mapped onto a 1001-output model: the first 1001 are used, no crash. */
  guint off = 7;
  gchar *problem = NULL;
  gchar **m = gst_mnv3_labels_map ((const gchar * const *) l, 1001,
      GST_MNV3_LABEL_OFFSET_AUTO, &off, &problem);
  g_assert_cmpuint (g_strv_length (m), ==, 1001);
  g_assert_nonnull (problem);   /* wrong length is reported */
  g_free (problem);
  g_strfreev (m);
  g_strfreev (l);
  g_string_free (s, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/line-endings", test_line_endings);
  g_test_add_func ("/labels/bad-text", test_bad_text);
  g_test_add_func ("/labels/many-lines", test_many_lines);
  return g_test_run ();
}
