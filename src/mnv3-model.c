/* libmnv3: MobileNetV3 assembly from a safetensors file, BatchNorm folding
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The format is in models/FORMAT.md; the container (header, offsets,
 * dtypes, reading the file) is mnv3-safetensors.c. Here the metadata is
 * checked (every required key present), the tensors are checked against
 * the architecture named in the metadata, converted to f32,
 * BatchNorm-folded and packed into the kernels' layouts. The file's bytes
 * are released at the end of loading.
 */
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "mnv3-private.h"
#include "mnv3-safetensors.h"

typedef struct
{
  const char *file;             /* for messages */
  Mnv3SafeTensors st;
  float bn_eps;
  JsonParser *iq_parser;        /* mnv3.int_quant, if present */
  JsonObject *iq_weights;       /* its "weights": name -> [[scales], [zps]] */
  GHashTable *qtensors;         /* name -> Mnv3QTensor, moved to the model */
} LoadCtx;

static const char *
meta_get (LoadCtx * ctx, const char *key)
{
  return mnv3_safetensors_meta (&ctx->st, key);
}

static gboolean
parse_double (const char *s, double *out)
{
  char *end;
  if (!s || !*s)
    return FALSE;
  *out = g_ascii_strtod (s, &end);
  while (*end == ' ')
    end++;
  return *end == '\0' && isfinite (*out);
}

static gboolean
parse_triple (const char *s, float out[3])
{
  if (!s)
    return FALSE;
  gchar **parts = g_strsplit (s, ",", -1);
  gboolean ok = g_strv_length (parts) == 3;
  for (int i = 0; ok && i < 3; i++) {
    double v;
    ok = parse_double (g_strstrip (parts[i]), &v);
    out[i] = (float) v;
  }
  g_strfreev (parts);
  return ok;
}

static void
qtensor_free (gpointer p)
{
  Mnv3QTensor *q = p;
  g_free (q->v);
  g_free (q->scale);
  g_free (q->zero_point);
  g_free (q);
}

/* An integer tensor of a mnv3.int_quant file (models/FORMAT.md 2b): its
 * values are kept as they are (ctx->qtensors, for the integer engine) and
 * returned dequantized, (q - zero_point) * scale per output channel (the
 * first dimension), for the float path. */
static float *
get_qtensor (LoadCtx * ctx, Mnv3StTensor * e, size_t numel, GError ** error)
{
  JsonNode *n = json_object_get_member (ctx->iq_weights, e->name);
  JsonArray *a = n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) :
      NULL;
  JsonNode *sn = a && json_array_get_length (a) == 2 ?
      json_array_get_element (a, 0) : NULL;
  JsonNode *zn = a && json_array_get_length (a) == 2 ?
      json_array_get_element (a, 1) : NULL;
  JsonArray *sa = sn && JSON_NODE_HOLDS_ARRAY (sn) ?
      json_node_get_array (sn) : NULL;
  JsonArray *za = zn && JSON_NODE_HOLDS_ARRAY (zn) ?
      json_node_get_array (zn) : NULL;
  guint ns = sa ? json_array_get_length (sa) : 0;
  size_t rows = e->ndim > 0 ? (size_t) e->shape[0] : 1;
  if (!sa || !za || json_array_get_length (za) != ns
      || (ns != 1 && ns != rows) || numel == 0) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.int_quant: tensor '%s' (%s) needs an entry "
        "[[scales], [zero points]] with 1 or %zu values each", ctx->file,
        e->name, e->dtype_name, rows);
    return NULL;
  }
  Mnv3QTensor *q = g_new0 (Mnv3QTensor, 1);
  q->n = numel;
  q->n_scale = (int) ns;
  q->v = g_new (int32_t, numel);
  q->scale = g_new (float, ns);
  q->zero_point = g_new (int32_t, ns);
  for (guint i = 0; i < ns; i++) {
    JsonNode *si = json_array_get_element (sa, i);
    JsonNode *zi = json_array_get_element (za, i);
    double sv = JSON_NODE_HOLDS_VALUE (si) ? json_node_get_double (si) : 0;
    double zv = JSON_NODE_HOLDS_VALUE (zi) ? json_node_get_double (zi) : 1e9;
    q->scale[i] = (float) sv;
    q->zero_point[i] = (int32_t) zv;
    if (!(sv > 0 && isfinite (sv)) || zv != rint (zv)
        || fabs (zv) > (e->dtype == MNV3_ST_I32 ? 0 : 255)) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.int_quant: tensor '%s' has scale %g and zero "
          "point %g at %u", ctx->file, e->name, sv, zv, i);
      qtensor_free (q);
      return NULL;
    }
  }
  float *out = g_new (float, numel);
  size_t per = numel / rows;
  for (size_t i = 0; i < numel; i++) {
    const guint8 *d = e->data;
    int32_t v = e->dtype == MNV3_ST_U8 ? d[i] : e->dtype == MNV3_ST_I8 ?
        (int8_t) d[i] : (int32_t) (d[4 * i] | (d[4 * i + 1] << 8) |
        (d[4 * i + 2] << 16) | ((guint32) d[4 * i + 3] << 24));
    int c = ns == 1 ? 0 : (int) (i / per);
    q->v[i] = v;
    out[i] = (float) (((double) v - q->zero_point[c]) * q->scale[c]);
  }
  g_hash_table_replace (ctx->qtensors, (gpointer) e->name, q);
  e->used = TRUE;
  return out;
}

