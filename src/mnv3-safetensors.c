/* libmnv3: the safetensors container
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The format is in models/FORMAT.md section 1: 8-byte little-endian header
 * length, a JSON header (tensor name -> dtype, shape, data_offsets; plus
 * "__metadata__"), then the raw little-endian tensor data. Every number in
 * the header is bounds-checked against the file before use. The JSON is
 * pre-scanned before json-glib sees it: json-glib recurses once per
 * nesting level, so a deep header would overflow the stack.
 *
 * Files are read into memory rather than mapped: a mapped file that is
 * truncated while we read it raises SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mnv3-safetensors.h"

static const char *const dtype_names[] = {
  "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL",
  "U16", "U32", "U64", "F8_E4M3", "F8_E5M2"
};

static const int dtype_sizes[] = {
  4, 2, 2, 8, 8, 4, 2, 1, 1, 1, 2, 4, 8, 1, 1
};

/* Reading */

static gboolean
same_file_state (const struct stat *a, const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
      a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
      a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
      a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
      a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static const char *
file_kind (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO (named pipe)";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

guint8 *
mnv3_file_read (const char *path, guint64 max_bytes, size_t *size,
    GError ** error)
{
  struct stat before, after;
  guint8 *buf = NULL;
  size_t got = 0;
  int fd;

  /* O_NONBLOCK: opening a FIFO without a writer must not block; fstat
   * then refuses it. */
  do {
    fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int e = errno;
    g_set_error (error, MNV3_ERROR, e == ENOENT ? MNV3_ERROR_NOT_FOUND :
        MNV3_ERROR_IO, "%s: cannot open: %s", path, g_strerror (e));
    return NULL;
  }
  if (fstat (fd, &before) != 0) {
    int e = errno;
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s: cannot stat: %s",
        path, g_strerror (e));
    goto fail;
  }
  if (!S_ISREG (before.st_mode)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s is %s, not a regular "
        "file", path, file_kind (before.st_mode));
    goto fail;
  }
  if (before.st_size < 0 || (guint64) before.st_size > max_bytes) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s is %" G_GINT64_FORMAT
        " bytes, more than the limit of %" G_GUINT64_FORMAT " bytes", path,
        (gint64) before.st_size, max_bytes);
    goto fail;
  }
  size_t want = (size_t) before.st_size;
  buf = g_try_malloc (want + 1);
  if (!buf) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s: cannot allocate %zu "
        "bytes to read it", path, want);
    goto fail;
  }
  /* One byte more than the size, to notice a file that grew. */
  while (got < want + 1) {
    ssize_t r = read (fd, buf + got, want + 1 - got);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
      continue;
    if (r < 0) {
      int e = errno;
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s: read error: %s",
          path, g_strerror (e));
      goto fail;
    }
    if (r == 0)
      break;
    got += (size_t) r;
  }
  if (fstat (fd, &after) != 0 || got != want ||
      !same_file_state (&before, &after)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IO, "%s changed while it was "
        "being read (it is being written or replaced?): try again when it "
        "is complete", path);
    goto fail;
  }
  close (fd);
  *size = want;
  return buf;

fail:
  g_free (buf);
  close (fd);
  return NULL;
}

/* Other formats */

const char *
mnv3_format_sniff (const guint8 * d, size_t n)
{
  if (n >= 8 && memcmp (d + 4, "TFL3", 4) == 0)
    return "a TensorFlow Lite model (.tflite)";
  if (n >= 8 && memcmp (d, "\x89HDF\r\n\x1a\n", 8) == 0)
    return "an HDF5 file (a Keras .h5 model)";
  if (n >= 4 && memcmp (d, "PK\x03\x04", 4) == 0) {
    size_t look = MIN (n, 65536);
    if (memmem (d, look, "data.pkl", 8))
      return "a PyTorch checkpoint (.pth, zip)";
    if (memmem (d, look, "model.weights.h5", 16) ||
        memmem (d, look, "metadata.json", 13) ||
        memmem (d, look, "config.json", 11))
      return "a Keras 3 model (.keras)";
    return "a zip archive (a PyTorch .pth or a Keras .keras model?)";
  }
  if (n >= 2 && d[0] == 0x80 && d[1] >= 2 && d[1] <= 5)
    return "a PyTorch checkpoint (.pth, pickle)";
  /* ONNX ModelProto: field 1 (ir_version, varint) first, then a string
   * field or opset_import / graph. */
  if (n >= 3 && d[0] == 0x08 && d[1] >= 1 && d[1] <= 32 &&
      (d[2] == 0x12 || d[2] == 0x1a || d[2] == 0x22 || d[2] == 0x28 ||
          d[2] == 0x32 || d[2] == 0x3a || d[2] == 0x42))
    return "an ONNX model (.onnx)";
  return NULL;
}

