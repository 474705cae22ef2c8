/* Unit tests of the libmnv3 model reader: valid, truncated and corrupt files
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Starts from a fixture model (tests/data/fixtures) and damages it in
 * every way the reader must survive; each case must fail with the right
 * error code and a message naming the problem (and the tensor).
 */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mnv3.h"

static guint8 *model_data;
static gsize model_size;
static gchar *model_name;

/* Header JSON and data section of the fixture, for rewriting. */
static JsonNode *
read_header (const guint8 * data, gsize size, const guint8 ** body,
    gsize * body_size)
{
  guint64 hlen;
  memcpy (&hlen, data, 8);
  hlen = GUINT64_FROM_LE (hlen);
  g_assert_cmpuint (hlen, <=, size - 8);
  JsonParser *p = json_parser_new ();
  g_assert_true (json_parser_load_from_data (p, (const char *) data + 8,
          (gssize) hlen, NULL));
  JsonNode *root = json_node_copy (json_parser_get_root (p));
  g_object_unref (p);
  *body = data + 8 + hlen;
  *body_size = size - 8 - hlen;
  return root;
}

static GBytes *
write_file (JsonNode * root, const guint8 * body, gsize body_size)
{
  gsize hlen;
  gchar *json = json_to_string (root, FALSE);
  hlen = strlen (json);
  GByteArray *a = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE ((guint64) hlen);
  g_byte_array_append (a, (const guint8 *) &le, 8);
  g_byte_array_append (a, (const guint8 *) json, (guint) hlen);
  g_byte_array_append (a, body, (guint) body_size);
  g_free (json);
  return g_byte_array_free_to_bytes (a);
}

static Mnv3Model *
load_bytes (GBytes * b, GError ** error)
{
  gsize n;
  const void *d = g_bytes_get_data (b, &n);
  return mnv3_model_load_from_data (d, n, "test.safetensors", error);
}

/* Applies @edit to the header and expects loading to fail with @code and a
 * message containing @needle. */
static void
expect_header_edit (void (*edit) (JsonObject * root), Mnv3Error code,
    const char *needle)
{
  const guint8 *body;
  gsize body_size;
  JsonNode *root = read_header (model_data, model_size, &body, &body_size);
  edit (json_node_get_object (root));
  GBytes *b = write_file (root, body, body_size);
  GError *error = NULL;
  Mnv3Model *m = load_bytes (b, &error);
  if (m || !g_error_matches (error, MNV3_ERROR, code) ||
      !strstr (error->message, needle)) {
    g_printerr ("expected code %d with '%s', got %s (%d: %s)\n", code,
        needle, m ? "a model" : "an error", error ? error->code : -1,
        error ? error->message : "");
    g_assert_not_reached ();
  }
  g_test_message ("%s", error->message);
  g_error_free (error);
  g_bytes_unref (b);
  json_node_unref (root);
}

static JsonObject *
tensor (JsonObject * root, const char *name)
{
  return json_object_get_object_member (root, name);
}

static void
test_valid (void)
{
  GError *error = NULL;
  Mnv3Model *m = mnv3_model_load_from_data (model_data, model_size,
      model_name, &error);
  g_assert_no_error (error);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  g_assert_cmpint (info->num_classes, >, 0);
  g_assert_cmpuint (info->params, >, 1000);
  g_assert_cmpuint (info->macs, >, info->params);
  mnv3_model_free (m);

  /* Loading from a path reads the file. */
  m = mnv3_model_load (model_name, &error);
  g_assert_no_error (error);
  mnv3_model_free (m);
}