/* Looks up @name, checks its shape against the @nd expected dims (a
 * negative expected dim accepts any size and returns it there), and
 * returns its values as newly allocated floats. */
static float *
get_tensor (LoadCtx * ctx, const char *name, int nd, int64_t * dims,
    GError ** error)
{
  Mnv3StTensor *e = mnv3_safetensors_lookup (&ctx->st, name);
  if (!e) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_MISSING,
        "%s: tensor '%s' is missing", ctx->file, name);
    return NULL;
  }
  gboolean shape_ok = e->ndim == nd;
  for (int i = 0; shape_ok && i < nd; i++)
    shape_ok = dims[i] < 0 ? e->shape[i] > 0 : e->shape[i] == dims[i];
  if (!shape_ok) {
    GString *want = g_string_new ("["), *got = g_string_new ("[");
    for (int i = 0; i < nd; i++) {
      if (dims[i] < 0)
        g_string_append_printf (want, "%s?", i ? ", " : "");
      else
        g_string_append_printf (want, "%s%" G_GINT64_FORMAT, i ? ", " : "",
            dims[i]);
    }
    for (int i = 0; i < e->ndim; i++)
      g_string_append_printf (got, "%s%" G_GINT64_FORMAT, i ? ", " : "",
          e->shape[i]);
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_SHAPE,
        "%s: tensor '%s' has shape %s], expected %s]", ctx->file, name,
        got->str, want->str);
    g_string_free (want, TRUE);
    g_string_free (got, TRUE);
    return NULL;
  }
  for (int i = 0; i < nd; i++)
    if (dims[i] < 0)
      dims[i] = e->shape[i];
  if (e->dtype >= MNV3_ST_U8) {
    if (!ctx->iq_weights) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_DTYPE,
          "%s: tensor '%s' has dtype %s, expected F32 or F16 (integer "
          "weights need mnv3.int_quant)", ctx->file, name, e->dtype_name);
      return NULL;
    }
    return get_qtensor (ctx, e, (size_t) e->numel, error);
  }
  return mnv3_safetensors_read_f32 (&ctx->st, e, error);
}

static gboolean
has_tensor (LoadCtx * ctx, const char *name)
{
  return mnv3_safetensors_lookup (&ctx->st, name) != NULL;
}

typedef enum
{
  CONV_FULL,                    /* stem: OIHW -> k k cin cout */
  CONV_DW,                      /* [c, 1, k, k] -> k*k x c */
  CONV_1X1,                     /* [cout, cin, 1, 1] -> cin x cout */
  CONV_LINEAR,                  /* [cout, cin] -> cin x cout */
} ConvKind;

/* Loads one convolution. Conv2dNormActivation tensors are
 * <prefix>.0.weight (+ <prefix>.0.bias) and <prefix>.1.{weight, bias,
 * running_mean, running_var}, or, for weights folded already,
 * <prefix>.0.weight + <prefix>.0.bias alone. With @bn FALSE the names are
 * <prefix>.weight and <prefix>.bias (SE fc layers, classifier). */
