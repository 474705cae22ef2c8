/* mnv3: command-line tool of libmnv3 (info, classify, embed, bench)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Output is one record per line, for scripts (DESIGN.md 4a).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#ifdef HAVE_GDK_PIXBUF
#include <gdk-pixbuf/gdk-pixbuf.h>
#endif
#include "mnv3.h"

static int
usage (void)
{
  fprintf (stderr,
      "usage: mnv3 info MODEL\n"
      "       mnv3 classify MODEL INPUT [--top-k N] [--logits] [--threads N]"
      " [--kernels ref|avx2|avx512]\n"
      "         [--float-activations]\n"
      "         INPUT: .ppm/.pgm, .png/.jpg (any size, resized whole), .rgb "
      "(raw input_size^2 x 3 bytes)\n"
      "         or .f32 (normalized NHWC floats, one or more inputs)\n"
      "       mnv3 embed MODEL INPUT [--l2] [--pre-logits] [--threads N]"
      " [--kernels K]\n"
      "         prints the pooled feature vector (--pre-logits: the "
      "classifier's hidden\n"
      "         layer), one line per input, values space separated\n"
      "       mnv3 bench MODEL [--threads N] [--runs N] [--warmup N]"
      " [--kernels K] [--profile]\n"
      "         [--float-activations] [--batch N]\n"
      "  --batch N: N graphs of the model run as one batch "
      "(mnv3_graph_run_batch),\n"
      "         timed alternately with the same N images run one by one\n"
      "  --float-activations: a model converted from a uint8 TFLite file "
      "rounds\n"
      "         activations as TFLite does; this computes in plain float "
      "instead\n");
  return 2;
}

static Mnv3Model *
load_or_die (const char *path)
{
  GError *error = NULL;
  Mnv3Model *m = mnv3_model_load (path, &error);
  if (!m) {
    fprintf (stderr, "mnv3: %s\n", error->message);
    g_error_free (error);
    exit (1);
  }
  return m;
}

static int
cmd_info (const char *path)
{
  Mnv3Model *m = load_or_die (path);
  const Mnv3ModelInfo *i = mnv3_model_get_info (m);
  printf ("arch: %s\nwidth: %g\ninput_size: %d\npadding: %s\n"
      "mean: %g,%g,%g\nstd: %g,%g,%g\nnum_classes: %d\nlabels: %d\n"
      "params: %" G_GUINT64_FORMAT "\nmacs: %" G_GUINT64_FORMAT
      "\nact_quant: %s\nhard_sigmoid: %s\nembedding_size: %d\n"
      "pre_logits_size: %d\nsource: %s\n", i->arch_name, i->width,
      i->input_size,
      i->padding == MNV3_PADDING_TF_SAME ? "tf-same" : "symmetric",
      i->mean[0], i->mean[1], i->mean[2], i->std[0], i->std[1], i->std[2],
      i->num_classes, i->n_labels, (guint64) i->params, (guint64) i->macs,
      i->act_quant ? "tflite-uint8" : "none",
      i->hard_sigmoid == MNV3_HARD_SIGMOID_KERAS2 ? "keras2" : "relu6",
      i->embedding_size, i->pre_logits_size, i->source);
  /* the engine a default graph runs (one thread: only planning) */
  Mnv3GraphOptions go = { 1, NULL, FALSE };
  Mnv3Graph *g = mnv3_graph_new (m, &go, NULL);
  printf ("engine: %s\n", g ? mnv3_graph_get_engine (g) : "none");
  mnv3_graph_free (g);
  mnv3_model_free (m);
  return 0;
}

typedef struct
{
  int top_k, threads, runs, warmup;
  gboolean logits, profile, float_activations;
  const char *kernels;
  gboolean l2, pre_logits;      /* embed */
  int batch;                    /* bench: images per batch, 0/1 = none */
} Options;

