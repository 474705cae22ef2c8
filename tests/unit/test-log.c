/* libmnv3: the log callback (mnv3_set_log_func) and the fuse graph option
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>

#include "mnv3.h"
#include "mnv3-test.h"

#define FIXTURE_MODEL "large-sym-f32.safetensors"

typedef struct
{
  GPtrArray *messages;
  GLogLevelFlags last_level;
} Caught;

static void
catch_log (GLogLevelFlags level, const char *message, void *user_data)
{
  Caught *c = user_data;

  g_ptr_array_add (c->messages, g_strdup (message));
  c->last_level = level;
}

static gboolean
caught (const Caught * c, const char *prefix)
{
  for (guint i = 0; i < c->messages->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (c->messages, i), prefix))
      return TRUE;
  return FALSE;
}

/* the loader's and the graph's messages reach the callback, formatted;
 * with NULL they go back to g_log (and no longer to the callback) */
static void
test_log_func (void)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  Caught c = { g_ptr_array_new_with_free_func (g_free), 0 };
  Mnv3GraphOptions options = { 1, NULL };
  GError *error = NULL;
  Mnv3Model *m;
  Mnv3Graph *g;

  mnv3_set_log_func (catch_log, &c);
  m = mnv3_model_load (path, &error);
  g_assert_no_error (error);
  g = mnv3_graph_new (m, &options, &error);
  g_assert_no_error (error);
  g_assert_true (caught (&c, "loaded "));
  g_assert_true (caught (&c, "graph: "));
  g_assert_true (c.last_level == G_LOG_LEVEL_DEBUG);
  mnv3_graph_free (g);

  mnv3_set_log_func (NULL, NULL);
  g_ptr_array_set_size (c.messages, 0);
  g = mnv3_graph_new (m, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 0);
  mnv3_graph_free (g);
  mnv3_model_free (m);
  g_ptr_array_unref (c.messages);
  g_free (path);
}

/* the option, not the environment, decides: MNV3_FUSE set to a value that
 * would change nothing on these small maps is ignored, and the three
 * values give the same logits */
static void
test_fuse_option (void)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  const Mnv3Fuse modes[] = { MNV3_FUSE_AUTO, MNV3_FUSE_OFF, MNV3_FUSE_ALL };
  float *ref = NULL;
  GError *error = NULL;
  Mnv3Model *m = mnv3_model_load (path, &error);
  const Mnv3ModelInfo *info;
  size_t n_in;

  g_assert_no_error (error);
  info = mnv3_model_get_info (m);
  n_in = (size_t) info->input_size * info->input_size * 3;
  g_assert_cmpint (mnv3_fuse_from_string (NULL), ==, MNV3_FUSE_AUTO);
  g_assert_cmpint (mnv3_fuse_from_string ("off"), ==, MNV3_FUSE_OFF);
  g_assert_cmpint (mnv3_fuse_from_string ("all"), ==, MNV3_FUSE_ALL);
  g_assert_cmpint (mnv3_fuse_from_string ("bogus"), ==, MNV3_FUSE_AUTO);

  g_setenv ("MNV3_FUSE", "bogus", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++) {
    Mnv3GraphOptions options = { 1, "ref" };
    Mnv3Graph *g;
    const float *out;

    options.fuse = modes[i];
    g = mnv3_graph_new (m, &options, &error);
    g_assert_no_error (error);
    for (size_t j = 0; j < n_in; j++)
      mnv3_graph_get_input (g)[j] = (float) ((j * 7919) % 255) / 255.0f - 0.5f;
    out = mnv3_graph_run (g);
    if (ref == NULL) {
      ref = g_memdup2 (out, info->num_classes * sizeof (float));
    } else {
      for (int k = 0; k < info->num_classes; k++)
        g_assert_cmpfloat_with_epsilon (out[k], ref[k],
            1e-4 + 1e-4 * fabsf (ref[k]));
    }
    mnv3_graph_free (g);
  }
  g_unsetenv ("MNV3_FUSE");
  g_free (ref);
  mnv3_model_free (m);
  g_free (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/log/func", test_log_func);
  g_test_add_func ("/graph/fuse-option", test_fuse_option);
  return g_test_run ();
}