/* JSON */

static gboolean
json_ws (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Strict JSON lexing of brackets and strings, so that the depth seen here
 * is the depth json-glib would recurse to (json-glib also accepts single
 * quotes and comments: they are refused here, so nothing can hide a
 * bracket from this scan). Finds the end of the top-level object. */
static gboolean
json_prescan (const char *t, size_t len, int max_depth, char **why)
{
  size_t i = 0;
  int depth = 0;

  while (i < len && json_ws (t[i]))
    i++;
  if (i == len || t[i] != '{') {
    *why = g_strdup ("is not a JSON object");
    return FALSE;
  }
  for (; i < len; i++) {
    char c = t[i];
    if (c == '"') {
      for (i++; i < len && t[i] != '"'; i++) {
        if ((guchar) t[i] < 0x20) {
          *why = g_strdup_printf ("has a control character in a string at "
              "byte %zu", i);
          return FALSE;
        }
        if (t[i] == '\\' && i + 5 < len && memcmp (t + i + 1, "u0000", 5) == 0) {
          /* would cut the C string json-glib returns */
          *why = g_strdup_printf ("has a NUL character (\\u0000) in a string "
              "at byte %zu", i);
          return FALSE;
        }
        if (t[i] == '\\')
          i++;
      }
      if (i >= len) {
        *why = g_strdup ("ends inside a string");
        return FALSE;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        *why = g_strdup_printf ("is nested more than %d levels deep",
            max_depth);
        return FALSE;
      }
    } else if (c == '}' || c == ']') {
      if (--depth == 0)
        break;
    } else if (!(json_ws (c) || c == ':' || c == ',' || c == '-' ||
            c == '+' || c == '.' || g_ascii_isalnum (c))) {
      *why = g_strdup_printf ("is not valid JSON (unexpected '%c' at byte "
          "%zu)", g_ascii_isprint (c) ? c : '?', i);
      return FALSE;
    }
  }
  if (i >= len) {
    *why = g_strdup ("is not valid JSON (the object is not closed)");
    return FALSE;
  }
  for (i++; i < len; i++) {
    if (!json_ws (t[i])) {
      *why = g_strdup_printf ("holds more than one JSON value (more text "
          "after the object's closing brace, at byte %zu)", i);
      return FALSE;
    }
  }
  return TRUE;
}

JsonParser *
mnv3_json_parse_bounded (const char *text, size_t len, int max_depth,
    char **why)
{
  GError *jerr = NULL;

  if (memchr (text, 0, len) || !g_utf8_validate (text, (gssize) len, NULL)) {
    *why = g_strdup ("is not UTF-8 text");
    return NULL;
  }
  if (!json_prescan (text, len, max_depth, why))
    return NULL;
  JsonParser *parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, (gssize) len, &jerr)) {
    *why = g_strdup_printf ("is not valid JSON: %s", jerr->message);
    g_error_free (jerr);
    g_object_unref (parser);
    return NULL;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT (root)) {
    *why = g_strdup ("is not a JSON object");
    g_object_unref (parser);
    return NULL;
  }
  return parser;
}

/* The container */

static int
compare_entries (const void *a, const void *b)
{
  const Mnv3StTensor *const *x = a, *const *y = b;
  if ((*x)->begin != (*y)->begin)
    return (*x)->begin < (*y)->begin ? -1 : 1;
  return (*x)->end < (*y)->end ? -1 : ((*x)->end > (*y)->end);
}

