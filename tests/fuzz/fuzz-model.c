/* mnv3classify: fuzz tests
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the safetensors model reader (mnv3_model_load_from_data)
 * and, for models small enough to keep the fuzzer fast, one inference.
 *
 * Most of a model file is tensor data, so plain byte mutation rarely touches
 * the part that matters. The custom mutator below therefore mutates the JSON
 * header most of the time and rewrites the 8-byte header length to match
 * (offsets are relative to the data section, so the file stays coherent);
 * a third of those mutations are structural (a tensor entry's dtype, shape,
 * offsets or a metadata value replaced by a boundary value, an entry
 * removed or duplicated), made with json-glib. The rest mutate the raw
 * file, header length included.
 *
 * Built without libFuzzer (MNV3_FUZZ_REPLAY) the same target is driven by
 * replay-main.c over the regression files and the seed corpus.
 */
#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "mnv3.h"

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* Above these an inference is skipped (exec/s would collapse). */
#define FUZZ_MAX_INPUT_SIZE 128
#define FUZZ_MAX_PARAMS 1000000
#define FUZZ_MAX_MACS 30000000

static gboolean no_graph;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* MNV3_FUZZ_NO_GRAPH=1: the loader only (faster). */
  no_graph = g_getenv ("MNV3_FUZZ_NO_GRAPH") != NULL;
  /* A g_return_if_fail or g_warning is a bug: make it abort. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GError *error = NULL;
  Mnv3Model *model;

  model = mnv3_model_load_from_data (data, size, "fuzz.safetensors", &error);
  if (!model) {
    /* Every refusal must say why. */
    if (!error || error->domain != MNV3_ERROR || !error->message ||
        !error->message[0])
      abort ();
    g_error_free (error);
    return 0;
  }
  if (error)
    abort ();

  const Mnv3ModelInfo *info = mnv3_model_get_info (model);
  if (info->num_classes < 1 || info->input_size < 16 ||
      (info->n_labels > 0) != (info->labels != NULL))
    abort ();
  for (int i = 0; i < info->n_labels; i++)
    if (!info->labels[i])
      abort ();

  if (!no_graph && info->input_size <= FUZZ_MAX_INPUT_SIZE &&
      info->params < FUZZ_MAX_PARAMS && info->macs < FUZZ_MAX_MACS) {
    Mnv3GraphOptions opts = { 1, NULL };
    Mnv3Graph *graph = mnv3_graph_new (model, &opts, &error);
    if (!graph)
      abort ();
    float *in = mnv3_graph_get_input (graph);
    size_t n = (size_t) info->input_size * info->input_size * 3;
    for (size_t i = 0; i < n; i++)
      in[i] = (float) ((i * 7919) % 255) / 127.5f - 1.0f;
    const float *logits = mnv3_graph_run (graph);
    /* Touch every logit (out-of-bounds writes or reads show up here). */
    volatile float sum = 0;
    for (int i = 0; i < info->num_classes; i++)
      sum += logits[i];
    (void) sum;
    mnv3_graph_free (graph);
  }
  mnv3_model_free (model);
  return 0;
}

#ifndef MNV3_FUZZ_REPLAY