static void
test_missing_file (void)
{
  GError *error = NULL;
  g_assert_null (mnv3_model_load ("/nonexistent/model.safetensors", &error));
  /* a missing file has its own code (the element reports NOT_FOUND on it);
   * one that exists but cannot be mapped is an I/O error */
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model"));
  g_clear_error (&error);
  g_assert_null (mnv3_model_load (g_get_tmp_dir (), &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_IO);
  g_error_free (error);
}

static void
test_empty (void)
{
  GError *error = NULL;
  g_assert_null (mnv3_model_load_from_data ("", 0, "empty", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_TRUNCATED);
  g_error_free (error);
}

static void
test_truncated (void)
{
  /* Every length in the first 600 bytes (the header region) and ~200
   * spread over the data; a truncated file must never load. */
  gsize cases = 0;
  for (gsize len = 0; len < model_size; len += (len < 600 ? 1 :
          MAX (model_size / 200, 1))) {
    GError *error = NULL;
    Mnv3Model *m = mnv3_model_load_from_data (model_data, len, "trunc",
        &error);
    if (m) {
      g_printerr ("truncated to %zu of %zu bytes loaded\n", len, model_size);
      g_assert_not_reached ();
    }
    g_assert_true (error->domain == MNV3_ERROR);
    g_assert_true (error->code == MNV3_ERROR_TRUNCATED ||
        error->code == MNV3_ERROR_OFFSET || error->code == MNV3_ERROR_HEADER);
    g_error_free (error);
    cases++;
  }
  g_test_message ("%zu truncation lengths refused", cases);
}

static void
test_header_too_long (void)
{
  guint8 *copy = g_memdup2 (model_data, model_size);
  guint64 big = GUINT64_TO_LE ((guint64) model_size);
  memcpy (copy, &big, 8);
  GError *error = NULL;
  g_assert_null (mnv3_model_load_from_data (copy, model_size, "t", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, "header length"));
  g_clear_error (&error);
  /* An 8 GB claim. */
  big = GUINT64_TO_LE ((guint64) 8 << 30);
  memcpy (copy, &big, 8);
  g_assert_null (mnv3_model_load_from_data (copy, model_size, "t", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_TRUNCATED);
  g_error_free (error);
  g_free (copy);
}

static void
test_garbage_json (void)
{
  const char text[] = "{\"features.0.0.weight\": {\"dtype\": \"F32\", ";
  GByteArray *a = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE ((guint64) strlen (text));
  g_byte_array_append (a, (const guint8 *) &le, 8);
  g_byte_array_append (a, (const guint8 *) text, strlen (text));
  GError *error = NULL;
  g_assert_null (mnv3_model_load_from_data (a->data, a->len, "g", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_HEADER);
  g_clear_error (&error);

  /* Binary garbage, and JSON that is not an object. */
  guint8 junk[64];
  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) (i * 37 + 11);
  le = GUINT64_TO_LE (40);
  memcpy (junk, &le, 8);
  g_assert_null (mnv3_model_load_from_data (junk, sizeof junk, "j", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_HEADER);
  g_clear_error (&error);
  const char arr[] = "\x02\0\0\0\0\0\0\0[]";
  g_assert_null (mnv3_model_load_from_data (arr, 10, "a", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_HEADER);
  g_clear_error (&error);
  g_byte_array_unref (a);
}

static void
edit_offset_past_end (JsonObject * root)
{
  JsonArray *o = json_object_get_array_member (tensor (root,
          "classifier.3.bias"), "data_offsets");
  gint64 b = json_array_get_int_element (o, 0);
  json_array_remove_element (o, 1);
  json_array_remove_element (o, 0);
  json_array_add_int_element (o, b + (1 << 30));
  json_array_add_int_element (o, b + (1 << 30) + 4);
}

static void
edit_overlap (JsonObject * root)
{
  /* Point classifier.3.bias at the first bytes of features.0.0.weight. */
  JsonObject *t = tensor (root, "classifier.3.bias");
  JsonArray *shape = json_object_get_array_member (t, "shape");
  gint64 n = json_array_get_int_element (shape, 0);
  JsonArray *ref = json_object_get_array_member (tensor (root,
          "features.0.0.weight"), "data_offsets");
  gint64 b = json_array_get_int_element (ref, 0);
  JsonArray *o = json_array_new ();
  gint64 esize = strcmp (json_object_get_string_member (t, "dtype"),
      "F16") == 0 ? 2 : 4;
  json_array_add_int_element (o, b);
  json_array_add_int_element (o, b + n * esize);
  json_object_set_array_member (t, "data_offsets", o);
}

static void
edit_dtype (JsonObject * root)
{
  JsonObject *t = tensor (root, "features.0.0.weight");
  const char *dt = json_object_get_string_member (t, "dtype");
  /* Same element size, so only the dtype check can catch it. */
  json_object_set_string_member (t, "dtype", strcmp (dt, "F16") == 0 ?
      "BF16" : "I32");
}

static void
edit_unknown_dtype (JsonObject * root)
{
  json_object_set_string_member (tensor (root, "features.0.0.weight"),
      "dtype", "Q4_K");
}

static void
edit_missing (JsonObject * root)
{
  json_object_remove_member (root, "classifier.0.weight");
}

static void
edit_shape (JsonObject * root)
{
  /* Swap two dims: same byte count, wrong shape. */
  JsonArray *s = json_object_get_array_member (tensor (root,
          "classifier.0.weight"), "shape");
  gint64 a = json_array_get_int_element (s, 0);
  gint64 b = json_array_get_int_element (s, 1);
  JsonArray *n = json_array_new ();
  json_array_add_int_element (n, b);
  json_array_add_int_element (n, a);
  json_object_set_array_member (tensor (root, "classifier.0.weight"), "shape",
      n);
}

static void
edit_size_mismatch (JsonObject * root)
{
  JsonArray *s = json_object_get_array_member (tensor (root,
          "features.0.0.weight"), "shape");
  gint64 a = json_array_get_int_element (s, 0);
  json_array_remove_element (s, 0);
  JsonArray *n = json_array_new ();
  json_array_add_int_element (n, a + 1);
  for (guint i = 0; i < json_array_get_length (s); i++)
    json_array_add_int_element (n, json_array_get_int_element (s, i));
  json_object_set_array_member (tensor (root, "features.0.0.weight"), "shape",
      n);
}

static void
edit_arch (JsonObject * root)
{
  JsonObject *md = json_object_get_object_member (root, "__metadata__");
  json_object_set_string_member (md, "mnv3.arch", "medium");
}

static void
edit_wrong_arch (JsonObject * root)
{
  JsonObject *md = json_object_get_object_member (root, "__metadata__");
  /* The same family with / without minimalistic: the tensor names mostly
   * agree, so only the shape and unused-tensor checks catch it. */
  const char *a = json_object_get_string_member (md, "mnv3.arch");
  gchar *other = g_str_has_suffix (a, "-minimalistic") ?
      g_strndup (a, strlen (a) - strlen ("-minimalistic")) :
      g_strconcat (a, "-minimalistic", NULL);
  json_object_set_string_member (md, "mnv3.arch", other);
  g_free (other);
}

static void
edit_input_size (JsonObject * root)
{
  JsonObject *md = json_object_get_object_member (root, "__metadata__");
  json_object_set_string_member (md, "mnv3.input_size", "12");
}

static void
edit_classes (JsonObject * root)
{
  JsonObject *md = json_object_get_object_member (root, "__metadata__");
  json_object_set_string_member (md, "mnv3.num_classes", "1001");
}

static void
edit_negative_offset (JsonObject * root)
{
  JsonArray *o = json_array_new ();
  json_array_add_int_element (o, -8);
  json_array_add_int_element (o, 0);
  json_object_set_array_member (tensor (root, "classifier.3.bias"),
      "data_offsets", o);
}

static void
test_header_edits (void)
{
  expect_header_edit (edit_offset_past_end, MNV3_ERROR_OFFSET,
      "classifier.3.bias");
  expect_header_edit (edit_overlap, MNV3_ERROR_OFFSET, "overlap");
  expect_header_edit (edit_dtype, MNV3_ERROR_DTYPE, "features.0.0.weight");
  expect_header_edit (edit_unknown_dtype, MNV3_ERROR_DTYPE, "Q4_K");
  expect_header_edit (edit_missing, MNV3_ERROR_MISSING, "classifier.0.weight");
  expect_header_edit (edit_shape, MNV3_ERROR_SHAPE, "classifier.0.weight");
  expect_header_edit (edit_size_mismatch, MNV3_ERROR_OFFSET,
      "features.0.0.weight");
  expect_header_edit (edit_arch, MNV3_ERROR_METADATA, "medium");
  expect_header_edit (edit_wrong_arch, MNV3_ERROR_SHAPE, "features.");
  expect_header_edit (edit_input_size, MNV3_ERROR_METADATA, "'12'");
  expect_header_edit (edit_classes, MNV3_ERROR_SHAPE, "classifier.3");
  expect_header_edit (edit_negative_offset, MNV3_ERROR_HEADER,
      "classifier.3.bias");
}

static void
test_nan_weight (void)
{
  /* A NaN in the weights is refused at load, naming the tensor. */
  const guint8 *body;
  gsize body_size;
  JsonNode *root = read_header (model_data, model_size, &body, &body_size);
  JsonObject *t = tensor (json_node_get_object (root), "features.0.0.weight");
  gint64 b = json_array_get_int_element (json_object_get_array_member (t,
          "data_offsets"), 0);
  gboolean f16 = strcmp (json_object_get_string_member (t, "dtype"),
      "F16") == 0;
  guint8 *copy = g_memdup2 (body, body_size);
  if (f16) {
    copy[b] = 0x00;
    copy[b + 1] = 0x7e;
  } else {
    guint32 nan = GUINT32_TO_LE (0x7fc00000u);
    memcpy (copy + b, &nan, 4);
  }
  GBytes *bytes = write_file (root, copy, body_size);
  GError *error = NULL;
  g_assert_null (load_bytes (bytes, &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "features.0.0.weight"));
  g_error_free (error);
  g_bytes_unref (bytes);
  g_free (copy);
  json_node_unref (root);
}

static void
set_f32 (guint8 * body, JsonObject * root, const char *name, float v)
{
  JsonObject *t = tensor (root, name);
  g_assert_cmpstr (json_object_get_string_member (t, "dtype"), ==, "F32");
  gint64 b = json_array_get_int_element (json_object_get_array_member (t,
          "data_offsets"), 0);
  guint32 u;
  memcpy (&u, &v, 4);
  u = GUINT32_TO_LE (u);
  memcpy (body + b, &u, 4);
}

static void
test_folds_to_inf (void)
{
  /* Finite tensors whose BatchNorm folding overflows: gamma 3e38 over
   * sqrt (1e-30 + eps 0). Refused at load, naming the conv. */
  const guint8 *body;
  gsize body_size;
  JsonNode *root = read_header (model_data, model_size, &body, &body_size);
  JsonObject *o = json_node_get_object (root);
  guint8 *copy = g_memdup2 (body, body_size);
  set_f32 (copy, o, "features.0.1.weight", 3e38f);
  set_f32 (copy, o, "features.0.1.running_var", 1e-30f);
  json_object_set_string_member (json_object_get_object_member (o,
          "__metadata__"), "mnv3.bn_eps", "0");
  GBytes *bytes = write_file (root, copy, body_size);
  GError *error = NULL;
  g_assert_null (load_bytes (bytes, &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "features.0"));
  g_test_message ("%s", error->message);
  g_error_free (error);
  g_bytes_unref (bytes);
  g_free (copy);
  json_node_unref (root);
}

static void
test_byte_flips (void)
{
  /* Random byte flips: any outcome but a crash (checked under valgrind /
   * ASan); loads that succeed must give a usable model. */
  GRand *r = g_rand_new_with_seed (1234);
  guint loaded = 0;
  for (int i = 0; i < 1000; i++) {
    guint8 *copy = g_memdup2 (model_data, model_size);
    int flips = g_rand_int_range (r, 1, 4);
    for (int f = 0; f < flips; f++) {
      /* Mostly in the header, where damage matters. */
      gsize pos = g_rand_boolean (r) ? (gsize) g_rand_int_range (r, 0,
          MIN (model_size, 4096)) : (gsize) g_rand_int_range (r, 0,
          (gint32) model_size);
      copy[pos] ^= (guint8) g_rand_int_range (r, 1, 256);
    }
    GError *error = NULL;
    Mnv3Model *m = mnv3_model_load_from_data (copy, model_size, "flip",
        &error);
    if (m) {
      loaded++;
      g_assert_cmpint (mnv3_model_get_info (m)->num_classes, >, 0);
      mnv3_model_free (m);
    } else {
      g_assert_nonnull (error);
      g_error_free (error);
    }
    g_free (copy);
  }
  g_test_message ("byte flips: %u of 1000 still loaded", loaded);
  g_rand_free (r);
}

/* A file from header text as given (no padding) and the fixture's data. */
static GBytes *
file_from_text (const char *json, const guint8 * body, gsize body_size)
{
  GByteArray *a = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE ((guint64) strlen (json));
  g_byte_array_append (a, (const guint8 *) &le, 8);
  g_byte_array_append (a, (const guint8 *) json, (guint) strlen (json));
  g_byte_array_append (a, body, (guint) body_size);
  return g_byte_array_free_to_bytes (a);
}

static void
expect_error (GBytes * b, Mnv3Error code, const char *needle)
{
  GError *error = NULL;
  Mnv3Model *m = load_bytes (b, &error);
  if (m || !g_error_matches (error, MNV3_ERROR, code) ||
      !strstr (error->message, needle)) {
    g_printerr ("expected code %d with '%s', got %s (%d: %s)\n", code,
        needle, m ? "a model" : "an error", error ? error->code : -1,
        error ? error->message : "");
    g_assert_not_reached ();
  }
  g_test_message ("%s", error->message);
  g_error_free (error);
}

/* The fixture's header as text, with @insert placed right after
 * "__metadata__":{ (it must end with a comma). */
static gchar *
header_with_metadata_prefix (const char *insert, const guint8 ** body,
    gsize * body_size)
{
  JsonNode *root = read_header (model_data, model_size, body, body_size);
  gchar *json = json_to_string (root, FALSE);
  json_node_unref (root);
  const char *key = "\"__metadata__\":{";
  char *at = strstr (json, key);
  g_assert_nonnull (at);
  at += strlen (key);
  gchar *out = g_strdup_printf ("%.*s%s%s", (int) (at - json), json, insert,
      at);
  g_free (json);
  return out;
}

static gchar *
deep_brackets (int depth)
{
  gchar *s = g_malloc (2 * (gsize) depth + 1);
  memset (s, '[', depth);
  memset (s + depth, ']', depth);
  s[2 * depth] = '\0';
  return s;
}

/* Issue 16 class 1: nesting 100,000 levels deep overflowed json-glib's
 * stack (SIGSEGV) at the top level, in __metadata__ and in the
 * mnv3.act_quant string. Now refused before json-glib sees it. */
static void
test_deep_nesting (void)
{
  const guint8 *body;
  gsize body_size;
  gchar *deep = deep_brackets (100000);

  gchar *top = g_strdup_printf ("{\"a\":%s}", deep);
  GBytes *b = file_from_text (top, NULL, 0);
  expect_error (b, MNV3_ERROR_HEADER, "nested more than");
  g_bytes_unref (b);

  gchar *ins = g_strdup_printf ("\"deep\":%s,", deep);
  gchar *text = header_with_metadata_prefix (ins, &body, &body_size);
  b = file_from_text (text, body, body_size);
  expect_error (b, MNV3_ERROR_HEADER, "nested more than");
  g_bytes_unref (b);
  g_free (text);
  g_free (ins);

  /* Within a string the brackets are text: fine for the header (the
   * fixture loads), refused when mnv3.act_quant is parsed. */
  ins = g_strdup_printf ("\"mnv3.act_quant\":\"{\\\"input\\\":%s}\",", deep);
  text = header_with_metadata_prefix (ins, &body, &body_size);
  b = file_from_text (text, body, body_size);
  expect_error (b, MNV3_ERROR_METADATA, "nested more than");
  g_bytes_unref (b);
  g_free (text);
  g_free (ins);

  /* A modest depth inside a string or an unknown key is not refused. */
  gchar *shallow = deep_brackets (20);
  ins = g_strdup_printf ("\"x.unknown\":\"%s\",\"y.unknown\":%s,",
      deep, shallow);
  text = header_with_metadata_prefix (ins, &body, &body_size);
  b = file_from_text (text, body, body_size);
  GError *error = NULL;
  Mnv3Model *m = load_bytes (b, &error);
  g_assert_no_error (error);
  mnv3_model_free (m);
  g_bytes_unref (b);
  g_free (text);
  g_free (ins);
  g_free (shallow);
  g_free (top);
  g_free (deep);
}

/* Issue 16 class 15: a second JSON value after the header object, and a
 * NUL (\u0000) in the embedded labels, are refused. Class 10: invalid
 * UTF-8 in the embedded labels (a lone surrogate escape) is refused. */
static void
test_lenient_json (void)
{
  const guint8 *body;
  gsize body_size;
  JsonNode *root = read_header (model_data, model_size, &body, &body_size);
  gchar *json = json_to_string (root, FALSE);
  json_node_unref (root);

  gchar *twice = g_strconcat (json, json, NULL);
  GBytes *b = file_from_text (twice, body, body_size);
  expect_error (b, MNV3_ERROR_HEADER, "more than one JSON value");
  g_bytes_unref (b);
  gchar *plus = g_strconcat (json, "  {}  ", NULL);
  b = file_from_text (plus, body, body_size);
  expect_error (b, MNV3_ERROR_HEADER, "more than one JSON value");
  g_bytes_unref (b);
  /* trailing spaces are the format's padding: accepted */
  g_free (plus);
  plus = g_strconcat (json, "       ", NULL);
  b = file_from_text (plus, body, body_size);
  GError *error = NULL;
  Mnv3Model *m = load_bytes (b, &error);
  g_assert_no_error (error);
  mnv3_model_free (m);
  g_bytes_unref (b);

  /* json-glib accepts comments and single quotes; the format does not. */
  gchar *text = header_with_metadata_prefix ("/* x */", &body, &body_size);
  b = file_from_text (text, body, body_size);
  expect_error (b, MNV3_ERROR_HEADER, "unexpected '/'");
  g_bytes_unref (b);
  g_free (text);

  text = header_with_metadata_prefix ("\"mnv3.labels\":\"cat\\u0000dog\\n"
      "bird\",", &body, &body_size);
  b = file_from_text (text, body, body_size);
  expect_error (b, MNV3_ERROR_HEADER, "NUL");
  g_bytes_unref (b);
  g_free (text);

  text = header_with_metadata_prefix ("\"mnv3.labels\":\"cat\\ud800\\n"
      "bird\",", &body, &body_size);
  b = file_from_text (text, body, body_size);
  expect_error (b, MNV3_ERROR_METADATA, "mnv3.labels");
  g_bytes_unref (b);
  g_free (text);

  g_free (plus);
  g_free (twice);
  g_free (json);
}

/* Issue 16 class 12: every key FORMAT.md calls required is required. */
static void
test_required_keys (void)
{
  static const char *const keys[] = {
    "mnv3.arch", "mnv3.width", "mnv3.input_size", "mnv3.padding",
    "mnv3.mean", "mnv3.std", "mnv3.num_classes"
  };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    const guint8 *body;
    gsize body_size;
    JsonNode *root = read_header (model_data, model_size, &body, &body_size);
    JsonObject *md = json_object_get_object_member (json_node_get_object
        (root), "__metadata__");
    g_assert_true (json_object_has_member (md, keys[i]));
    json_object_remove_member (md, keys[i]);
    GBytes *b = write_file (root, body, body_size);
    gchar *needle = g_strdup_printf ("%s is missing: it is required", keys[i]);
    expect_error (b, MNV3_ERROR_METADATA, needle);
    g_free (needle);
    g_bytes_unref (b);
    /* a number instead of a string */
    json_object_set_int_member (md, keys[i], 1);
    b = write_file (root, body, body_size);
    needle = g_strdup_printf ("%s is not a string", keys[i]);
    expect_error (b, MNV3_ERROR_METADATA, needle);
    g_free (needle);
    g_bytes_unref (b);
    json_node_unref (root);
  }
}

static void
expect_format (const char *path, const void *data, gsize size, const char *what)
{
  GError *error = NULL;
  Mnv3Model *m = data ? mnv3_model_load_from_data (data, size, path,
      &error) : mnv3_model_load (path, &error);
  g_assert_null (m);
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_FORMAT);
  gchar *base = g_path_get_basename (path);
  *strrchr (base, '.') = '\0';
  gchar *cmd = g_strdup_printf ("`models/convert.py %s -o %s.safetensors`",
      path, base);
  if (!strstr (error->message, what) || !strstr (error->message, cmd)) {
    g_printerr ("expected '%s' and '%s' in: %s\n", what, cmd, error->message);
    g_assert_not_reached ();
  }
  g_test_message ("%s", error->message);
  g_free (cmd);
  g_free (base);
  g_error_free (error);
}

/* Issue 12: other model formats are named, with the command to run. */
static void
test_other_formats (void)
{
  const char *dir = g_getenv ("MNV3_FIXTURES");
  gchar *pth = g_build_filename (dir, "fixtures", "small-sym-f16.pth", NULL);
  gchar *onnx = g_build_filename (dir, "fixtures", "small-sym-f16.onnx", NULL);
  expect_format (pth, NULL, 0, "PyTorch checkpoint");
  expect_format (onnx, NULL, 0, "ONNX model");
  g_free (pth);
  g_free (onnx);

  guint8 buf[256] = { 0 };
  memcpy (buf, "\x1c\0\0\0TFL3", 8);
  expect_format ("m/v3-small.tflite", buf, sizeof buf, "TensorFlow Lite");
  memset (buf, 0, sizeof buf);
  memcpy (buf, "\x89HDF\r\n\x1a\n", 8);
  expect_format ("w.h5", buf, sizeof buf, "Keras .h5");
  memset (buf, 0, sizeof buf);
  memcpy (buf, "PK\x03\x04\x14\0\0\0\0\0", 10);
  buf[26] = 13;
  memcpy (buf + 30, "metadata.json", 13);
  expect_format ("my.model.keras", buf, sizeof buf, "Keras 3 model");
  memset (buf, 0, sizeof buf);
  memcpy (buf, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20", 10);
  expect_format ("old.pth", buf, sizeof buf, "PyTorch checkpoint (.pth, "
      "pickle)");
}

/* Issue 16 class 5: only regular files, of at most 1 GiB; a FIFO or a
 * device must neither block nor be read without end. */
static void
test_special_files (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("mnv3-model-XXXXXX", &error);
  g_assert_no_error (error);
  gchar *fifo = g_build_filename (dir, "fifo.safetensors", NULL);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_null (mnv3_model_load (fifo, &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "FIFO"));
  g_clear_error (&error);
  g_assert_null (mnv3_model_load ("/dev/zero", &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "character device"));
  g_clear_error (&error);
  g_assert_null (mnv3_model_load (dir, &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_IO);
  g_clear_error (&error);

  gchar *big = g_build_filename (dir, "big.safetensors", NULL);
  FILE *f = fopen (big, "w");
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), ((off_t) 1 << 30) + 1), ==, 0);
  fclose (f);
  g_assert_null (mnv3_model_load (big, &error));
  g_assert_error (error, MNV3_ERROR, MNV3_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "more than the limit"));
  g_clear_error (&error);

  g_unlink (big);
  g_unlink (fifo);
  g_rmdir (dir);
  g_free (big);
  g_free (fifo);
  g_free (dir);
}

typedef struct
{
  const char *path;
  const guint8 *data;
  gsize size;
  int rewrites;
  volatile gint done;
} Rewriter;

static gpointer
rewrite_thread (gpointer user_data)
{
  Rewriter *r = user_data;
  for (int i = 0; i < r->rewrites; i++) {
    /* as cp does: truncate the same inode, then write it in chunks */
    int fd = open (r->path, O_WRONLY | O_TRUNC);
    g_assert_cmpint (fd, >=, 0);
    for (gsize off = 0; off < r->size; off += 16384) {
      gsize n = MIN (16384, r->size - off);
      g_assert_cmpint (write (fd, r->data + off, n), ==, (gssize) n);
    }
    close (fd);
  }
  g_atomic_int_set (&r->done, 1);
  return NULL;
}

/* Issue 16 class 3: a model file rewritten in place while it loads killed
 * the process with SIGBUS (it was mapped). Now: each load succeeds or
 * says the file changed; never a signal. 200 rewrites. */
static void
test_rewrite_while_loading (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("mnv3-rewrite-XXXXXX", &error);
  gchar *path = g_build_filename (dir, "m.safetensors", NULL);
  g_assert_true (g_file_set_contents (path, (const gchar *) model_data,
          model_size, &error));
  Rewriter r = { path, model_data, model_size, 200, 0 };
  GThread *t = g_thread_new ("rewrite", rewrite_thread, &r);
  guint ok = 0, changed = 0, other = 0;
  while (!g_atomic_int_get (&r.done)) {
    Mnv3Model *m = mnv3_model_load (path, &error);
    if (m) {
      ok++;
      mnv3_model_free (m);
    } else if (strstr (error->message, "changed while")) {
      changed++;
    } else {
      /* read between a truncate and the end of a write: short file */
      other++;
    }
    g_clear_error (&error);
  }
  g_thread_join (t);
  g_test_message ("200 rewrites: %u loads ok, %u 'changed while read', %u "
      "other refusals, 0 signals", ok, changed, other);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
test_make_divisible (void)
{
  /* torchvision's _make_divisible values. */
  g_assert_cmpint (mnv3_make_divisible (16 * 0.5, 8), ==, 8);
  g_assert_cmpint (mnv3_make_divisible (72 * 0.75, 8), ==, 56);
  g_assert_cmpint (mnv3_make_divisible (960 * 0.35, 8), ==, 336);
  g_assert_cmpint (mnv3_make_divisible (20, 8), ==, 24);
  g_assert_cmpint (mnv3_make_divisible (3, 8), ==, 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *dir = g_getenv ("MNV3_FIXTURES");
  g_assert_nonnull (dir);
  /* The first fixture listed in fixtures.txt. */
  GError *error = NULL;
  gchar *list_path = g_build_filename (dir, "fixtures", "fixtures.txt", NULL);
  gchar *list = NULL;
  if (!g_file_get_contents (list_path, &list, NULL, &error))
    g_error ("cannot read %s: %s", list_path, error->message);
  gchar **lines = g_strsplit (list, "\n", -1);
  for (gchar ** l = lines; *l && !model_name; l++) {
    if (**l && **l != '#') {
      gchar **f = g_strsplit (*l, " ", 2);
      gchar *file = g_strconcat (f[0], ".safetensors", NULL);
      model_name = g_build_filename (dir, "fixtures", file, NULL);
      g_free (file);
      g_strfreev (f);
    }
  }
  g_strfreev (lines);
  g_free (list);
  g_free (list_path);
  g_assert_nonnull (model_name);
  if (!g_file_get_contents (model_name, (gchar **) & model_data,
          &model_size, &error))
    g_error ("cannot read fixture %s: %s", model_name, error->message);

  g_test_add_func ("/model/valid", test_valid);
  g_test_add_func ("/model/missing-file", test_missing_file);
  g_test_add_func ("/model/empty", test_empty);
  g_test_add_func ("/model/truncated", test_truncated);
  g_test_add_func ("/model/header-too-long", test_header_too_long);
  g_test_add_func ("/model/garbage-json", test_garbage_json);
  g_test_add_func ("/model/header-edits", test_header_edits);
  g_test_add_func ("/model/nan-weight", test_nan_weight);
  g_test_add_func ("/model/folds-to-inf", test_folds_to_inf);
  g_test_add_func ("/model/byte-flips", test_byte_flips);
  g_test_add_func ("/model/make-divisible", test_make_divisible);
  g_test_add_func ("/model/deep-nesting", test_deep_nesting);
  g_test_add_func ("/model/lenient-json", test_lenient_json);
  g_test_add_func ("/model/required-keys", test_required_keys);
  g_test_add_func ("/model/other-formats", test_other_formats);
  g_test_add_func ("/model/special-files", test_special_files);
  g_test_add_func ("/model/rewrite-while-loading", test_rewrite_while_loading);
  int ret = g_test_run ();
  g_free (model_data);
  return ret;
}
