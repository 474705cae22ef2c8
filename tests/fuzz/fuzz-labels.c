/* mnv3classify: fuzz tests
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the labels file reader (gst/gstmnv3labels.c): the
 * input is written to a memfd and loaded by path, then mapped onto a model
 * with a number of outputs taken from the data, with every offset rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "gstmnv3labels.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static int fd = -1;
static char path[64];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
write_all (const uint8_t * data, size_t size)
{
  if (fd < 0) {
    fd = memfd_create ("labels", MFD_CLOEXEC);
    if (fd < 0) {
      perror ("memfd_create");
      abort ();
    }
    snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate (fd, 0) != 0 || lseek (fd, 0, SEEK_SET) != 0)
    abort ();
  while (size > 0) {
    ssize_t w = write (fd, data, size);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      abort ();
    data += w;
    size -= (size_t) w;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GError *error = NULL;
  gchar **labels;

  write_all (data, size);
  labels = gst_mnv3_labels_load (path, &error);
  if (!labels) {
    if (!error || !error->message || !error->message[0])
      abort ();
    /* a memfd is a regular file: only content errors are possible */
    if (error->domain != GST_MNV3_ERROR ||
        (error->code != GST_MNV3_ERROR_LABELS_EMPTY &&
            error->code != GST_MNV3_ERROR_LABELS_ENCODING &&
            error->code != GST_MNV3_ERROR_LABELS_TOO_LARGE))
      abort ();
    g_error_free (error);
    return 0;
  }
  if (error || !labels[0])
    abort ();

  guint n = g_strv_length (labels);
  for (guint i = 0; i < n; i++) {
    /* stripped, valid UTF-8, no line breaks left, within the limit */
    if (!g_utf8_validate (labels[i], -1, NULL) || strchr (labels[i], '\n') ||
        strlen (labels[i]) > GST_MNV3_LABELS_MAX_LABEL_BYTES)
      abort ();
  }
  /* Map onto models with as many outputs as labels, one more, one fewer and
   * a count taken from the first byte. */
  guint counts[4] = { n, n + 1, n ? n - 1 : 0, size ? data[0] : 0 };
  for (guint c = 0; c < G_N_ELEMENTS (counts); c++) {
    for (int off = GST_MNV3_LABEL_OFFSET_AUTO;
        off <= GST_MNV3_LABEL_OFFSET_SKIP_BACKGROUND; off++) {
      GError *check_error = NULL;
      gboolean fits = gst_mnv3_labels_check (n, counts[c], off, &check_error);
      if (fits != (check_error == NULL) || (!fits &&
              (off != GST_MNV3_LABEL_OFFSET_AUTO ||
                  n == counts[c] || n + 1 == counts[c])))
        abort ();
      g_clear_error (&check_error);
      guint applied = 99;
      gchar *problem = NULL;
      gchar **map = gst_mnv3_labels_map ((const gchar * const *) labels,
          counts[c], off, &applied, &problem);
      if (g_strv_length (map) != counts[c] || applied > 1)
        abort ();
      g_strfreev (map);
      g_free (problem);
    }
  }
  g_strfreev (labels);
  return 0;
}