static gboolean
parse_options (int argc, char **argv, int first, Options * o)
{
  for (int i = first; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp (a, "--logits") == 0) {
      o->logits = TRUE;
    } else if (strcmp (a, "--profile") == 0) {
      o->profile = TRUE;
    } else if (strcmp (a, "--l2") == 0) {
      o->l2 = TRUE;
    } else if (strcmp (a, "--pre-logits") == 0) {
      o->pre_logits = TRUE;
    } else if (strcmp (a, "--float-activations") == 0) {
      o->float_activations = TRUE;
    } else if (i + 1 < argc && strcmp (a, "--top-k") == 0) {
      o->top_k = atoi (argv[++i]);
    } else if (i + 1 < argc && strcmp (a, "--threads") == 0) {
      o->threads = atoi (argv[++i]);
    } else if (i + 1 < argc && strcmp (a, "--runs") == 0) {
      o->runs = atoi (argv[++i]);
    } else if (i + 1 < argc && strcmp (a, "--warmup") == 0) {
      o->warmup = atoi (argv[++i]);
    } else if (i + 1 < argc && strcmp (a, "--batch") == 0) {
      o->batch = atoi (argv[++i]);
    } else if (i + 1 < argc && strcmp (a, "--kernels") == 0) {
      o->kernels = argv[++i];
    } else {
      fprintf (stderr, "mnv3: unknown or incomplete option '%s'\n", a);
      return FALSE;
    }
  }
  return o->top_k >= 1 && o->runs >= 1 && o->warmup >= 0 && o->batch >= 0
      && o->batch <= 256;
}

static Mnv3Graph *
graph_or_die (Mnv3Model * m, const Options * o)
{
  GError *error = NULL;
  /* MNV3_FUSE is read here, not by the library (a graph option) */
  Mnv3GraphOptions go = { o->threads, o->kernels, o->float_activations,
    mnv3_fuse_from_string (g_getenv ("MNV3_FUSE"))
  };
  Mnv3Graph *g = mnv3_graph_new (m, &go, &error);
  if (!g) {
    fprintf (stderr, "mnv3: %s\n", error->message);
    g_error_free (error);
    exit (1);
  }
  return g;
}

static void
print_result (const Mnv3ModelInfo * info, const float *logits,
    const Options * o)
{
  int n = info->num_classes;
  if (o->logits) {
    for (int c = 0; c < n; c++)
      printf ("%s%.9g", c ? " " : "", logits[c]);
    printf ("\n");
    return;
  }
  float *p = g_new (float, n);
  int *idx = g_new (int, o->top_k);
  mnv3_softmax (logits, p, n);
  int got = mnv3_top_k (p, n, o->top_k, idx);
  for (int i = 0; i < got; i++) {
    const char *label = idx[i] < info->n_labels ? info->labels[idx[i]] : "";
    printf ("%d %.6f %s\n", idx[i], p[idx[i]], label);
  }
  g_free (p);
  g_free (idx);
}

/* Photos the CLI decodes with gdk-pixbuf (the CLI only: libmnv3 stays free
 * of image libraries). */
static gboolean
is_photo (const char *path)
{
  static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif",
    ".tif", ".tiff", ".webp"
  };
  gchar *lower = g_ascii_strdown (path, -1);
  gboolean yes = FALSE;

  for (size_t i = 0; i < G_N_ELEMENTS (ext); i++)
    yes |= g_str_has_suffix (lower, ext[i]);
  g_free (lower);
  return yes;
}

/* Largest photo decoded: 2^28 pixels (16384 x 16384), checked from the
 * header before the pixels are allocated. */
#define MAX_PHOTO_PIXELS (1 << 28)

/* The photo as packed RGB bytes (alpha dropped, EXIF orientation applied),
 * or NULL with @error set. */
