/* TFLite activation-quantization emulation: kernels, mnv3.act_quant
 * metadata, graph
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * 1. The reference kernels (quant, add, cscale, qgap) against values worked
 *    out by hand, ties included (half to even).
 * 2. mnv3.act_quant on the small-sym-f16 fixture (small: SE, h-swish,
 *    residual adds), written into its header here: a valid one loads; wrong
 *    counts, unknown or missing points, bad scales, zero points and garbage
 *    are refused with MNV3_ERROR_METADATA naming the key.
 * 3. The emulating graph on that fixture, every kernel set: 1/1024 grids
 *    give torchvision's logits within 3% of max |logit| (rounding errors
 *    compound through 11 blocks of random weights: 1/64 -> 1.15, 1/256 ->
 *    0.63, 1/1024 -> 0.08 of max 4.8), a coarse 0.25 logits grid puts every
 *    logit on it and moves it by at most half a step, float_activations
 *    ignores the grids.
 */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include "mnv3.h"
#include "kernels.h"

#define FIXTURE "small-sym-f16"
#define SIZE 96
#define CLASSES 7
#define WIDTH 0.2

static gchar *fixtures_dir;

/* ---- 1. kernels ---- */

static void
test_kernel_quant (void)
{
  const struct mnv3_qgrid q = { 0.5f, 3.0f, 0.0f, 255.0f };
  /* x -> x / 0.5, half to even, clamped to [0 - 3, 255 - 3], times 0.5 */
  static const float in[] = { 0.25f, 0.75f, -0.25f, -0.75f, -5.0f, 200.0f,
    1.3f, 1.25f
  };
  static const float want[] = { 0.0f, 1.0f, 0.0f, -1.0f, -1.5f, 126.0f,
    1.5f, 1.0f
  };
  float out[G_N_ELEMENTS (in)];
  struct mnv3_quant_params p = { G_N_ELEMENTS (in), MNV3_ACT_NONE, 1.0f,
    0.0f, q
  };
  mnv3_f32_quant__ref (in, out, &p);
  for (guint i = 0; i < G_N_ELEMENTS (in); i++)
    g_assert_cmpfloat (out[i], ==, want[i]);

  /* in place, h-swish first: hswish (1) = 2/3 -> 1.33 -> 1 -> 0.5;
   * hswish (-4) = 0; hswish (3) = 3 */
  float x[3] = { 1.0f, -4.0f, 3.0f };
  p.n = 3;
  p.act = MNV3_ACT_HSWISH;
  mnv3_f32_quant__ref (x, x, &p);
  g_assert_cmpfloat (x[0], ==, 0.5f);
  g_assert_cmpfloat (x[1], ==, 0.0f);
  g_assert_cmpfloat (x[2], ==, 3.0f);

  /* mul, add: 1 * 0.5 + 3 = 3.5 (on the grid); 0.2 * 0.5 + 3 = 3.1 ->
   * 6.2 -> 6 -> 3 */
  float y[2] = { 1.0f, 0.2f };
  p.n = 2;
  p.act = MNV3_ACT_NONE;
  p.mul = 0.5f;
  p.add = 3.0f;
  mnv3_f32_quant__ref (y, y, &p);
  g_assert_cmpfloat (y[0], ==, 3.5f);
  g_assert_cmpfloat (y[1], ==, 3.0f);

  /* scale 0: no grid */
  float z[1] = { 0.3f };
  struct mnv3_quant_params id = { 1, MNV3_ACT_RELU, 1.0f, 0.0f, {0} };
  mnv3_f32_quant__ref (z, z, &id);
  g_assert_cmpfloat (z[0], ==, 0.3f);

  /* int8 grid, zero point -5: 0.25 * (clamp (round (x / 0.25) - 5, -128,
   * 127) + 5); 40 -> 160 -> 122 (qmax 127 - zp -5 = 132? no: 160 - 5 =
   * 155 > 127 -> 127 -> 132 * 0.25 = 33) */
  const struct mnv3_qgrid q8 = { 0.25f, -5.0f, -128.0f, 127.0f };
  float w[3] = { 40.0f, -40.0f, 0.125f };
  struct mnv3_quant_params p8 = { 3, MNV3_ACT_NONE, 1.0f, 0.0f, q8 };
  mnv3_f32_quant__ref (w, w, &p8);
  g_assert_cmpfloat (w[0], ==, 33.0f);
  g_assert_cmpfloat (w[1], ==, -30.75f);        /* -160 - 5 -> -128 -> -123 */
  g_assert_cmpfloat (w[2], ==, 0.0f);   /* 0.5 -> 0 */
}