static gboolean
json_get_uint (JsonNode * node, uint64_t * out)
{
  if (!node || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  gint64 v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (uint64_t) v;
  return TRUE;
}

static gboolean
parse_entry (Mnv3SafeTensors * st, const char *name, JsonNode * node,
    const guint8 * base, uint64_t data_size, GError ** error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
        "%s: tensor '%s': entry is not an object", st->file, name);
    return FALSE;
  }
  JsonObject *t = json_node_get_object (node);
  Mnv3StTensor *e = &st->entries[st->n_entries++];
  e->name = name;

  JsonNode *dn = json_object_get_member (t, "dtype");
  const char *dtype = (dn && JSON_NODE_HOLDS_VALUE (dn) &&
      json_node_get_value_type (dn) == G_TYPE_STRING) ?
      json_node_get_string (dn) : NULL;
  int esize = 0;
  for (guint i = 0; dtype && i < G_N_ELEMENTS (dtype_names); i++) {
    if (strcmp (dtype, dtype_names[i]) == 0) {
      esize = dtype_sizes[i];
      e->dtype = i == 0 ? MNV3_ST_F32 : (i == 1 ? MNV3_ST_F16 : MNV3_ST_OTHER);
      e->dtype = i == 8 ? MNV3_ST_U8 : (i == 7 ? MNV3_ST_I8 : (i == 5 ?
              MNV3_ST_I32 : e->dtype));
      e->dtype_name = dtype_names[i];
    }
  }
  if (!esize) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_DTYPE,
        "%s: tensor '%s': unknown dtype '%s'", st->file, name,
        dtype ? dtype : "(missing)");
    return FALSE;
  }

  JsonNode *sn = json_object_get_member (t, "shape");
  if (!sn || !JSON_NODE_HOLDS_ARRAY (sn)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
        "%s: tensor '%s': missing or invalid shape", st->file, name);
    return FALSE;
  }
  JsonArray *sa = json_node_get_array (sn);
  guint nd = json_array_get_length (sa);
  if (nd > MNV3_ST_MAX_DIMS) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
        "%s: tensor '%s': %u dimensions (at most %d)", st->file, name,
        nd, MNV3_ST_MAX_DIMS);
    return FALSE;
  }
  uint64_t numel = 1;
  e->ndim = (int) nd;
  for (guint i = 0; i < nd; i++) {
    uint64_t d;
    if (!json_get_uint (json_array_get_element (sa, i), &d) ||
        d > G_MAXINT32 || __builtin_mul_overflow (numel, d, &numel)) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
          "%s: tensor '%s': invalid shape dimension %u", st->file, name, i);
      return FALSE;
    }
    e->shape[i] = (int64_t) d;
  }
  e->numel = numel;

  JsonNode *on = json_object_get_member (t, "data_offsets");
  JsonArray *oa = (on && JSON_NODE_HOLDS_ARRAY (on)) ?
      json_node_get_array (on) : NULL;
  if (!oa || json_array_get_length (oa) != 2 ||
      !json_get_uint (json_array_get_element (oa, 0), &e->begin) ||
      !json_get_uint (json_array_get_element (oa, 1), &e->end) ||
      e->begin > e->end) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
        "%s: tensor '%s': missing or invalid data_offsets", st->file, name);
    return FALSE;
  }
  if (e->end > data_size) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_OFFSET,
        "%s: tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %"
        G_GUINT64_FORMAT "] run past the end of the data (%"
        G_GUINT64_FORMAT " bytes): file truncated or corrupt", st->file,
        name, (guint64) e->begin, (guint64) e->end, (guint64) data_size);
    return FALSE;
  }
  uint64_t nbytes;
  if (__builtin_mul_overflow (numel, (uint64_t) esize, &nbytes) ||
      nbytes != e->end - e->begin) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_OFFSET,
        "%s: tensor '%s': %" G_GUINT64_FORMAT " bytes of data for a "
        "shape that needs %" G_GUINT64_FORMAT, st->file, name,
        (guint64) (e->end - e->begin), (guint64) nbytes);
    return FALSE;
  }
  e->data = base + e->begin;
  g_hash_table_insert (st->tensors, (gpointer) name, e);
  return TRUE;
}