static gboolean
load_conv (LoadCtx * ctx, const char *prefix, gboolean bn, ConvKind kind,
    int cin, int cout, int k, int stride, enum mnv3_act act,
    Mnv3Conv * conv, GError ** error)
{
  g_autofree char *wname = g_strdup_printf (bn ? "%s.0.weight" :
      "%s.weight", prefix);
  g_autofree char *bname = g_strdup_printf (bn ? "%s.0.bias" : "%s.bias",
      prefix);
  g_autofree char *bn_w = g_strdup_printf ("%s.1.weight", prefix);
  g_autofree char *bn_b = g_strdup_printf ("%s.1.bias", prefix);
  g_autofree char *bn_m = g_strdup_printf ("%s.1.running_mean", prefix);
  g_autofree char *bn_v = g_strdup_printf ("%s.1.running_var", prefix);
  int64_t wdims[4] = { 0, 0, 0, 0 };
  int nd = 4;
  float *w = NULL, *b = NULL, *gamma = NULL, *beta = NULL, *mean = NULL,
      *var = NULL;
  gboolean ok = FALSE;

  switch (kind) {
    case CONV_FULL:
      wdims[0] = cout, wdims[1] = cin, wdims[2] = k, wdims[3] = k;
      break;
    case CONV_DW:
      wdims[0] = cout, wdims[1] = 1, wdims[2] = k, wdims[3] = k;
      break;
    case CONV_1X1:
      wdims[0] = cout, wdims[1] = cin, wdims[2] = 1, wdims[3] = 1;
      break;
    case CONV_LINEAR:
      wdims[0] = cout, wdims[1] = cin;
      nd = 2;
      break;
  }
  if (!(w = get_tensor (ctx, wname, nd, wdims, error)))
    goto out;
  /* Dimensions left open (< 0) by the caller are now known. */
  cout = (int) wdims[0];
  if (kind != CONV_DW)
    cin = (int) wdims[1];
  else
    cin = cout;

  int64_t cdim[1] = { cout };
  gboolean with_bn = bn && has_tensor (ctx, bn_w);
  if (has_tensor (ctx, bname) || !with_bn) {
    if (!(b = get_tensor (ctx, bname, 1, cdim, error)))
      goto out;
  } else {
    b = g_new0 (float, cout);
  }

  if (with_bn) {
    if (!(gamma = get_tensor (ctx, bn_w, 1, cdim, error)) ||
        !(beta = get_tensor (ctx, bn_b, 1, cdim, error)) ||
        !(mean = get_tensor (ctx, bn_m, 1, cdim, error)) ||
        !(var = get_tensor (ctx, bn_v, 1, cdim, error)))
      goto out;
    size_t per_out = (size_t) wdims[1] * wdims[2] * wdims[3];
    for (int o = 0; o < cout; o++) {
      if (!(var[o] + ctx->bn_eps > 0.0f)) {
        g_set_error (error, MNV3_ERROR, MNV3_ERROR_VALUE,
            "%s: tensor '%s': running_var %g at %d is not above -eps",
            ctx->file, bn_v, var[o], o);
        goto out;
      }
      /* Fold in double: y = gamma * (conv + b - mean) / sqrt (var + eps)
       * + beta. */
      double s = gamma[o] / sqrt ((double) var[o] + ctx->bn_eps);
      for (size_t i = 0; i < per_out; i++)
        w[o * per_out + i] = (float) (w[o * per_out + i] * s);
      b[o] = (float) (((double) b[o] - mean[o]) * s + beta[o]);
    }
  }

  /* Finite weights can still fold into Inf (a huge gamma over a tiny
   * variance); refuse them rather than produce non-finite logits. */
  size_t n_w = 1;
  for (int i = 0; i < nd; i++)
    n_w *= (size_t) wdims[i];
  for (size_t i = 0; i < n_w + (size_t) cout; i++) {
    float v = i < n_w ? w[i] : b[i - n_w];
    if (!isfinite (v)) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_VALUE,
          "%s: tensors of '%s' fold (BatchNorm) into non-finite weights",
          ctx->file, prefix);
      goto out;
    }
  }

  /* Pack into the kernel layout. */
  conv->cin = cin;
  conv->cout = cout;
  conv->k = k;
  conv->stride = stride;
  conv->act = act;
  size_t total = (size_t) cout * (kind == CONV_DW ? (size_t) k * k :
      (size_t) cin * k * k);
  conv->w = g_aligned_alloc (total ? total : 1, sizeof (float), 64);
  conv->b = g_aligned_alloc (cout, sizeof (float), 64);
  memcpy (conv->b, b, cout * sizeof (float));
  switch (kind) {
    case CONV_FULL:
      for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++)
          for (int y = 0; y < k; y++)
            for (int x = 0; x < k; x++)
              conv->w[((size_t) (y * k + x) * cin + i) * cout + o] =
                  w[(((size_t) o * cin + i) * k + y) * k + x];
      break;
    case CONV_DW:
      for (int c = 0; c < cout; c++)
        for (int t = 0; t < k * k; t++)
          conv->w[(size_t) t * cout + c] = w[(size_t) c * k * k + t];
      break;
    case CONV_1X1:
    case CONV_LINEAR:
      for (int o = 0; o < cout; o++)
        for (int i = 0; i < cin; i++)
          conv->w[(size_t) i * cout + o] = w[(size_t) o * cin + i];
      break;
  }
  ok = TRUE;

out:
  g_free (w);
  g_free (b);
  g_free (gamma);
  g_free (beta);
  g_free (mean);
  g_free (var);
  return ok;
}

static void
conv_clear (Mnv3Conv * c)
{
  g_aligned_free (c->w);
  g_aligned_free (c->b);
  c->w = c->b = NULL;
}

void
mnv3_model_free (Mnv3Model * model)
{
  if (!model)
    return;
  conv_clear (&model->stem);
  for (int i = 0; i < model->n_blocks; i++) {
    Mnv3Block *b = &model->blocks[i];
    conv_clear (&b->expand);
    conv_clear (&b->dw);
    conv_clear (&b->fc1);
    conv_clear (&b->fc2);
    conv_clear (&b->project);
  }
  g_free (model->blocks);
  if (model->act_quant)
    g_free (model->act_quant->blocks);
  g_free (model->act_quant);
  if (model->qtensors)
    g_hash_table_destroy (model->qtensors);
  g_free (model->int_quant);
  mnv3_model_clear_shared (model);
  conv_clear (&model->head);
  conv_clear (&model->hidden);
  conv_clear (&model->classifier);
  g_free (model->name);
  g_free (model->source);
  g_strfreev (model->labels);
  g_free (model);
}

static uint64_t
conv_params (const Mnv3Conv * c, gboolean dw)
{
  if (!c->w)
    return 0;
  return (uint64_t) c->cout * (dw ? c->k * c->k : c->cin * c->k * c->k) +
      c->cout;
}