size_t LLVMFuzzerMutate (uint8_t * data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator (uint8_t * data, size_t size,
    size_t max_size, unsigned int seed);

static const char *const interesting_strings[] = {
  "", "0", "-1", "1", "2", "7", "8", "15", "16", "17", "31", "32", "33",
  "63", "64", "65", "96", "2048", "2049", "4096", "1000000", "1000001",
  "2147483647", "2147483648", "4294967296", "9223372036854775807",
  "1e300", "-1e300", "1e-300", "nan", "inf", "-inf", "0x10", " 1", "1 ",
  "0.0001", "8", "8.0000001", "0.5", "1.0", "1,2", "1,2,3", "0,0,0",
  "1,2,3,4", "nan,1,1", "-1,1,1", "1e39,1,1", ",,", "large", "small",
  "large-minimalistic", "small-minimalistic", "medium", "symmetric",
  "tf-same", "same", "\n", "a\nb\n", "\n\n\n", "a\r\nb", "\xc3\xa9",
};

static const char *const meta_keys[] = {
  "mnv3.arch", "mnv3.width", "mnv3.input_size", "mnv3.padding", "mnv3.mean",
  "mnv3.std", "mnv3.bn_eps", "mnv3.num_classes", "mnv3.source",
  "mnv3.labels", "mnv3.act_quant",
};

/* Nesting depths around the loader's limit (32) and far beyond it. */
static const int depths[] = { 1, 2, 31, 32, 33, 64, 1000, 30000 };

/* Appends @depth nested arrays / objects (mixed) to @s. */
static void
append_nest (GString * s, int depth, unsigned int *r)
{
  char *close = g_malloc (depth + 1);
  for (int i = 0; i < depth; i++) {
    if (rand_r (r) % 2) {
      g_string_append_c (s, '[');
      close[depth - 1 - i] = ']';
    } else {
      g_string_append (s, "{\"k\":");
      close[depth - 1 - i] = '}';
    }
  }
  g_string_append (s, rand_r (r) % 2 ? "1" : "\"x\"");
  /* a deep but unbalanced text now and then */
  g_string_append_len (s, close, rand_r (r) % 8 == 0 ? depth / 2 : depth);
  g_free (close);
}

/* The mutator parses headers with json-glib too: never hand it a text
 * deeper than this (brackets inside strings counted too: conservative). */
static gboolean
shallow_enough (const char *t, size_t len)
{
  int depth = 0;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '[' || t[i] == '{') {
      if (++depth > 200)
        return FALSE;
    } else if (t[i] == ']' || t[i] == '}') {
      depth--;
    }
  }
  return TRUE;
}

/* JSON-structure changes made on the text (json-glib would recurse on a
 * deep tree): deep nesting at the top level, in __metadata__ or in the
 * mnv3.act_quant string; a second value after the object; comments and
 * single quotes json-glib accepts and the format does not. */
static char *
mutate_json_text (const char *json, unsigned int *r)
{
  int depth = depths[rand_r (r) % G_N_ELEMENTS (depths)];
  GString *s = g_string_new (NULL);
  const char *at;
  switch (rand_r (r) % 6) {
    case 0:                    /* top level */
      g_string_append (s, "{\"n\":");
      append_nest (s, depth, r);
      g_string_append (s, json[1] == '}' ? "" : ",");
      g_string_append (s, json + 1);
      break;
    case 1:                    /* in __metadata__ */
      at = strstr (json, "\"__metadata__\":{");
      if (!at)
        goto fail;
      at += strlen ("\"__metadata__\":{");
      g_string_append_len (s, json, at - json);
      g_string_append (s, "\"n\":");
      append_nest (s, depth, r);
      g_string_append (s, *at == '}' ? "" : ",");
      g_string_append (s, at);
      break;
    case 2:{                   /* mnv3.act_quant, a string of JSON */
      GString *q = g_string_new ("{\"input\":");
      append_nest (q, depth, r);
      g_string_append_c (q, '}');
      JsonNode *str = json_node_init_string (json_node_alloc (), q->str);
      char *quoted = json_to_string (str, FALSE);
      json_node_unref (str);
      g_string_free (q, TRUE);
      at = strstr (json, "\"__metadata__\":{");
      if (!at) {
        g_free (quoted);
        goto fail;
      }
      at += strlen ("\"__metadata__\":{");
      g_string_append_len (s, json, at - json);
      g_string_append_printf (s, "\"mnv3.act_quant\":%s", quoted);
      g_string_append (s, *at == '}' ? "" : ",");
      g_string_append (s, at);
      g_free (quoted);
      break;
    }
    case 3:                    /* two values */
      g_string_append (s, json);
      g_string_append (s, rand_r (r) % 2 ? json : " {}");
      break;
    case 4:                    /* a comment json-glib would skip */
      g_string_append (s, "{/* \" */");
      g_string_append (s, json + 1);
      break;
    default:                   /* single quotes */
      g_string_append (s, "{'n':'[[[[',");
      g_string_append (s, json + 1);
      break;
  }
  return g_string_free (s, FALSE);
fail:
  g_string_free (s, TRUE);
  return NULL;
}