gboolean
mnv3_safetensors_parse (Mnv3SafeTensors * st, const char *file,
    const guint8 * data, size_t size, GError ** error)
{
  memset (st, 0, sizeof *st);
  st->file = file;
  if (size < 8) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_TRUNCATED,
        "%s: file is %zu bytes, too short for the 8-byte safetensors "
        "header length", file, size);
    return FALSE;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | data[i];
  if (hlen > size - 8) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_TRUNCATED,
        "%s: header length %" G_GUINT64_FORMAT " is larger than the rest "
        "of the file (%zu bytes): truncated or not a safetensors file",
        file, (guint64) hlen, size - 8);
    return FALSE;
  }
  if (hlen < 2 || hlen > MNV3_ST_MAX_HEADER_BYTES) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
        "%s: header length %" G_GUINT64_FORMAT " is not plausible (2 to "
        "%u bytes)", file, (guint64) hlen, MNV3_ST_MAX_HEADER_BYTES);
    return FALSE;
  }
  const guint8 *base = data + 8 + hlen;
  uint64_t data_size = size - 8 - hlen;

  char *why = NULL;
  st->parser = mnv3_json_parse_bounded ((const char *) data + 8, hlen,
      MNV3_ST_MAX_JSON_DEPTH, &why);
  if (!st->parser) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER, "%s: header %s",
        file, why);
    g_free (why);
    return FALSE;
  }
  JsonObject *obj = json_node_get_object (json_parser_get_root (st->parser));
  GList *members = json_object_get_members (obj);
  guint n = g_list_length (members);
  st->entries = g_new0 (Mnv3StTensor, n);
  st->tensors = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok = FALSE;

  for (GList * l = members; l; l = l->next) {
    const char *name = l->data;
    JsonNode *node = json_object_get_member (obj, name);

    if (strcmp (name, "__metadata__") == 0) {
      if (!JSON_NODE_HOLDS_OBJECT (node)) {
        g_set_error (error, MNV3_ERROR, MNV3_ERROR_HEADER,
            "%s: __metadata__ is not an object", file);
        goto out;
      }
      st->metadata = json_node_get_object (node);
      continue;
    }
    if (!parse_entry (st, name, node, base, data_size, error))
      goto out;
  }

  /* No two tensors may share bytes. */
  Mnv3StTensor **sorted = g_new (Mnv3StTensor *, st->n_entries + 1);
  for (guint i = 0; i < st->n_entries; i++)
    sorted[i] = &st->entries[i];
  qsort (sorted, st->n_entries, sizeof (Mnv3StTensor *), compare_entries);
  for (guint i = 1; i < st->n_entries; i++) {
    if (sorted[i]->begin < sorted[i - 1]->end) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_OFFSET,
          "%s: tensors '%s' and '%s' overlap", file,
          sorted[i - 1]->name, sorted[i]->name);
      g_free (sorted);
      goto out;
    }
  }
  g_free (sorted);
  ok = TRUE;

out:
  g_list_free (members);
  return ok;
}

void
mnv3_safetensors_clear (Mnv3SafeTensors * st)
{
  if (st->tensors)
    g_hash_table_destroy (st->tensors);
  g_free (st->entries);
  g_clear_object (&st->parser);
  memset (st, 0, sizeof *st);
}

Mnv3StTensor *
mnv3_safetensors_lookup (const Mnv3SafeTensors * st, const char *name)
{
  return st->tensors ? g_hash_table_lookup (st->tensors, name) : NULL;
}

const char *
mnv3_safetensors_meta (const Mnv3SafeTensors * st, const char *key)
{
  if (!st->metadata)
    return NULL;
  JsonNode *n = json_object_get_member (st->metadata, key);
  if (!n || !JSON_NODE_HOLDS_VALUE (n) ||
      json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

gboolean
mnv3_safetensors_meta_has (const Mnv3SafeTensors * st, const char *key)
{
  return st->metadata && json_object_has_member (st->metadata, key);
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h >> 15) << 31;
  guint32 exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {                    /* subnormal: renormalize */
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        exp--;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

float *
mnv3_safetensors_read_f32 (const Mnv3SafeTensors * st, Mnv3StTensor * e,
    GError ** error)
{
  if (e->dtype != MNV3_ST_F32 && e->dtype != MNV3_ST_F16) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_DTYPE,
        "%s: tensor '%s' has dtype %s, expected F32 or F16", st->file,
        e->name, e->dtype_name);
    return NULL;
  }
  size_t numel = (size_t) e->numel;
  float *out = g_new (float, numel ? numel : 1);
  if (e->dtype == MNV3_ST_F32) {
    memcpy (out, e->data, numel * 4);
    if (G_BYTE_ORDER == G_BIG_ENDIAN) {
      guint32 *u = (guint32 *) out;
      for (size_t i = 0; i < numel; i++)
        u[i] = GUINT32_FROM_LE (u[i]);
    }
  } else {
    for (size_t i = 0; i < numel; i++)
      out[i] = half_to_float ((guint16) (e->data[2 * i] |
              (e->data[2 * i + 1] << 8)));
  }
  for (size_t i = 0; i < numel; i++) {
    if (!isfinite (out[i])) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_VALUE,
          "%s: tensor '%s' holds a non-finite value (%g at index %zu)",
          st->file, e->name, out[i], i);
      g_free (out);
      return NULL;
    }
  }
  e->used = TRUE;
  return out;
}