static gboolean
load_metadata (LoadCtx * ctx, Mnv3Model * m, GError ** error)
{
  Mnv3ModelInfo *info = &m->info;
  const char *s;
  double v;

  /* models/FORMAT.md section 2: no default for a required key. */
  static const char *const required[] = {
    "mnv3.arch", "mnv3.width", "mnv3.input_size", "mnv3.padding",
    "mnv3.mean", "mnv3.std", "mnv3.num_classes"
  };
  /* an embedding-only file (no classifier tensors, Keras include_top=False)
   * has no classes to state */
  gboolean no_classifier = !mnv3_safetensors_lookup (&ctx->st,
      "classifier.0.weight") && !mnv3_safetensors_lookup (&ctx->st,
      "classifier.3.weight");
  for (guint i = 0; i < G_N_ELEMENTS (required); i++) {
    if (no_classifier && strcmp (required[i], "mnv3.num_classes") == 0)
      continue;
    if (!meta_get (ctx, required[i])) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata %s is %s: it is required (models/FORMAT.md "
          "section 2; models/convert.py writes it)", ctx->file, required[i],
          mnv3_safetensors_meta_has (&ctx->st, required[i]) ?
          "not a string" : "missing");
      return FALSE;
    }
  }

  s = meta_get (ctx, "mnv3.arch");
  if (!s || !mnv3_arch_from_string (s, &info->arch)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.arch is %s%s%s, expected large, small, "
        "large-minimalistic or small-minimalistic", ctx->file,
        s ? "'" : "", s ? s : "missing", s ? "'" : "");
    return FALSE;
  }
  info->arch_name = mnv3_arch_to_string (info->arch);

  s = meta_get (ctx, "mnv3.width");
  info->width = 1.0;
  if (s && (!parse_double (s, &info->width) || info->width <= 0.0 ||
          info->width > 8.0)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.width '%s' is not a number in (0, 8]", ctx->file, s);
    return FALSE;
  }

  s = meta_get (ctx, "mnv3.input_size");
  info->input_size = 224;
  if (s) {
    /* Trained sizes are multiples of 32, but any size the strides can
     * reduce works (padding handles odd maps as torch / TF do). */
    if (!parse_double (s, &v) || v < 16 || v > 2048 || v != (int) v) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.input_size '%s' is not an integer between 16 "
          "and 2048", ctx->file, s);
      return FALSE;
    }
    info->input_size = (int) v;
  }

  s = meta_get (ctx, "mnv3.padding");
  if (!s || strcmp (s, "symmetric") == 0) {
    info->padding = MNV3_PADDING_SYMMETRIC;
  } else if (strcmp (s, "tf-same") == 0) {
    info->padding = MNV3_PADDING_TF_SAME;
  } else {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.padding '%s' is not symmetric or tf-same",
        ctx->file, s);
    return FALSE;
  }

  static const float tv_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float tv_std[3] = { 0.229f, 0.224f, 0.225f };
  memcpy (info->mean, tv_mean, sizeof tv_mean);
  memcpy (info->std, tv_std, sizeof tv_std);
  s = meta_get (ctx, "mnv3.mean");
  if (s && !parse_triple (s, info->mean)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.mean '%s' is not three comma-separated numbers",
        ctx->file, s);
    return FALSE;
  }
  s = meta_get (ctx, "mnv3.std");
  if (s && (!parse_triple (s, info->std) || !(info->std[0] > 0) ||
          !(info->std[1] > 0) || !(info->std[2] > 0))) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.std '%s' is not three positive numbers",
        ctx->file, s);
    return FALSE;
  }

  ctx->bn_eps = 1e-3f;
  s = meta_get (ctx, "mnv3.bn_eps");
  if (s) {
    if (!parse_double (s, &v) || v < 0 || v > 1) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.bn_eps '%s' is not a number in [0, 1]",
          ctx->file, s);
      return FALSE;
    }
    ctx->bn_eps = (float) v;
  }

  info->num_classes = -1;
  s = meta_get (ctx, "mnv3.num_classes");
  if (s) {
    if (!parse_double (s, &v) || v < 1 || v > 1000000 || v != (int) v) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.num_classes '%s' is not a positive integer",
          ctx->file, s);
      return FALSE;
    }
    info->num_classes = (int) v;
  }

  s = meta_get (ctx, "mnv3.hard_sigmoid");
  if (!s || strcmp (s, "relu6") == 0) {
    info->hard_sigmoid = MNV3_HARD_SIGMOID_RELU6;
  } else if (strcmp (s, "keras2") == 0) {
    info->hard_sigmoid = MNV3_HARD_SIGMOID_KERAS2;
  } else {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.hard_sigmoid '%s' is not relu6 or keras2",
        ctx->file, s);
    return FALSE;
  }

  m->source = g_strdup (meta_get (ctx, "mnv3.source") ?
      meta_get (ctx, "mnv3.source") : "");
  info->source = m->source;

  s = meta_get (ctx, "mnv3.labels");
  if (s && !g_utf8_validate (s, -1, NULL)) {
    /* e.g. a lone UTF-16 surrogate escape, "\ud800" */
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.labels is not valid UTF-8", ctx->file);
    return FALSE;
  }
  if (s && *s) {
    gchar **lines = g_strsplit (s, "\n", -1);
    guint n = g_strv_length (lines);
    if (n > 0 && lines[n - 1][0] == '\0') {     /* trailing newline */
      g_free (lines[n - 1]);
      lines[--n] = NULL;
    }
    for (guint i = 0; i < n; i++)
      g_strchomp (lines[i]);
    m->labels = lines;
    info->labels = (const char *const *) lines;
    info->n_labels = (int) n;
  }
  return TRUE;
}