static const char *const dtypes[] = {
  "F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL", "F8_E4M3",
  "f32", "", "F3",
};

static const gint64 interesting_ints[] = {
  0, 1, 2, 3, 7, 8, 16, 64, 255, 256, 4096, 65535, 65536, G_MAXINT32,
  (gint64) G_MAXINT32 + 1, G_MAXUINT32, (gint64) G_MAXUINT32 + 1,
  G_MAXINT64 / 4 + 1, G_MAXINT64, -1, G_MININT64,
};

static JsonNode *
random_value (unsigned int *r)
{
  JsonNode *n = json_node_alloc ();
  switch (rand_r (r) % 8) {
    case 0:
      return json_node_init_null (n);
    case 1:
      return json_node_init_double (n, rand_r (r) % 2 ? 1e300 : 0.5);
    case 2:
      return json_node_init_boolean (n, TRUE);
    case 3:
      return json_node_init_object (n, json_object_new ());
    case 4:
      return json_node_init_array (n, json_array_new ());
    case 5:
      return json_node_init_string (n,
          interesting_strings[rand_r (r) % G_N_ELEMENTS (interesting_strings)]);
    default:
      return json_node_init_int (n,
          interesting_ints[rand_r (r) % G_N_ELEMENTS (interesting_ints)]);
  }
}

/* Replaces element @i of @a with @v (json-glib has no set_element). */
static void
array_set (JsonArray * a, guint i, JsonNode * v)
{
  JsonArray *copy = json_array_new ();
  guint n = json_array_get_length (a);
  for (guint j = 0; j < n; j++) {
    if (j == i)
      json_array_add_element (copy, v);
    else
      json_array_add_element (copy,
          json_node_copy (json_array_get_element (a, j)));
  }
  for (guint j = n; j > 0; j--)
    json_array_remove_element (a, j - 1);
  for (guint j = 0; j < n; j++)
    json_array_add_element (a, json_node_copy (json_array_get_element (copy,
                j)));
  json_array_unref (copy);
}

