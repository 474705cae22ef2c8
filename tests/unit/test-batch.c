/* Sharing between graphs: packed weights, the thread pool, batch runs
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * - graphs of one model share the packed weights (the model's shared bytes
 *   do not grow with a second graph);
 * - eight graphs with the same thread count start no more pool threads
 *   than one;
 * - mnv3_graph_run_batch () of N graphs gives each graph exactly the logits
 *   of a run alone, for every fixture, kernel set this CPU has (as
 *   MNV3_KERNELS names them) and fuse mode, N = 1..5.
 */
#include <string.h>
#include "mnv3.h"
#include "mnv3-test.h"

static const char *kernel_sets[] = { "ref", "avx2", "avx512" };

static const char *fixtures[] = {
  "small-sym-f16", "large-sym-f32", "large-min-tfsame-f16",
  "small-min-tfsame-labels"
};

static Mnv3Model *
load_fixture (const char *name)
{
  gchar *base = g_strconcat (name, ".safetensors", NULL);
  gchar *path = g_path_is_absolute (name) ? g_strdup (name) :
      mnv3_test_fixture_path (base);
  GError *error = NULL;
  Mnv3Model *m = mnv3_model_load (path, &error);
  g_assert_no_error (error);
  g_free (path);
  g_free (base);
  return m;
}

static void
test_shared_weights (void)
{
  Mnv3Model *m = load_fixture ("small-sym-f16");
  Mnv3GraphOptions opt = { 1, "ref" };
  GError *error = NULL;

  g_assert_cmpuint (mnv3_model_get_shared_bytes (m), ==, 0);
  Mnv3Graph *a = mnv3_graph_new (m, &opt, &error);
  g_assert_no_error (error);
  size_t one = mnv3_model_get_shared_bytes (m);
  g_assert_cmpuint (one, >, 0);
  Mnv3Graph *b = mnv3_graph_new (m, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mnv3_model_get_shared_bytes (m), ==, one);
  /* the other fuse mode packs the same convolutions: nothing new */
  opt.fuse = MNV3_FUSE_ALL;
  Mnv3Graph *c = mnv3_graph_new (m, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mnv3_model_get_shared_bytes (m), ==, one);
  mnv3_graph_free (a);
  mnv3_graph_free (b);
  mnv3_graph_free (c);
  /* a second model has its own */
  Mnv3Model *m2 = load_fixture ("small-sym-f16");
  g_assert_cmpuint (mnv3_model_get_shared_bytes (m2), ==, 0);
  mnv3_model_free (m2);
  mnv3_model_free (m);
}

static void
test_shared_pool (void)
{
  Mnv3Model *m = load_fixture ("small-sym-f16");
  Mnv3GraphOptions opt = { 3, "ref" };
  Mnv3Graph *g[8];
  GError *error = NULL;
  int before = mnv3_get_pool_threads ();

  g[0] = mnv3_graph_new (m, &opt, &error);
  g_assert_no_error (error);
  int one = mnv3_get_pool_threads ();
  g_assert_cmpint (one, ==, before + 2);        /* the caller is the third */
  for (int i = 1; i < 8; i++) {
    g[i] = mnv3_graph_new (m, &opt, &error);
    g_assert_no_error (error);
  }
  g_assert_cmpint (mnv3_get_pool_threads (), ==, one);
  for (int i = 0; i < 8; i++)
    mnv3_graph_free (g[i]);
  g_assert_cmpint (mnv3_get_pool_threads (), ==, before);
  mnv3_model_free (m);
}

/* Deterministic pseudo-random input for image @seed. */
static void
fill_input (float *x, size_t n, guint32 seed)
{
  guint32 s = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = ((s >> 8) / (float) (1 << 24)) * 4.0f - 2.0f;
  }
}

static void
test_batch_equals_single (void)
{
  static const Mnv3Fuse fuses[] = { MNV3_FUSE_AUTO, MNV3_FUSE_ALL };
  enum
  { MAX_N = 5 };
  int checked = 0;

  /* MNV3_TEST_EXTRA_MODELS: absolute paths, ':' between them (by hand:
   * e.g. an integer-engine file converted from ../shared/data) */
  const char *extra = g_getenv ("MNV3_TEST_EXTRA_MODELS");
  gchar **extras = g_strsplit (extra ? extra : "", ":", -1);
  guint n_extra = g_strv_length (extras);
  for (guint f = 0; f < G_N_ELEMENTS (fixtures) + n_extra; f++) {
    const char *name = f < G_N_ELEMENTS (fixtures) ? fixtures[f] :
        extras[f - G_N_ELEMENTS (fixtures)];
    if (name[0] == '\0')
      continue;
    Mnv3Model *m = load_fixture (name);
    Mnv3GraphOptions probe = { 1, NULL };
    Mnv3Graph *pg = mnv3_graph_new (m, &probe, NULL);
    g_test_message ("%s: engine %s", name, mnv3_graph_get_engine (pg));
    mnv3_graph_free (pg);
    const Mnv3ModelInfo *info = mnv3_model_get_info (m);
    size_t n_in = (size_t) info->input_size * info->input_size * 3;
    for (guint ks = 0; ks < G_N_ELEMENTS (kernel_sets); ks++)
      for (guint fu = 0; fu < G_N_ELEMENTS (fuses); fu++) {
        Mnv3GraphOptions opt = { 2, kernel_sets[ks] };
        Mnv3Graph *g[MAX_N];
        float *single[MAX_N];
        GError *error = NULL;
        opt.fuse = fuses[fu];
        g[0] = mnv3_graph_new (m, &opt, &error);
        if (!g[0]) {
          g_test_message ("kernel set %s not available: %s",
              kernel_sets[ks], error->message);
          g_clear_error (&error);
          continue;
        }
        for (int i = 1; i < MAX_N; i++)
          g[i] = mnv3_graph_new (m, &opt, &error);
        /* the single runs, each image on graph 0 */
        for (int i = 0; i < MAX_N; i++) {
          fill_input (mnv3_graph_get_input (g[0]), n_in, i);
          single[i] = g_memdup2 (mnv3_graph_run (g[0]),
              info->num_classes * sizeof (float));
        }
        for (int n = 1; n <= MAX_N; n++) {
          /* image i on graph (i + n) % MAX_N: not the graph of the single
           * run, so stale arena contents would show */
          Mnv3Graph *batch[MAX_N];
          for (int i = 0; i < n; i++) {
            batch[i] = g[(i + n) % MAX_N];
            fill_input (mnv3_graph_get_input (batch[i]), n_in, i);
          }
          mnv3_graph_run_batch (batch, n);
          for (int i = 0; i < n; i++)
            g_assert_cmpmem (mnv3_graph_get_logits (batch[i]),
                info->num_classes * sizeof (float), single[i],
                info->num_classes * sizeof (float));
        }
        for (int i = 0; i < MAX_N; i++) {
          mnv3_graph_free (g[i]);
          g_free (single[i]);
        }
        checked++;
      }
    mnv3_model_free (m);
  }
  g_strfreev (extras);
  g_assert_cmpint (checked, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/batch/shared-weights", test_shared_weights);
  g_test_add_func ("/batch/shared-pool", test_shared_pool);
  g_test_add_func ("/batch/equals-single", test_batch_equals_single);
  return g_test_run ();
}