/* mnv3.act_quant: one slot per rounding point of the architecture. */
typedef struct
{
  char *key;
  struct mnv3_qgrid *grid;
  float *constant;              /* the 5th value (relu6 / hsigmoid), or NULL */
  gboolean seen;
} QuantSlot;

static void
add_slot (GArray * slots, char *key, struct mnv3_qgrid *grid, float *constant)
{
  QuantSlot s = { key, grid, constant, FALSE };
  g_array_append_val (slots, s);
}

static void
add_unit_slots (GArray * slots, const char *prefix, const Mnv3Conv * c,
    Mnv3UnitQuant * u)
{
  add_slot (slots, g_strdup (prefix), &u->out, NULL);
  if (c->act == MNV3_ACT_HSWISH)
    add_slot (slots, g_strdup_printf ("%s.hswish", prefix), &u->act, NULL);
}

static gboolean
json_number (JsonNode * n, double *out)
{
  if (!n || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  GType t = json_node_get_value_type (n);
  if (t == G_TYPE_INT64)
    *out = (double) json_node_get_int (n);
  else if (t == G_TYPE_DOUBLE)
    *out = json_node_get_double (n);
  else
    return FALSE;
  return isfinite (*out);
}

/* Reads [scale, zero_point, qmin, qmax] (+ constant) into @slot. */
static gboolean
parse_quant_entry (LoadCtx * ctx, JsonNode * node, QuantSlot * slot,
    GError ** error)
{
  guint want = slot->constant ? 5 : 4;
  JsonArray *a = node && JSON_NODE_HOLDS_ARRAY (node) ?
      json_node_get_array (node) : NULL;
  double v[5];
  if (!a || json_array_get_length (a) != want)
    goto bad;
  for (guint i = 0; i < want; i++)
    if (!json_number (json_array_get_element (a, i), &v[i]))
      goto bad;
  if (!(v[0] > 0.0) || v[0] > 1e30 || (float) v[0] <= 0.0f) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.act_quant: '%s' has scale %g, expected a finite "
        "number > 0", ctx->file, slot->key, v[0]);
    return FALSE;
  }
  for (int i = 1; i < 4; i++) {
    if (v[i] != floor (v[i]) || fabs (v[i]) > 65536.0)
      goto bad;
  }
  if (!(v[2] < v[3]) || v[1] < v[2] || v[1] > v[3]) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.act_quant: '%s' has zero_point %g, qmin %g, "
        "qmax %g, expected qmin <= zero_point <= qmax and qmin < qmax",
        ctx->file, slot->key, v[1], v[2], v[3]);
    return FALSE;
  }
  slot->grid->scale = (float) v[0];
  slot->grid->zero_point = (float) v[1];
  slot->grid->qmin = (float) v[2];
  slot->grid->qmax = (float) v[3];
  if (slot->constant) {
    if (fabs (v[4]) > 1e6)
      goto bad;
    *slot->constant = (float) v[4];
  }
  return TRUE;

bad:
  g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
      "%s: metadata mnv3.act_quant: '%s' is not [scale, zero_point, qmin, "
      "qmax%s] (finite numbers, integer zero_point/qmin/qmax)", ctx->file,
      slot->key, slot->constant ? ", constant" : "");
  return FALSE;
}

/* Parses the optional mnv3.act_quant (after the convolutions are loaded:
 * which points exist depends on the blocks, e.g. residual adds). */
