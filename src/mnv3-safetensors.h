/* libmnv3: the safetensors container (internal)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reading a file safely, the 8-byte header length, the JSON header (with a
 * bounded nesting depth), tensor entries (dtype, shape, data offsets) and
 * the string metadata. Nothing here knows about MobileNetV3: mnv3-model.c
 * asks for tensors by name.
 */
#ifndef __MNV3_SAFETENSORS_H__
#define __MNV3_SAFETENSORS_H__

#include <json-glib/json-glib.h>
#include "mnv3.h"

G_BEGIN_DECLS

/* Limits (models/FORMAT.md section 1). */
#define MNV3_ST_MAX_FILE_BYTES ((guint64) 1 << 30)     /* 1 GiB */
#define MNV3_ST_MAX_HEADER_BYTES (64u << 20)    /* 64 MiB */
#define MNV3_ST_MAX_JSON_DEPTH 32
#define MNV3_ST_MAX_DIMS 8

typedef enum
{
  MNV3_ST_F32,
  MNV3_ST_F16,
  MNV3_ST_OTHER,                /* a known safetensors dtype we do not compute in */
  MNV3_ST_U8, MNV3_ST_I8, MNV3_ST_I32,  /* quantized weights (mnv3.int_quant) */
} Mnv3StDType;

typedef struct
{
  const char *name;             /* key in the header (owned by the parser) */
  Mnv3StDType dtype;
  const char *dtype_name;
  int ndim;
  int64_t shape[MNV3_ST_MAX_DIMS];
  uint64_t numel;
  uint64_t begin, end;          /* relative to the data section */
  const guint8 *data;           /* points into the caller's buffer */
  gboolean used;                /* set by mnv3_safetensors_read_f32 () */
} Mnv3StTensor;

typedef struct
{
  const char *file;             /* for messages */
  JsonParser *parser;
  GHashTable *tensors;          /* name -> Mnv3StTensor* */
  Mnv3StTensor *entries;
  guint n_entries;
  JsonObject *metadata;         /* may be NULL */
} Mnv3SafeTensors;

/* Reads a whole regular file of at most @max_bytes into memory (g_free).
 * FIFOs, devices and directories are refused without blocking (opened
 * O_NONBLOCK, then fstat); a file whose size or modification time changes
 * while it is read is refused (MNV3_ERROR_IO, "changed while"). */
guint8 *mnv3_file_read (const char *path, guint64 max_bytes, size_t * size,
    GError ** error);

/* Recognises other model formats by their first bytes. Returns a
 * description such as "a TensorFlow Lite model (.tflite)", or NULL. */
const char *mnv3_format_sniff (const guint8 * data, size_t size);

/* Parses a JSON text whose nesting is at most @max_depth and that holds
 * exactly one value (nothing but whitespace after it). On failure returns
 * NULL and sets @why to a newly allocated sentence. */
JsonParser *mnv3_json_parse_bounded (const char *text, size_t len,
    int max_depth, char **why);

/* Parses and validates the container: every entry well-formed, every
 * offset inside the data section, sizes consistent with shape and dtype,
 * no two tensors overlapping. @data must outlive @st. */
gboolean mnv3_safetensors_parse (Mnv3SafeTensors * st, const char *file,
    const guint8 * data, size_t size, GError ** error);
void mnv3_safetensors_clear (Mnv3SafeTensors * st);

Mnv3StTensor *mnv3_safetensors_lookup (const Mnv3SafeTensors * st,
    const char *name);

/* A string value of __metadata__, or NULL (absent or not a string). */
const char *mnv3_safetensors_meta (const Mnv3SafeTensors * st,
    const char *key);
gboolean mnv3_safetensors_meta_has (const Mnv3SafeTensors * st,
    const char *key);

/* The values of @t (F32 or F16) as newly allocated floats, checked finite;
 * marks @t used. */
float *mnv3_safetensors_read_f32 (const Mnv3SafeTensors * st,
    Mnv3StTensor * t, GError ** error);

G_END_DECLS

#endif /* __MNV3_SAFETENSORS_H__ */