static void
test_kernel_add_cscale (void)
{
  const struct mnv3_qgrid q = { 0.5f, 3.0f, 0.0f, 255.0f };
  float a[3] = { 0.5f, 1.0f, 0.0f }, b[3] = { 0.25f, 0.5f, -9.0f };
  struct mnv3_add_params pa = { 3, q };
  mnv3_f32_add__ref (a, b, a, &pa);     /* 0.75 -> 1.5 -> 2; 1.5; clamp */
  g_assert_cmpfloat (a[0], ==, 1.0f);
  g_assert_cmpfloat (a[1], ==, 1.5f);
  g_assert_cmpfloat (a[2], ==, -1.5f);

  /* 2 rows x 2 channels, scale per channel */
  float m[4] = { 1.0f, 2.0f, 0.5f, 2.0f };
  const float sc[2] = { 0.5f, 0.75f };
  struct mnv3_cscale_params pc = { 2, 2, sc, q };
  mnv3_f32_cscale__ref (m, m, &pc);
  g_assert_cmpfloat (m[0], ==, 0.5f);   /* 0.5 */
  g_assert_cmpfloat (m[1], ==, 1.5f);   /* 1.5 */
  g_assert_cmpfloat (m[2], ==, 0.0f);   /* 0.25 -> 0.5 -> 0 (tie, even) */
  g_assert_cmpfloat (m[3], ==, 1.5f);
}

static void
test_kernel_qgap (void)
{
  const struct mnv3_qgrid q = { 0.5f, 3.0f, 0.0f, 255.0f };
  const struct mnv3_qgrid q2 = { 0.25f, 0.0f, 0.0f, 255.0f };
  /* 4 pixels x 3 channels; integers of the grid per channel:
   * c0: 1 2 2 1 (6 / 4 = 1.5 -> 2), c1: 1 1 0 0 (0.5 -> 0),
   * c2: 1 1 1 0 (0.75 -> 1) */
  const float in[12] = {
    0.5f, 0.5f, 0.5f,
    1.0f, 0.5f, 0.5f,
    1.0f, 0.0f, 0.5f,
    0.5f, 0.0f, 0.0f,
  };
  float out[3] = { -1, -1, -1 };
  struct mnv3_qgap_params p = { 4, 3, 0, 3, q, q };
  mnv3_f32_qgap__ref (in, out, &p);
  g_assert_cmpfloat (out[0], ==, 1.0f);
  g_assert_cmpfloat (out[1], ==, 0.0f);
  g_assert_cmpfloat (out[2], ==, 0.5f);
  /* another output grid: 6 * 0.5 / 4 = 0.75 exactly */
  p.qout = q2;
  p.c0 = 0;
  p.c1 = 1;
  out[0] = -1;
  mnv3_f32_qgap__ref (in, out, &p);
  g_assert_cmpfloat (out[0], ==, 0.75f);
}

/* ---- 2. metadata ---- */

typedef struct
{
  JsonParser *parser;           /* the fixture's header */
  const guint8 *data;           /* tensor data */
  gsize data_len;
  gchar *file;
} FixtureFile;

static FixtureFile fx;

static void
fixture_read (void)
{
  gchar *path = g_build_filename (fixtures_dir, FIXTURE ".safetensors", NULL);
  gsize len;
  GError *error = NULL;
  g_assert_true (g_file_get_contents (path, &fx.file, &len, &error));
  guint64 hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | (guint8) fx.file[i];
  fx.parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (fx.parser, fx.file + 8, hlen,
          &error));
  fx.data = (const guint8 *) fx.file + 8 + hlen;
  fx.data_len = len - 8 - hlen;
  g_free (path);
}

/* The fixture with __metadata__["mnv3.act_quant"] set to @node (NULL:
 * removed); returns a model or NULL with @error set. */