static gboolean
load_act_quant (LoadCtx * ctx, Mnv3Model * m, GError ** error)
{
  if (!mnv3_safetensors_meta_has (&ctx->st, "mnv3.act_quant"))
    return TRUE;
  const char *text = meta_get (ctx, "mnv3.act_quant");
  JsonParser *parser = NULL;
  GArray *slots = NULL;
  GHashTable *by_key = NULL;
  gboolean ok = FALSE;
  char name[96];

  if (!text) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.act_quant is not a string", ctx->file);
    return FALSE;
  }
  Mnv3ActQuant *aq = g_new0 (Mnv3ActQuant, 1);
  aq->blocks = g_new0 (Mnv3BlockQuant, m->n_blocks);
  m->act_quant = aq;

  slots = g_array_new (FALSE, TRUE, sizeof (QuantSlot));
  add_slot (slots, g_strdup ("input"), &aq->input, NULL);
  add_unit_slots (slots, "features.0", &m->stem, &aq->stem);
  for (int i = 0; i < m->n_blocks; i++) {
    const Mnv3Block *b = &m->blocks[i];
    Mnv3BlockQuant *bq = &aq->blocks[i];
    int j = 0;
    if (b->has_expand) {
      g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
      add_unit_slots (slots, name, &b->expand, &bq->expand);
    }
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    add_unit_slots (slots, name, &b->dw, &bq->dw);
    if (b->has_se) {
      g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
      add_slot (slots, g_strdup_printf ("%s.pool", name), &bq->se_pool, NULL);
      add_slot (slots, g_strdup_printf ("%s.fc1", name), &bq->se_fc1, NULL);
      add_slot (slots, g_strdup_printf ("%s.fc2", name), &bq->se_fc2, NULL);
      add_slot (slots, g_strdup_printf ("%s.relu6", name), &bq->se_relu6,
          &bq->se_add);
      add_slot (slots, g_strdup_printf ("%s.hsigmoid", name),
          &bq->se_hsigmoid, &bq->se_mul);
      add_slot (slots, g_strdup_printf ("%s.scale", name), &bq->se_scale, NULL);
    }
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    add_unit_slots (slots, name, &b->project, &bq->project);
    if (b->residual)
      add_slot (slots, g_strdup_printf ("features.%d.add", i + 1), &bq->add,
          NULL);
  }
  g_snprintf (name, sizeof name, "features.%d", m->n_blocks + 1);
  add_unit_slots (slots, name, &m->head, &aq->head);
  add_slot (slots, g_strdup ("pool"), &aq->pool, NULL);
  add_unit_slots (slots, "classifier.0", &m->hidden, &aq->hidden);
  add_unit_slots (slots, "classifier.3", &m->classifier, &aq->classifier);

  by_key = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < slots->len; i++) {
    QuantSlot *sl = &g_array_index (slots, QuantSlot, i);
    g_hash_table_insert (by_key, sl->key, sl);
  }

  char *why = NULL;
  parser = mnv3_json_parse_bounded (text, strlen (text),
      MNV3_ST_MAX_JSON_DEPTH, &why);
  if (!parser) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.act_quant %s", ctx->file, why);
    g_free (why);
    goto out;
  }
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *obj = json_node_get_object (root);
  guint n_members = json_object_get_size (obj);
  if (n_members != slots->len) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.act_quant has %u entries, a %s network with "
        "these settings has %u rounding points", ctx->file, n_members,
        m->info.arch_name, slots->len);
    goto out;
  }
  GList *members = json_object_get_members (obj);
  for (GList * l = members; l; l = l->next) {
    QuantSlot *sl = g_hash_table_lookup (by_key, l->data);
    if (!sl || sl->seen) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.act_quant: '%s' is %s", ctx->file,
          (const char *) l->data, sl ? "repeated" : "not a rounding point "
          "of this network");
      g_list_free (members);
      goto out;
    }
    sl->seen = TRUE;
    if (!parse_quant_entry (ctx, json_object_get_member (obj, l->data), sl,
            error)) {
      g_list_free (members);
      goto out;
    }
  }
  g_list_free (members);
  for (guint i = 0; i < slots->len; i++) {
    QuantSlot *sl = &g_array_index (slots, QuantSlot, i);
    if (!sl->seen) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.act_quant has no entry '%s'", ctx->file, sl->key);
      goto out;
    }
  }
  m->info.act_quant = TRUE;
  ok = TRUE;

out:
  for (guint i = 0; i < slots->len; i++)
    g_free (g_array_index (slots, QuantSlot, i).key);
  g_array_free (slots, TRUE);
  if (by_key)
    g_hash_table_destroy (by_key);
  g_clear_object (&parser);
  return ok;
}

/* The container, after a look at the first bytes: another model format
 * gets the converter command that turns it into ours. */
static gboolean
parse_container (LoadCtx * ctx, const guint8 * data, size_t size,
    GError ** error)
{
  uint64_t hlen = 0;
  for (int i = 7; size >= 8 && i >= 0; i--)
    hlen = (hlen << 8) | data[i];
  const char *other = NULL;
  if (size < 9 || hlen > size - 8 || data[8] != '{')
    other = mnv3_format_sniff (data, size);
  if (other) {
    g_autofree char *base = g_path_get_basename (ctx->file);
    char *dot = strrchr (base, '.');
    if (dot && dot != base)
      *dot = '\0';
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_FORMAT,
        "%s is %s, not an mnv3 model (safetensors): convert it once with "
        "`models/convert.py %s -o %s.safetensors` (see models/README.md)",
        ctx->file, other, ctx->file, base);
    return FALSE;
  }
  return mnv3_safetensors_parse (&ctx->st, ctx->file, data, size, error);
}

/* The optional mnv3.int_quant (models/FORMAT.md 2b): the weights part is
 * read by get_qtensor (); the model keeps the text for mnv3-quant.c. */
static gboolean
load_int_quant (LoadCtx * ctx, Mnv3Model * m, GError ** error)
{
  const char *text = meta_get (ctx, "mnv3.int_quant");
  if (!text)
    return TRUE;
  g_autofree char *why = NULL;
  ctx->iq_parser = mnv3_json_parse_bounded (text, strlen (text),
      MNV3_ST_MAX_JSON_DEPTH, &why);
  JsonNode *root = ctx->iq_parser ? json_parser_get_root (ctx->iq_parser) :
      NULL;
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT (root) ?
      json_node_get_object (root) : NULL;
  JsonNode *w = o ? json_object_get_member (o, "weights") : NULL;
  if (!w || !JSON_NODE_HOLDS_OBJECT (w)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
        "%s: metadata mnv3.int_quant is not a JSON object with \"weights\"%s%s",
        ctx->file, why ? ": " : "", why ? why : "");
    return FALSE;
  }
  ctx->iq_weights = json_node_get_object (w);
  ctx->qtensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      qtensor_free);
  m->int_quant = g_strdup (text);
  return TRUE;
}