/* json-glib getters emit criticals (fatal here) on the wrong node type. */
static JsonArray *
get_array (JsonObject * o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static gint64
get_int (JsonArray * a, guint i)
{
  JsonNode *n = json_array_get_element (a, i);
  return n && JSON_NODE_HOLDS_VALUE (n) &&
      json_node_get_value_type (n) == G_TYPE_INT64 ? json_node_get_int (n) : 0;
}

static JsonNode *
int_node (gint64 v)
{
  return json_node_init_int (json_node_alloc (), v);
}

/* One structural change to the header; returns the new JSON text or NULL. */
static char *
mutate_structure (const char *json, size_t len, unsigned int *r)
{
  if (!shallow_enough (json, len))
    return NULL;
  JsonParser *p = json_parser_new ();
  char *out = NULL;
  if (!json_parser_load_from_data (p, json, (gssize) len, NULL))
    goto done;
  JsonNode *root = json_parser_get_root (p);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    goto done;
  JsonObject *obj = json_node_get_object (root);
  GList *members = json_object_get_members (obj);
  guint n = g_list_length (members);
  if (n == 0) {
    g_list_free (members);
    goto done;
  }
  /* The metadata is one member among ~200 tensors: favour it. */
  const char *name = rand_r (r) % 4 == 0 &&
      json_object_has_member (obj, "__metadata__") ? "__metadata__" :
      g_list_nth_data (members, rand_r (r) % n);
  JsonNode *node = json_object_get_member (obj, name);

  if (strcmp (name, "__metadata__") == 0 && JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *meta = json_node_get_object (node);
    const char *key = meta_keys[rand_r (r) % G_N_ELEMENTS (meta_keys)];
    switch (rand_r (r) % 6) {
      case 0:
        json_object_remove_member (meta, key);
        break;
      case 1:
        json_object_set_member (meta, key, random_value (r));
        break;
      default:
        json_object_set_string_member (meta, key,
            interesting_strings[rand_r (r) %
                G_N_ELEMENTS (interesting_strings)]);
        break;
    }
  } else if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *t = json_node_get_object (node);
    JsonArray *a;
    switch (rand_r (r) % 10) {
      case 0:
        json_object_remove_member (obj, name);
        break;
      case 1:{
        char *nn = g_strdup_printf ("%s%s", name,
            rand_r (r) % 2 ? "x" : ".0.weight");
        json_object_set_member (obj, nn, json_node_copy (node));
        g_free (nn);
        break;
      }
      case 2:
        json_object_set_string_member (t, "dtype",
            dtypes[rand_r (r) % G_N_ELEMENTS (dtypes)]);
        break;
      case 3:
      case 4:
        a = get_array (t, "shape");
        if (a && json_array_get_length (a) > 0) {
          guint i = rand_r (r) % json_array_get_length (a);
          gint64 v = rand_r (r) % 2 ?
              interesting_ints[rand_r (r) % G_N_ELEMENTS (interesting_ints)] :
              (gint64) ((guint64) get_int (a, i) +
              (rand_r (r) % 2 ? 1 : G_MAXUINT64));
          array_set (a, i, int_node (v));
        }
        break;
      case 5:
        a = get_array (t, "shape");
        if (a && rand_r (r) % 2)
          json_array_add_int_element (a, 1);
        else if (a && json_array_get_length (a) > 0)
          json_array_remove_element (a, json_array_get_length (a) - 1);
        break;
      case 6:
      case 7:
        a = get_array (t, "data_offsets");
        if (a && json_array_get_length (a) == 2) {
          guint i = rand_r (r) % 2;
          gint64 v = get_int (a, i);
          switch (rand_r (r) % 3) {
            case 0:
              v = interesting_ints[rand_r (r) %
                  G_N_ELEMENTS (interesting_ints)];
              break;
            case 1:
              v = (gint64) ((guint64) v + (rand_r (r) % 9) - 4);        /* wraps */
              break;
            default:
              v = get_int (a, 1 - i);
              break;
          }
          array_set (a, i, int_node (v));
        }
        break;
      case 8:
        json_object_set_member (t, rand_r (r) % 2 ? "shape" : "data_offsets",
            random_value (r));
        break;
      default:
        json_object_set_member (obj, name, random_value (r));
        break;
    }
  }
  g_list_free (members);
  out = json_to_string (root, FALSE);
  if (rand_r (r) % 4 == 0) {
    char *t = mutate_json_text (out, r);
    if (t) {
      g_free (out);
      out = t;
    }
  }
done:
  g_object_unref (p);
  return out;
}

size_t
LLVMFuzzerCustomMutator (uint8_t * data, size_t size, size_t max_size,
    unsigned int seed)
{
  unsigned int r = seed;
  uint64_t hlen = 0;
  unsigned choice = rand_r (&r) % 16;

  if (size >= 8) {
    for (int i = 7; i >= 0; i--)
      hlen = (hlen << 8) | data[i];
  }
  if (size < 8 || hlen > size - 8 || choice < 3)
    return LLVMFuzzerMutate (data, size, max_size);

  size_t body = size - 8 - hlen;
  if (max_size < 8 + body + 2)
    return LLVMFuzzerMutate (data, size, max_size);
  size_t cap = max_size - 8 - body;
  uint8_t *hdr = malloc (cap + 1);
  size_t new_hlen;
  memcpy (hdr, data + 8, hlen);

  if (choice < 9) {
    char *s = mutate_structure ((const char *) hdr, hlen, &r);
    if (s && strlen (s) <= cap) {
      new_hlen = strlen (s);
      memcpy (hdr, s, new_hlen);
    } else {
      new_hlen = LLVMFuzzerMutate (hdr, hlen, cap);
    }
    g_free (s);
  } else {
    new_hlen = LLVMFuzzerMutate (hdr, hlen, cap);
  }

  memmove (data + 8 + new_hlen, data + 8 + hlen, body);
  memcpy (data + 8, hdr, new_hlen);
  for (int i = 0; i < 8; i++)
    data[i] = (uint8_t) ((uint64_t) new_hlen >> (8 * i));
  free (hdr);
  return 8 + new_hlen + body;
}

#endif /* MNV3_FUZZ_REPLAY */