static Mnv3Model *
load_with (JsonNode * node, GError ** error)
{
  JsonNode *root = json_node_copy (json_parser_get_root (fx.parser));
  JsonObject *meta = json_object_get_object_member (json_node_get_object
      (root), "__metadata__");
  if (node)
    json_object_set_member (meta, "mnv3.act_quant", node);
  else
    json_object_remove_member (meta, "mnv3.act_quant");
  JsonGenerator *gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gsize hlen;
  gchar *h = json_generator_to_data (gen, &hlen);
  gsize padded = (hlen + 7) & ~(gsize) 7;
  gsize total = 8 + padded + fx.data_len;
  guint8 *buf = g_malloc (total);
  for (int i = 0; i < 8; i++)
    buf[i] = (guint8) (((guint64) padded >> (8 * i)) & 0xff);
  memcpy (buf + 8, h, hlen);
  memset (buf + 8 + hlen, ' ', padded - hlen);
  memcpy (buf + 8 + padded, fx.data, fx.data_len);
  Mnv3Model *m = mnv3_model_load_from_data (buf, total, "act-quant-test",
      error);
  g_free (buf);
  g_free (h);
  g_object_unref (gen);
  json_node_unref (root);
  return m;
}

static JsonNode *
string_node (const char *s)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (n, s);
  return n;
}

/* Every rounding point of small at width 0.2 (DESIGN 3a's table; the test's
 * own reading of FORMAT.md 2a), each given grid @g; SE .relu6 gets [0, 6]
 * and its constant 3, .hsigmoid 1/6. Returns a JSON object. */
static JsonObject *
small_points (const double g[4], const double logits[4])
{
  static const struct
  {
    int exp, out, se, hs, stride;
  } tab[] = {
    {16, 16, 1, 0, 2}, {72, 24, 0, 0, 2}, {88, 24, 0, 0, 1},
    {96, 40, 1, 1, 2}, {240, 40, 1, 1, 1}, {240, 40, 1, 1, 1},
    {120, 48, 1, 1, 1}, {144, 48, 1, 1, 1}, {288, 96, 1, 1, 2},
    {576, 96, 1, 1, 1}, {576, 96, 1, 1, 1},
  };
  JsonObject *o = json_object_new ();
  char key[96];
#define PUT(k, grid, extra) do { \
    JsonArray *a = json_array_new (); \
    for (int i_ = 0; i_ < 4; i_++) \
      json_array_add_double_element (a, (grid)[i_]); \
    if ((extra) != 0) \
      json_array_add_double_element (a, (extra)); \
    json_object_set_array_member (o, (k), a); \
  } while (0)
  const double relu6[4] = { g[0], 0, 0, floor (6.0 / g[0]) };
  PUT ("input", g, 0);
  PUT ("features.0", g, 0);
  PUT ("features.0.hswish", g, 0);
  int cin = mnv3_make_divisible (16 * WIDTH, 8);
  for (guint i = 0; i < G_N_ELEMENTS (tab); i++) {
    int exp = mnv3_make_divisible (tab[i].exp * WIDTH, 8);
    int out = mnv3_make_divisible (tab[i].out * WIDTH, 8);
    int j = 0;
    if (exp != cin) {
      g_snprintf (key, sizeof key, "features.%u.block.%d", i + 1, j++);
      PUT (key, g, 0);
      if (tab[i].hs) {
        g_strlcat (key, ".hswish", sizeof key);
        PUT (key, g, 0);
      }
    }
    g_snprintf (key, sizeof key, "features.%u.block.%d", i + 1, j++);
    PUT (key, g, 0);
    if (tab[i].hs) {
      g_strlcat (key, ".hswish", sizeof key);
      PUT (key, g, 0);
    }
    if (tab[i].se) {
      static const char *const se[] = { "pool", "fc1", "fc2", "relu6",
        "hsigmoid", "scale"
      };
      for (int k = 0; k < 6; k++) {
        g_snprintf (key, sizeof key, "features.%u.block.%d.%s", i + 1, j,
            se[k]);
        if (k == 3)
          PUT (key, relu6, 3.0);
        else if (k == 4)
          PUT (key, g, 1.0 / 6.0);
        else
          PUT (key, g, 0);
      }
      j++;
    }
    g_snprintf (key, sizeof key, "features.%u.block.%d", i + 1, j++);
    PUT (key, g, 0);
    if (tab[i].stride == 1 && cin == out) {
      g_snprintf (key, sizeof key, "features.%u.add", i + 1);
      PUT (key, g, 0);
    }
    cin = out;
  }
  PUT ("features.12", g, 0);
  PUT ("features.12.hswish", g, 0);
  PUT ("pool", g, 0);
  PUT ("classifier.0", g, 0);
  PUT ("classifier.0.hswish", g, 0);
  PUT ("classifier.3", logits, 0);
#undef PUT
  return o;
}