static Mnv3Model *
load_model (LoadCtx * ctx, const guint8 * data, size_t size, GError ** error)
{
  Mnv3Model *m = g_new0 (Mnv3Model, 1);
  m->name = g_strdup (ctx->file);
  Mnv3ModelInfo *info = &m->info;
  char name[96];
  g_autofree int *ch = NULL;    /* mnv3.channels */

  if (!parse_container (ctx, data, size, error) ||
      !load_metadata (ctx, m, error) || !load_int_quant (ctx, m, error))
    goto fail;

  int nb;
  const Mnv3BlockSpec *spec = mnv3_arch_blocks (info->arch, &nb);
  gboolean minimal = info->arch == MNV3_ARCH_LARGE_MINIMALISTIC ||
      info->arch == MNV3_ARCH_SMALL_MINIMALISTIC;
  gboolean k2 = info->hard_sigmoid == MNV3_HARD_SIGMOID_KERAS2;
  enum mnv3_act hswish = k2 ? MNV3_ACT_HSWISH_K2 : MNV3_ACT_HSWISH;
  enum mnv3_act hs = minimal ? MNV3_ACT_RELU : hswish;
  double w = info->width;
  int size_hw = info->input_size, out_hw, pad;
  uint64_t macs = 0, params = 0;

  /* mnv3.channels (optional): stem, then expansion and output channels of
   * every block, where the width rule differs from torchvision's
   * (keras.applications scales the expansion ratio, not the count). */
  const char *chs = meta_get (ctx, "mnv3.channels");
  if (chs) {
    g_auto (GStrv) parts = g_strsplit (chs, ",", -1);
    double v;
    gboolean ok = g_strv_length (parts) == (guint) (1 + 2 * nb);
    ch = g_new0 (int, 1 + 2 * nb);
    for (int i = 0; ok && i < 1 + 2 * nb; i++) {
      ok = parse_double (g_strstrip (parts[i]), &v) && v >= 1 && v <= 65536
          && v == (int) v;
      ch[i] = ok ? (int) v : 0;
    }
    if (!ok) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_METADATA,
          "%s: metadata mnv3.channels '%s' is not %d comma-separated "
          "channel counts (stem, then expansion and output of each block)",
          ctx->file, chs, 1 + 2 * nb);
      goto fail;
    }
  }

  /* Stem: conv 3x3/2, 16 channels, h-swish (ReLU when minimalistic). */
  int c = ch ? ch[0] : mnv3_make_divisible (16 * w, 8);
  if (!load_conv (ctx, "features.0", TRUE, CONV_FULL, 3, c, 3, 2, hs,
          &m->stem, error))
    goto fail;
  mnv3_conv_padding (info->padding, size_hw, 3, 2, &out_hw, &pad);
  size_hw = out_hw;
  macs += (uint64_t) size_hw *size_hw * c * 3 * 9;
  params += conv_params (&m->stem, FALSE);

  m->n_blocks = nb;
  m->blocks = g_new0 (Mnv3Block, nb);
  for (int i = 0; i < nb; i++) {
    Mnv3Block *b = &m->blocks[i];
    const Mnv3BlockSpec *s = &spec[i];
    enum mnv3_act act = s->hswish ? hswish : MNV3_ACT_RELU;
    int j = 0;
    b->cin = c;
    b->cexp = ch ? ch[1 + 2 * i] : mnv3_make_divisible (s->exp * w, 8);
    b->cout = ch ? ch[2 + 2 * i] : mnv3_make_divisible (s->out * w, 8);
    b->k = s->k;
    b->stride = s->stride;
    b->has_expand = b->cexp != b->cin;
    b->has_se = s->se;
    b->residual = s->stride == 1 && b->cin == b->cout;

    if (b->has_expand) {
      g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
      if (!load_conv (ctx, name, TRUE, CONV_1X1, b->cin, b->cexp, 1, 1, act,
              &b->expand, error))
        goto fail;
      macs += (uint64_t) size_hw *size_hw * b->cin * b->cexp;
      params += conv_params (&b->expand, FALSE);
    }
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    if (!load_conv (ctx, name, TRUE, CONV_DW, b->cexp, b->cexp, b->k,
            b->stride, act, &b->dw, error))
      goto fail;
    mnv3_conv_padding (info->padding, size_hw, b->k, b->stride, &out_hw, &pad);
    size_hw = out_hw;
    macs += (uint64_t) size_hw *size_hw * b->cexp * b->k * b->k;
    params += conv_params (&b->dw, TRUE);
    if (b->has_se) {
      /* torchvision: _make_divisible (expanded // 4, 8). */
      b->csq = mnv3_make_divisible (b->cexp / 4, 8);
      g_snprintf (name, sizeof name, "features.%d.block.%d.fc1", i + 1, j);
      if (!load_conv (ctx, name, FALSE, CONV_1X1, b->cexp, b->csq, 1, 1,
              MNV3_ACT_RELU, &b->fc1, error))
        goto fail;
      g_snprintf (name, sizeof name, "features.%d.block.%d.fc2", i + 1, j++);
      if (!load_conv (ctx, name, FALSE, CONV_1X1, b->csq, b->cexp, 1, 1,
              k2 ? MNV3_ACT_HSIGMOID_K2 : MNV3_ACT_HSIGMOID, &b->fc2, error))
        goto fail;
      macs += 2ull * b->cexp * b->csq + (uint64_t) size_hw *size_hw * b->cexp;
      params += conv_params (&b->fc1, FALSE) + conv_params (&b->fc2, FALSE);
    }
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    if (!load_conv (ctx, name, TRUE, CONV_1X1, b->cexp, b->cout, 1, 1,
            MNV3_ACT_NONE, &b->project, error))
      goto fail;
    macs += (uint64_t) size_hw *size_hw * b->cexp * b->cout;
    params += conv_params (&b->project, FALSE);
    c = b->cout;
  }

  /* Head: 1x1 conv to 6 x last channels (960 / 576 at width 1; taken from
   * the file, as TensorFlow does not always scale it), then global pool,
   * classifier.0 (1280 / 1024, h-swish) and classifier.3 (classes). */
  g_snprintf (name, sizeof name, "features.%d", nb + 1);
  if (!load_conv (ctx, name, TRUE, CONV_1X1, c, -1, 1, 1, hs, &m->head, error))
    goto fail;
  macs += (uint64_t) size_hw *size_hw * c * m->head.cout;
  params += conv_params (&m->head, FALSE);
  info->embedding_size = m->head.cout;
  /* No classifier tensors at all (Keras include_top=False): an
   * embedding-only model, num_classes 0. */
  if (info->num_classes <= 0 && !has_tensor (ctx, "classifier.0.weight") &&
      !has_tensor (ctx, "classifier.3.weight")) {
    info->num_classes = 0;
  } else {
    if (!load_conv (ctx, "classifier.0", FALSE, CONV_LINEAR, m->head.cout,
            -1, 1, 1, hs, &m->hidden, error))
      goto fail;
    if (!load_conv (ctx, "classifier.3", FALSE, CONV_LINEAR, m->hidden.cout,
            info->num_classes, 1, 1, MNV3_ACT_NONE, &m->classifier, error))
      goto fail;
    info->num_classes = m->classifier.cout;
    info->pre_logits_size = m->hidden.cout;
  }
  macs += (uint64_t) m->head.cout * m->hidden.cout +
      (uint64_t) m->hidden.cout * m->classifier.cout;
  params += conv_params (&m->hidden, FALSE) +
      conv_params (&m->classifier, FALSE);
  info->macs = macs;
  info->params = params;

  if (!load_act_quant (ctx, m, error))
    goto fail;

  /* A tensor the architecture does not use means the metadata does not
   * describe these weights (e.g. SE tensors with a minimalistic arch). */
  for (guint i = 0; i < ctx->st.n_entries; i++) {
    const Mnv3StTensor *e = &ctx->st.entries[i];
    if (!e->used && !g_str_has_suffix (e->name, "num_batches_tracked")) {
      g_set_error (error, MNV3_ERROR, MNV3_ERROR_SHAPE,
          "%s: tensor '%s' is not part of a %s network with these "
          "settings (wrong mnv3.arch or mnv3.width?)", ctx->file, e->name,
          info->arch_name);
      goto fail;
    }
  }
  if (ctx->qtensors) {
    /* keys become the model's: the header's names go with the parser */
    GHashTableIter it;
    gpointer k, v;
    m->qtensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        qtensor_free);
    g_hash_table_iter_init (&it, ctx->qtensors);
    while (g_hash_table_iter_next (&it, &k, &v)) {
      g_hash_table_insert (m->qtensors, g_strdup (k), v);
      g_hash_table_iter_steal (&it);
    }
  }
  return m;

