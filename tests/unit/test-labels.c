/* Hostile labels files: empty lines, CRLF, no final newline, invalid UTF-8,
 * NUL bytes, 100k lines
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case states what the loader documents: a list with line N naming
 * class N, or a GError naming the file.
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
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
  /* its own code: "empty" was used for this too (issue 18) */
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_ENCODING);
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
  /* ... and it is refused, naming the NUL (issue 16 class 15) */
  g_assert_null (load ("a\nb\0c\nd\n", 8, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_ENCODING);
  g_assert_nonnull (strstr (error->message, "NUL byte at offset 3"));
  g_clear_error (&error);

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

/* Issue 16 class 10: invalid UTF-8 is refused (validated, not repaired),
 * whatever the position, with the offset of the first bad byte. */
static void
test_invalid_utf8 (void)
{
  static const char *const bad[] = {
    "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GError *error = NULL;
    gchar *text = g_strdup_printf ("cat\ndog %s\nbird\n", bad[i]);
    g_assert_null (load (text, -1, &error));
    g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_ENCODING);
    g_assert_nonnull (strstr (error->message, "offset 8"));
    g_clear_error (&error);
    g_free (text);
  }
}

/* Issue 16 class 5: FIFOs, devices and directories are refused at once
 * (no hang, no endless read), and so are oversized files and labels. */
static void
test_special_files (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("mnv3-labels-XXXXXX", &error);
  g_assert_no_error (error);
  gchar *fifo = g_build_filename (dir, "fifo", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);

  /* No writer: a blocking open would hang here forever. */
  g_assert_null (gst_mnv3_labels_load (fifo, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_NOT_REGULAR);
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_clear_error (&error);

  g_assert_null (gst_mnv3_labels_load ("/dev/zero", &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_NOT_REGULAR);
  g_clear_error (&error);
  g_assert_null (gst_mnv3_labels_load (dir, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* 16 MiB + 1 byte: refused before reading (sparse file). */
  gchar *big = g_build_filename (dir, "big.txt", NULL);
  FILE *f = fopen (big, "w");
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), GST_MNV3_LABELS_MAX_BYTES + 1), ==,
      0);
  fclose (f);
  g_assert_null (gst_mnv3_labels_load (big, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_TOO_LARGE);
  g_clear_error (&error);

  /* One label of 4097 bytes. */
  gchar *long_label = g_strnfill (GST_MNV3_LABELS_MAX_LABEL_BYTES + 1, 'x');
  gchar *text = g_strconcat ("cat\n", long_label, "\n", NULL);
  g_assert_null (load (text, -1, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_TOO_LARGE);
  g_assert_nonnull (strstr (error->message, "line 2"));
  g_clear_error (&error);
  long_label[GST_MNV3_LABELS_MAX_LABEL_BYTES] = '\0';
  g_free (text);
  text = g_strconcat ("cat\n", long_label, "\n", NULL);
  gchar **l = load (text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (l[1]), ==, GST_MNV3_LABELS_MAX_LABEL_BYTES);
  g_strfreev (l);

  g_unlink (big);
  g_unlink (fifo);
  g_rmdir (dir);
  g_free (text);
  g_free (long_label);
  g_free (big);
  g_free (fifo);
  g_free (dir);
}

/* Issue 12: a count that fits no mapping is an error under auto; an
 * explicit offset accepts it (the map then reports the problem). */
static void
test_check (void)
{
  GError *error = NULL;
  g_assert_true (gst_mnv3_labels_check (1000, 1000,
          GST_MNV3_LABEL_OFFSET_AUTO, &error));
  g_assert_true (gst_mnv3_labels_check (1000, 1001,
          GST_MNV3_LABEL_OFFSET_AUTO, &error));
  g_assert_no_error (error);
  g_assert_false (gst_mnv3_labels_check (999, 1001,
          GST_MNV3_LABEL_OFFSET_AUTO, &error));
  g_assert_error (error, GST_MNV3_ERROR, GST_MNV3_ERROR_LABELS_MISMATCH);
  g_assert_nonnull (strstr (error->message, "999 labels"));
  g_clear_error (&error);
  g_assert_false (gst_mnv3_labels_check (1002, 1001,
          GST_MNV3_LABEL_OFFSET_AUTO, &error));
  g_clear_error (&error);
  g_assert_true (gst_mnv3_labels_check (3, 1001,
          GST_MNV3_LABEL_OFFSET_NONE, &error));
  g_assert_true (gst_mnv3_labels_check (3, 1001,
          GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/line-endings", test_line_endings);
  g_test_add_func ("/labels/bad-text", test_bad_text);
  g_test_add_func ("/labels/many-lines", test_many_lines);
  g_test_add_func ("/labels/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/labels/special-files", test_special_files);
  g_test_add_func ("/labels/check", test_check);
  return g_test_run ();
}