static const double fine[4] = { 1.0 / 1024, 0, -65536, 65536 };
static const double coarse_logits[4] = { 0.25, 0, -128, 127 };

static JsonNode *
points_node (JsonObject * o)
{
  JsonNode *root = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (root, o);
  JsonGenerator *gen = json_generator_new ();
  json_generator_set_root (gen, root);
  gchar *s = json_generator_to_data (gen, NULL);
  JsonNode *n = string_node (s);
  g_free (s);
  g_object_unref (gen);
  json_node_unref (root);
  return n;
}

static void
expect_refused (JsonNode * node, const char *what, const char *needle)
{
  GError *error = NULL;
  Mnv3Model *m = load_with (node, &error);
  if (m)
    g_error ("%s: loaded, expected MNV3_ERROR_METADATA", what);
  g_test_message ("%s: %s", what, error->message);
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_METADATA);
  g_assert_nonnull (strstr (error->message, "mnv3.act_quant"));
  if (needle && !strstr (error->message, needle))
    g_error ("%s: message '%s' does not mention '%s'", what, error->message,
        needle);
  g_error_free (error);
}

static void
set_entry (JsonObject * o, const char *key, const char *json)
{
  JsonParser *p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, json, -1, NULL));
  json_object_set_member (o, key, json_node_copy (json_parser_get_root (p)));
  g_object_unref (p);
}

static void
test_metadata (void)
{
  GError *error = NULL;
  Mnv3Model *m = load_with (points_node (small_points (fine, fine)), &error);
  g_assert_no_error (error);
  g_assert_true (mnv3_model_get_info (m)->act_quant);
  mnv3_model_free (m);
  m = load_with (NULL, &error);
  g_assert_no_error (error);
  g_assert_false (mnv3_model_get_info (m)->act_quant);
  mnv3_model_free (m);

  JsonObject *o;
  o = small_points (fine, fine);
  int n = json_object_get_size (o);
  json_object_unref (o);
  g_test_message ("small at width %g: %d rounding points", WIDTH, n);

  o = small_points (fine, fine);
  json_object_remove_member (o, "features.3.add");
  expect_refused (points_node (o), "one entry missing", "entries");
  /* one entry of the valid set replaced: key, value, what, the error's needle */
  static const struct
  {
    const char *key, *json, *what, *needle;
  } bad_entries[] = {
    {"features.7.block.2.extra", "[0.5, 0, 0, 255]", "one entry too many",
        "entries"},
    {"features.5.block.0", "[0, 0, 0, 255]", "zero scale",
        "features.5.block.0"},
    {"features.5.block.0", "[-0.5, 0, 0, 255]", "negative scale", "scale"},
    {"pool", "[1e300, 0, 0, 255]", "scale infinite as a float", "pool"},
    {"pool", "[\"nan\", 0, 0, 255]", "scale a string", "pool"},
    {"input", "[0.5, 300, 0, 255]", "zero point above qmax", "zero_point"},
    {"input", "[0.5, 1.5, 0, 255]", "fractional zero point", "input"},
    {"input", "[0.5, 0, 255, 0]", "qmin > qmax", "qmin"},
    {"input", "[0.5, 0, 0]", "three numbers", "input"},
    {"features.1.block.1.relu6", "[0.5, 0, 0, 12]",
        "relu6 without its constant", "features.1.block.1.relu6"},
    {"classifier.3", "{\"scale\": 0.5}", "an object, not an array",
        "classifier.3"},
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad_entries); i++) {
    o = small_points (fine, fine);
    set_entry (o, bad_entries[i].key, bad_entries[i].json);
    expect_refused (points_node (o), bad_entries[i].what,
        bad_entries[i].needle);
  }
  o = small_points (fine, fine);
  json_object_remove_member (o, "features.3.add");
  set_entry (o, "features.2.add", "[0.5, 0, 0, 255]");
  expect_refused (points_node (o), "a point the network lacks",
      "features.2.add");
  o = small_points (fine, fine);
  set_entry (o, "pool", "[12345.5, 0, 0, 255]");
  {
    /* a literal 1e999 (inf in a double) in the metadata text */
    JsonNode *n = points_node (o);
    gchar **parts = g_strsplit (json_node_get_string (n), "12345.5", 2);
    gchar *text = g_strjoinv ("1e999", parts);
    expect_refused (string_node (text), "infinite scale", "pool");
    g_free (text);
    g_strfreev (parts);
    json_node_unref (n);
  }
  expect_refused (string_node ("{{{ not json"), "garbage", "JSON");
  expect_refused (string_node ("[1, 2, 3]"), "not an object", "object");
  expect_refused (string_node (""), "empty string", NULL);
  JsonNode *num = json_node_new (JSON_NODE_VALUE);
  json_node_set_int (num, 3);
  expect_refused (num, "not a string", "string");
}

