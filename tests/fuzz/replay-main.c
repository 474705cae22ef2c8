/* mnv3classify: fuzz tests
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs a fuzz target (LLVMFuzzerTestOneInput) over files without libFuzzer:
 * each argument is a file or a folder of files (not recursive). Used by the
 * regression tests, which replay tests/fuzz/regressions and the seed corpus
 * under the normal build (and under sanitizers / valgrind).
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static int
run_file (const char *path)
{
  gchar *contents;
  gsize len;
  GError *error = NULL;

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    fprintf (stderr, "%s\n", error->message);
    g_error_free (error);
    return 1;
  }
  printf ("%s (%zu bytes)\n", path, (size_t) len);
  fflush (stdout);
  /* An exact-size copy, so that reads past the end are caught. */
  guint8 *copy = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (copy, len);
  g_free (copy);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  int files = 0, failed = 0;

  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open (argv[i], 0, NULL);
      const char *name;
      GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
      while (dir && (name = g_dir_read_name (dir)))
        if (name[0] != '.' && !g_str_has_suffix (name, ".md"))
          g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      if (dir)
        g_dir_close (dir);
      g_ptr_array_sort (names, compare_paths);
      for (guint j = 0; j < names->len; j++, files++)
        failed += run_file (g_ptr_array_index (names, j));
      g_ptr_array_unref (names);
    } else {
      failed += run_file (argv[i]);
      files++;
    }
  }
  printf ("replayed %d files, %d unreadable\n", files - failed, failed);
  if (files == 0) {
    printf ("no input files\n");
    return 1;
  }
  return failed ? 1 : 0;
}