static guint8 *
load_photo (const char *path, int *width, int *height, GError ** error)
{
#ifdef HAVE_GDK_PIXBUF
  GdkPixbuf *pb, *rot;
  int w, h, n, stride;
  guint8 *rgb;
  const guint8 *px;

  if (!gdk_pixbuf_get_file_info (path, &w, &h)) {
    if (!g_file_test (path, G_FILE_TEST_EXISTS))
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no such file",
          path);
    else
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: not an image gdk-pixbuf can read", path);
    return NULL;
  }
  if (w <= 0 || h <= 0 || (gint64) w * h > MAX_PHOTO_PIXELS) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: %dx%d pixels, more than the %d the CLI decodes", path, w, h,
        MAX_PHOTO_PIXELS);
    return NULL;
  }
  pb = gdk_pixbuf_new_from_file (path, error);
  if (pb == NULL)
    return NULL;
  rot = gdk_pixbuf_apply_embedded_orientation (pb);
  g_object_unref (pb);
  if (rot == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: cannot orient the image", path);
    return NULL;
  }
  w = gdk_pixbuf_get_width (rot);
  h = gdk_pixbuf_get_height (rot);
  n = gdk_pixbuf_get_n_channels (rot);
  stride = gdk_pixbuf_get_rowstride (rot);
  px = gdk_pixbuf_read_pixels (rot);
  if (gdk_pixbuf_get_colorspace (rot) != GDK_COLORSPACE_RGB
      || gdk_pixbuf_get_bits_per_sample (rot) != 8 || n < 3) {
    g_object_unref (rot);
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: not an 8-bit RGB image", path);
    return NULL;
  }
  rgb = g_malloc ((gsize) w * h * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy (rgb + ((gsize) y * w + x) * 3, px + (gsize) y * stride + x * n,
          3);
  g_object_unref (rot);
  *width = w;
  *height = h;
  return rgb;
#else
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
      "%s: this mnv3 was built without gdk-pixbuf; use .ppm/.pgm", path);
  return NULL;
#endif
}

static int
cmd_classify (const char *model_path, const char *input, const Options * o)
{
  Mnv3Model *m = load_or_die (model_path);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  if (info->num_classes == 0) {
    fprintf (stderr, "mnv3: %s is an embedding-only model (no classifier): "
        "use mnv3 embed\n", model_path);
    mnv3_model_free (m);
    return 1;
  }
  Mnv3Graph *g = graph_or_die (m, o);
  float *in = mnv3_graph_get_input (g);
  size_t n_in = (size_t) info->input_size * info->input_size * 3;
  int ret = 1;
  GError *error = NULL;

  if (g_str_has_suffix (input, ".ppm") || g_str_has_suffix (input, ".pgm")
      || g_str_has_suffix (input, ".pnm") || is_photo (input)) {
    int w, h;
    guint8 *rgb = is_photo (input) ? load_photo (input, &w, &h, &error) :
        mnv3_image_load_pnm (input, &w, &h, &error);
    if (!rgb)
      goto error;
    mnv3_image_to_input (rgb, w, h, w * 3, info->input_size, info->mean,
        info->std, in);
    g_free (rgb);
    print_result (info, mnv3_graph_run (g), o);
  } else {
    gchar *data;
    gsize len;
    if (!g_file_get_contents (input, &data, &len, &error))
      goto error;
    if (g_str_has_suffix (input, ".f32")) {
      if (len == 0 || len % (n_in * 4) != 0) {
        fprintf (stderr, "mnv3: %s: %zu bytes, not a multiple of %zu "
            "(%dx%dx3 floats)\n", input, (size_t) len, n_in * 4,
            info->input_size, info->input_size);
        g_free (data);
        goto out;
      }
      for (size_t k = 0; k < len / (n_in * 4); k++) {
        memcpy (in, data + k * n_in * 4, n_in * 4);
        print_result (info, mnv3_graph_run (g), o);
      }
    } else {
      if (len != n_in) {
        fprintf (stderr, "mnv3: %s: %zu bytes, a raw RGB input must be "
            "%dx%dx3 = %zu bytes (or use .ppm/.pgm/.f32)\n", input,
            (size_t) len, info->input_size, info->input_size, n_in);
        g_free (data);
        goto out;
      }
      for (size_t i = 0; i < n_in; i++) {
        int c = i % 3;
        in[i] = ((guint8) data[i] / 255.0f - info->mean[c]) / info->std[c];
      }
      print_result (info, mnv3_graph_run (g), o);
    }
    g_free (data);
  }
  ret = 0;
  goto out;

error:
  fprintf (stderr, "mnv3: %s\n", error->message);
  g_error_free (error);
out:
  mnv3_graph_free (g);
  mnv3_model_free (m);
  return ret;
}

