/* Parity of libmnv3 with torchvision on the fixture models
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * For every fixture in tests/data/fixtures/fixtures.txt (written by
 * make-fixtures.py with PyTorch), every kernel set this CPU has and 1 and 2
 * threads: max |ours - torchvision| <= 1e-4 * max |torchvision| + 1e-5.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "mnv3.h"

static const char *kernel_sets[] = { "ref", "avx2", "avx512" };

typedef struct
{
  gchar *name;
  int input_size, num_classes, n_inputs;
} Fixture;

static gchar *fixtures_dir;

static void
test_fixture (gconstpointer data)
{
  const Fixture *fx = data;
  gchar *base = g_build_filename (fixtures_dir, fx->name, NULL);
  gchar *model_path = g_strconcat (base, ".safetensors", NULL);
  gchar *in_path = g_strconcat (base, ".input.f32", NULL);
  gchar *out_path = g_strconcat (base, ".logits.f32", NULL);
  gchar *inputs, *expected;
  gsize in_len, out_len;
  GError *error = NULL;

  Mnv3Model *m = mnv3_model_load (model_path, &error);
  g_assert_no_error (error);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  g_assert_cmpint (info->input_size, ==, fx->input_size);
  g_assert_cmpint (info->num_classes, ==, fx->num_classes);
  g_assert_true (g_file_get_contents (in_path, &inputs, &in_len, NULL));
  g_assert_true (g_file_get_contents (out_path, &expected, &out_len, NULL));
  size_t n_in = (size_t) fx->input_size * fx->input_size * 3;
  g_assert_cmpuint (in_len, ==, n_in * 4 * fx->n_inputs);
  g_assert_cmpuint (out_len, ==, (gsize) fx->num_classes * 4 * fx->n_inputs);

  /* Mnv3GraphOptions.fuse (MNV3_FUSE's values): the fixtures are too small
   * for the default to fuse any block; "all" fuses every block, one row per
   * band. */
  static const char *const fuse_modes[] = { "auto", "all", "off" };
  for (guint fm = 0; fm < G_N_ELEMENTS (fuse_modes); fm++)
    for (guint ks = 0; ks < G_N_ELEMENTS (kernel_sets); ks++) {
      for (int threads = 1; threads <= 3; threads++) {
        Mnv3GraphOptions opt = { threads, kernel_sets[ks] };
        opt.fuse = mnv3_fuse_from_string (fuse_modes[fm]);
        Mnv3Graph *g = mnv3_graph_new (m, &opt, &error);
        if (!g) {
          g_test_message ("%s: kernel set %s not available: %s", fx->name,
              kernel_sets[ks], error->message);
          g_clear_error (&error);
          continue;
        }
        for (int i = 0; i < fx->n_inputs; i++) {
          memcpy (mnv3_graph_get_input (g), inputs + i * n_in * 4, n_in * 4);
          const float *got = mnv3_graph_run (g);
          const float *want = (const float *) expected + i * fx->num_classes;
          float maxref = 0, maxdiff = 0;
          int worst = 0;
          for (int c = 0; c < fx->num_classes; c++)
            maxref = fmaxf (maxref, fabsf (want[c]));
          for (int c = 0; c < fx->num_classes; c++) {
            float d = fabsf (got[c] - want[c]);
            if (!(d <= maxdiff))
              worst = c;
            maxdiff = isnan (d) ? INFINITY : fmaxf (maxdiff, d);
          }
          float tol = 1e-4f * maxref + 1e-5f;
          g_test_message ("%s fuse=%s kernels=%s threads=%d input=%d: "
              "max|diff|=%.3g max|ref|=%.3g tol=%.3g", fx->name,
              fuse_modes[fm], kernel_sets[ks], threads, i, maxdiff, maxref,
              tol);
          if (!(maxdiff <= tol)) {
            g_printerr ("FAIL %s fuse=%s kernels=%s threads=%d input=%d class "
                "%d: got %.9g want %.9g (max|diff| %.3g > tol %.3g)\n",
                fx->name, fuse_modes[fm], kernel_sets[ks], threads, i, worst,
                got[worst], want[worst], maxdiff, tol);
            g_test_fail ();
          }
        }
        mnv3_graph_free (g);
      }
    }
  mnv3_model_free (m);
  g_free (inputs);
  g_free (expected);
  g_free (base);
  g_free (model_path);
  g_free (in_path);
  g_free (out_path);
}

static void
test_top_k (void)
{
  float v[] = { 0.1f, 0.7f, 0.7f, -1.0f, 0.3f, 0.9f };
  int idx[4];
  g_assert_cmpint (mnv3_top_k (v, 6, 4, idx), ==, 4);
  g_assert_cmpint (idx[0], ==, 5);
  g_assert_cmpint (idx[1], ==, 1);      /* ties: lower index first */
  g_assert_cmpint (idx[2], ==, 2);
  g_assert_cmpint (idx[3], ==, 4);
  g_assert_cmpint (mnv3_top_k (v, 2, 4, idx), ==, 2);
  float p[6];
  mnv3_softmax (v, p, 6);
  double sum = 0;
  for (int i = 0; i < 6; i++)
    sum += p[i];
  g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-6);
  g_assert_cmpfloat (p[5], >, p[1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *dir = g_getenv ("MNV3_FIXTURES");
  g_assert_nonnull (dir);
  fixtures_dir = g_build_filename (dir, "fixtures", NULL);
  gchar *list_path = g_build_filename (fixtures_dir, "fixtures.txt", NULL);
  gchar *list;
  GError *error = NULL;
  if (!g_file_get_contents (list_path, &list, NULL, &error))
    g_error ("cannot read %s: %s", list_path, error->message);
  gchar **lines = g_strsplit (list, "\n", -1);
  int n = 0;
  GPtrArray *all = g_ptr_array_new ();
  for (gchar ** l = lines; *l; l++) {
    gchar **f = g_strsplit_set (*l, " \t", -1);
    if (**l && **l != '#' && g_strv_length (f) >= 8) {
      Fixture *fx = g_new0 (Fixture, 1);
      fx->name = g_strdup (f[0]);
      fx->input_size = atoi (f[3]);
      fx->num_classes = atoi (f[5]);
      fx->n_inputs = atoi (f[6]);
      gchar *path = g_strdup_printf ("/graph/parity/%s", fx->name);
      g_test_add_data_func (path, fx, test_fixture);
      g_ptr_array_add (all, fx);
      g_free (path);
      n++;
    }
    g_strfreev (f);
  }
  g_assert_cmpint (n, >, 0);
  g_test_add_func ("/graph/top-k", test_top_k);
  int ret = g_test_run ();
  for (guint i = 0; i < all->len; i++) {
    Fixture *fx = g_ptr_array_index (all, i);
    g_free (fx->name);
    g_free (fx);
  }
  g_ptr_array_free (all, TRUE);
  g_strfreev (lines);
  g_free (list);
  g_free (list_path);
  g_free (fixtures_dir);
  return ret;
}