/* ---- 3. graph ---- */

static float *
run_all (Mnv3Model * m, const char *kernels, gboolean float_act,
    const float *inputs, int n_inputs)
{
  GError *error = NULL;
  Mnv3GraphOptions opt = { 2, kernels, float_act };
  Mnv3Graph *g = mnv3_graph_new (m, &opt, &error);
  if (!g) {
    g_clear_error (&error);
    return NULL;
  }
  size_t n_in = (size_t) SIZE * SIZE * 3;
  float *out = g_new (float, (size_t) n_inputs * CLASSES);
  for (int i = 0; i < n_inputs; i++) {
    memcpy (mnv3_graph_get_input (g), inputs + i * n_in, n_in * 4);
    memcpy (out + i * CLASSES, mnv3_graph_run (g), CLASSES * 4);
  }
  mnv3_graph_free (g);
  return out;
}

static void
test_graph (void)
{
  static const char *const sets[] = { "ref", "avx2", "avx512" };
  gchar *base = g_build_filename (fixtures_dir, FIXTURE, NULL);
  gchar *in_path = g_strconcat (base, ".input.f32", NULL);
  gchar *lg_path = g_strconcat (base, ".logits.f32", NULL);
  gchar *inputs, *expected;
  gsize in_len, lg_len;
  GError *error = NULL;
  g_assert_true (g_file_get_contents (in_path, &inputs, &in_len, NULL));
  g_assert_true (g_file_get_contents (lg_path, &expected, &lg_len, NULL));
  int n_inputs = (int) (lg_len / (CLASSES * 4));
  const float *want = (const float *) expected;
  float maxref = 0;
  for (int i = 0; i < n_inputs * CLASSES; i++)
    maxref = MAX (maxref, fabsf (want[i]));

  Mnv3Model *mfine = load_with (points_node (small_points (fine, fine)),
      &error);
  g_assert_no_error (error);
  Mnv3Model *mcoarse = load_with (points_node (small_points (fine,
              coarse_logits)), &error);
  g_assert_no_error (error);

  for (guint s = 0; s < G_N_ELEMENTS (sets); s++) {
    float *fl = run_all (mfine, sets[s], TRUE, (const float *) inputs,
        n_inputs);
    if (!fl) {
      g_test_message ("kernel set %s not available", sets[s]);
      continue;
    }
    float *fq = run_all (mfine, sets[s], FALSE, (const float *) inputs,
        n_inputs);
    float *cq = run_all (mcoarse, sets[s], FALSE, (const float *) inputs,
        n_inputs);
    float err_float = 0, err_fine = 0, diff_coarse = 0;
    for (int i = 0; i < n_inputs * CLASSES; i++) {
      err_float = MAX (err_float, fabsf (fl[i] - want[i]));
      err_fine = MAX (err_fine, fabsf (fq[i] - want[i]));
      diff_coarse = MAX (diff_coarse, fabsf (cq[i] - fq[i]));
      /* every logit on the 0.25 grid of classifier.3, inside its range */
      float k = cq[i] / 0.25f;
      g_assert_cmpfloat (k, ==, rintf (k));
      g_assert_cmpfloat (k, >=, -128.0f);
      g_assert_cmpfloat (k, <=, 127.0f);
    }
    g_test_message ("%s: max |logit - torchvision|: float_activations %.3g, "
        "1/1024 grids %.3g; 0.25 logits grid moves them by %.3g (max |ref| "
        "%.3g)", sets[s], err_float, err_fine, diff_coarse, maxref);
    g_assert_cmpfloat (err_float, <=, 1e-4 * maxref + 1e-5);
    g_assert_cmpfloat (err_fine, <=, 0.03 * maxref);
    g_assert_cmpfloat (err_fine, >, 0.0f);      /* it did round */
    g_assert_cmpfloat (diff_coarse, >, 0.0f);
    g_assert_cmpfloat (diff_coarse, <=, 0.125f + 1e-6f);
    g_free (fl);
    g_free (fq);
    g_free (cq);
  }
  mnv3_model_free (mfine);
  mnv3_model_free (mcoarse);
  g_free (inputs);
  g_free (expected);
  g_free (in_path);
  g_free (lg_path);
  g_free (base);
}