/* One line: the feature vector of the last run, L2-normalized on request. */
static void
print_embedding (Mnv3Graph * g, const Options * o)
{
  int n;
  const float *v = mnv3_graph_get_embedding (g, o->pre_logits ?
      MNV3_EMBEDDING_PRE_LOGITS : MNV3_EMBEDDING_POOLED, &n);
  double norm = 0;
  for (int i = 0; i < n; i++)
    norm += (double) v[i] * v[i];
  norm = o->l2 && norm > 0 ? 1.0 / sqrt (norm) : 1.0;
  for (int i = 0; i < n; i++)
    printf ("%s%.9g", i ? " " : "", v[i] * norm);
  printf ("\n");
}

static int
cmd_embed (const char *model_path, const char *input, const Options * o)
{
  Mnv3Model *m = load_or_die (model_path);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  Mnv3Graph *g = graph_or_die (m, o);
  float *in = mnv3_graph_get_input (g);
  size_t n_in = (size_t) info->input_size * info->input_size * 3;
  GError *error = NULL;
  gchar *data = NULL;
  gsize len;
  int ret = 1;

  if (o->pre_logits && info->pre_logits_size == 0) {
    fprintf (stderr, "mnv3: %s has no classifier, so no pre-logits vector "
        "(embedding-only model)\n", model_path);
  } else if (g_str_has_suffix (input, ".ppm") ||
      g_str_has_suffix (input, ".pgm") || g_str_has_suffix (input, ".pnm")) {
    int w, h;
    guint8 *rgb = mnv3_image_load_pnm (input, &w, &h, &error);
    if (rgb) {
      mnv3_image_to_input (rgb, w, h, w * 3, info->input_size, info->mean,
          info->std, in);
      g_free (rgb);
      mnv3_graph_run (g);
      print_embedding (g, o);
      ret = 0;
    }
  } else if (g_file_get_contents (input, &data, &len, &error)) {
    if (g_str_has_suffix (input, ".f32") && len > 0 && len % (n_in * 4) == 0) {
      for (size_t k = 0; k < len / (n_in * 4); k++) {
        memcpy (in, data + k * n_in * 4, n_in * 4);
        mnv3_graph_run (g);
        print_embedding (g, o);
      }
      ret = 0;
    } else if (!g_str_has_suffix (input, ".f32") && len == n_in) {
      for (size_t i = 0; i < n_in; i++) {
        int c = i % 3;
        in[i] = ((guint8) data[i] / 255.0f - info->mean[c]) / info->std[c];
      }
      mnv3_graph_run (g);
      print_embedding (g, o);
      ret = 0;
    } else {
      fprintf (stderr, "mnv3: %s: %zu bytes, not %dx%dx3 bytes (.rgb) or a "
          "multiple of %zu bytes (.f32)\n", input, (size_t) len,
          info->input_size, info->input_size, n_in * 4);
    }
  }
  if (error) {
    fprintf (stderr, "mnv3: %s\n", error->message);
    g_error_free (error);
  }
  g_free (data);
  mnv3_graph_free (g);
  mnv3_model_free (m);
  return ret;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median_of (double *t, int n)
{
  qsort (t, n, sizeof (double), compare_double);
  return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* --batch N: N graphs, each with its own random image; per run, the batch
 * and the N images one by one, alternately (the machine's noise hits
 * both). */
static int
cmd_bench_batch (const char *model_path, const Options * o)
{
  Mnv3Model *m = load_or_die (model_path);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  const int n = o->batch;
  Mnv3Graph **g = g_new (Mnv3Graph *, n);
  size_t n_in = (size_t) info->input_size * info->input_size * 3;
  guint32 seed = 12345;
  for (int j = 0; j < n; j++) {
    g[j] = graph_or_die (m, o);
    float *in = mnv3_graph_get_input (g[j]);
    for (size_t i = 0; i < n_in; i++) {
      seed = seed * 1664525u + 1013904223u;
      in[i] = (float) ((seed >> 8) / 16777216.0 * 4.0 - 2.0);
    }
  }
  for (int i = 0; i < o->warmup; i++) {
    mnv3_graph_run_batch (g, n);
    for (int j = 0; j < n; j++)
      mnv3_graph_run (g[j]);
  }
  double *tb = g_new (double, o->runs), *ts = g_new (double, o->runs);
  for (int i = 0; i < o->runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    mnv3_graph_run_batch (g, n);
    gint64 t1 = g_get_monotonic_time ();
    for (int j = 0; j < n; j++)
      mnv3_graph_run (g[j]);
    gint64 t2 = g_get_monotonic_time ();
    tb[i] = (t1 - t0) / 1000.0;
    ts[i] = (t2 - t1) / 1000.0;
  }
  double mb = median_of (tb, o->runs), ms = median_of (ts, o->runs);
  printf ("model=%s width=%g input=%d kernels=%s threads=%d runs=%d "
      "batch=%d batch_median_ms=%.3f single_median_ms=%.3f "
      "batch_img_per_s=%.1f single_img_per_s=%.1f speedup=%.3f engine=%s\n",
      info->arch_name, info->width, info->input_size,
      mnv3_graph_get_kernels (g[0]), mnv3_graph_get_threads (g[0]), o->runs,
      n, mb, ms, n * 1000.0 / mb, n * 1000.0 / ms, ms / mb,
      mnv3_graph_get_engine (g[0]));
  g_free (tb);
  g_free (ts);
  for (int j = 0; j < n; j++)
    mnv3_graph_free (g[j]);
  g_free (g);
  mnv3_model_free (m);
  return 0;
}

static int
cmd_bench (const char *model_path, const Options * o)
{
  if (o->batch > 1)
    return cmd_bench_batch (model_path, o);

  Mnv3Model *m = load_or_die (model_path);
  const Mnv3ModelInfo *info = mnv3_model_get_info (m);
  Mnv3Graph *g = graph_or_die (m, o);
  float *in = mnv3_graph_get_input (g);
  size_t n_in = (size_t) info->input_size * info->input_size * 3;
  guint32 seed = 12345;
  for (size_t i = 0; i < n_in; i++) {
    seed = seed * 1664525u + 1013904223u;
    in[i] = (float) ((seed >> 8) / 16777216.0 * 4.0 - 2.0);
  }
  for (int i = 0; i < o->warmup; i++)
    mnv3_graph_run (g);
  double *t = g_new (double, o->runs);
  for (int i = 0; i < o->runs; i++) {
    gint64 t0 = g_get_monotonic_time ();
    mnv3_graph_run (g);
    t[i] = (g_get_monotonic_time () - t0) / 1000.0;
  }
  qsort (t, o->runs, sizeof (double), compare_double);
  double median = o->runs % 2 ? t[o->runs / 2] :
      (t[o->runs / 2 - 1] + t[o->runs / 2]) / 2;
  if (o->profile) {
    mnv3_graph_set_profiling (g, TRUE);
    for (int i = 0; i < o->runs; i++)
      mnv3_graph_run (g);
    char *prof = mnv3_graph_get_profile (g);
    fputs (prof, stdout);
    g_free (prof);
  }
  printf ("model=%s width=%g input=%d kernels=%s threads=%d runs=%d "
      "median_ms=%.3f min_ms=%.3f engine=%s\n", info->arch_name, info->width,
      info->input_size, mnv3_graph_get_kernels (g),
      mnv3_graph_get_threads (g), o->runs, median, t[0],
      mnv3_graph_get_engine (g));
  g_free (t);
  mnv3_graph_free (g);
  mnv3_model_free (m);
  return 0;
}

int
main (int argc, char **argv)
{
  Options o = { 5, 0, 100, 10, FALSE, FALSE, FALSE, NULL };
  if (argc < 3)
    return usage ();
  if (strcmp (argv[1], "info") == 0 && argc == 3)
    return cmd_info (argv[2]);
  if (strcmp (argv[1], "classify") == 0 && argc >= 4) {
    if (!parse_options (argc, argv, 4, &o))
      return usage ();
    return cmd_classify (argv[2], argv[3], &o);
  }
  if (strcmp (argv[1], "embed") == 0 && argc >= 4) {
    if (!parse_options (argc, argv, 4, &o))
      return usage ();
    return cmd_embed (argv[2], argv[3], &o);
  }
  if (strcmp (argv[1], "bench") == 0) {
    o.threads = 1;
    if (!parse_options (argc, argv, 3, &o))
      return usage ();
    return cmd_bench (argv[2], &o);
  }
  return usage ();
}