fail:
  mnv3_model_free (m);
  return NULL;
}

Mnv3Model *
mnv3_model_load_from_data (const void *data, size_t size, const char *name,
    GError ** error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  LoadCtx ctx = { 0 };
  ctx.file = name ? name : "(memory)";
  Mnv3Model *m = load_model (&ctx, data ? data : (const void *) "", size,
      error);
  g_clear_object (&ctx.iq_parser);
  if (ctx.qtensors)
    g_hash_table_destroy (ctx.qtensors);
  mnv3_safetensors_clear (&ctx.st);
  return m;
}

Mnv3Model *
mnv3_model_load (const char *path, GError ** error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  size_t size = 0;
  guint8 *data = mnv3_file_read (path, MNV3_ST_MAX_FILE_BYTES, &size, error);
  if (!data)
    return NULL;
  Mnv3Model *m = mnv3_model_load_from_data (data, size, path, error);
  g_free (data);
  if (m)
    MNV3_DEBUG ("loaded %s: %s width %.3g, %d classes, %" G_GUINT64_FORMAT
        " params", path, m->info.arch_name, m->info.width,
        m->info.num_classes, (guint64) m->info.params);
  return m;
}

const Mnv3ModelInfo *
mnv3_model_get_info (const Mnv3Model * model)
{
  g_return_val_if_fail (model != NULL, NULL);
  return &model->info;
}