/* The integer engine's fixed-point helpers (kernels.h) on cases worked out
 * by hand from gemmlowp's definitions, which TensorFlow Lite's reference
 * kernels use: SaturatingRoundingDoublingHighMul rounds a * b / 2^31 to
 * nearest with ties towards +infinity (its nudge of 2^30, or 1 - 2^30 for a
 * negative product, then a truncating division: -1.5 becomes -1, -0.5
 * becomes 0), RoundingDivideByPOT rounds x / 2^e half away from zero,
 * MultiplyByQuantizedMultiplier applies the first then the second. */
static void
test_fixed_point (void)
{
  /* 2^30 * 2^30 / 2^31 = 2^29 exactly; 3 * 2^30 / 2^31 = 1.5 -> 2 */
  g_assert_cmpint (mnv3_srdhm (1 << 30, 1 << 30), ==, 1 << 29);
  g_assert_cmpint (mnv3_srdhm (3, 1 << 30), ==, 2);
  g_assert_cmpint (mnv3_srdhm (-3, 1 << 30), ==, -1);
  g_assert_cmpint (mnv3_srdhm (1, 1 << 30), ==, 1);     /* 0.5 -> 1 */
  g_assert_cmpint (mnv3_srdhm (-1, 1 << 30), ==, 0);    /* -0.5 -> 0 */
  g_assert_cmpint (mnv3_srdhm (-5, 1 << 30), ==, -2);   /* -2.5 -> -2 */
  g_assert_cmpint (mnv3_srdhm (-7, 1 << 30), ==, -3);   /* -3.5 -> -3 */
  g_assert_cmpint (mnv3_srdhm (-7, 3 << 29), ==, -5);   /* -5.25 -> -5 */
  g_assert_cmpint (mnv3_srdhm (INT32_MIN, INT32_MIN), ==, INT32_MAX);
  /* 3 / 2 = 1.5 -> 2, -3 / 2 -> -2, 5 / 4 = 1.25 -> 1, -5 / 4 -> -1,
   * -6 / 4 = -1.5 -> -2, 7 / 1 = 7 */
  g_assert_cmpint (mnv3_rdpot (3, 1), ==, 2);
  g_assert_cmpint (mnv3_rdpot (-3, 1), ==, -2);
  g_assert_cmpint (mnv3_rdpot (5, 2), ==, 1);
  g_assert_cmpint (mnv3_rdpot (-5, 2), ==, -1);
  g_assert_cmpint (mnv3_rdpot (-6, 2), ==, -2);
  g_assert_cmpint (mnv3_rdpot (7, 0), ==, 7);
  /* The case that showed TFLite's float product of a uint8 filter's scales
   * (mnv3-quant.c): 662 * 1711174635 / 2^31 = 527.49999 -> 527, / 32 =
   * 16.47 -> 16; with the multiplier of the float product, 1711174696,
   * 527.50001 -> 528, / 32 = 16.5 -> 17 (double rounding); negated,
   * -527.50001 -> -528, / 32 = -16.5 -> -17. */
  g_assert_cmpint (mnv3_requant (662, 1711174635, -5), ==, 16);
  g_assert_cmpint (mnv3_requant (662, 1711174696, -5), ==, 17);
  g_assert_cmpint (mnv3_requant (-662, 1711174696, -5), ==, -17);
  /* a left shift: 100 * 2 * 0.75 = 150 */
  g_assert_cmpint (mnv3_requant (100, 3 << 29, 1), ==, 150);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *dir = g_getenv ("MNV3_FIXTURES");
  fixtures_dir = dir ? g_build_filename (dir, "fixtures", NULL) :
      g_build_filename (g_test_get_dir (G_TEST_DIST), "..", "data",
      "fixtures", NULL);
  fixture_read ();
  g_test_add_func ("/quant/kernel/quant", test_kernel_quant);
  g_test_add_func ("/quant/kernel/add-cscale", test_kernel_add_cscale);
  g_test_add_func ("/quant/kernel/qgap", test_kernel_qgap);
  g_test_add_func ("/quant/metadata", test_metadata);
  g_test_add_func ("/quant/graph", test_graph);
  g_test_add_func ("/quant/fixed-point", test_fixed_point);
  int ret = g_test_run ();
  g_object_unref (fx.parser);
  g_free (fx.file);
  g_free (fixtures_dir);
  return ret;
}
