/* libmnv3: softmax, top-k, PNM reading and the CLI's image resizing
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "mnv3-private.h"

void
mnv3_softmax (const float *logits, float *probs, int n)
{
  if (n <= 0)
    return;
  float mx = logits[0];
  for (int i = 1; i < n; i++)
    mx = MAX (mx, logits[i]);
  double sum = 0;
  for (int i = 0; i < n; i++) {
    probs[i] = expf (logits[i] - mx);
    sum += probs[i];
  }
  float inv = (float) (1.0 / sum);
  for (int i = 0; i < n; i++)
    probs[i] *= inv;
}

int
mnv3_top_k (const float *values, int n, int k, int *indices)
{
  if (k > n)
    k = n;
  int got = 0;
  /* Insertion into a sorted list of k: fine for k << n. Strictly greater
   * moves an entry up, so ties keep the lower index first. */
  for (int i = 0; i < n; i++) {
    float v = values[i];
    if (got == k && !(v > values[indices[k - 1]]))
      continue;
    int pos = got < k ? got++ : k - 1;
    while (pos > 0 && v > values[indices[pos - 1]]) {
      indices[pos] = indices[pos - 1];
      pos--;
    }
    indices[pos] = i;
  }
  return got;
}

static gboolean
pnm_read_int (const guint8 * d, size_t n, size_t *pos, int *out)
{
  /* Skip white space and # comments. */
  while (*pos < n) {
    if (d[*pos] == '#') {
      while (*pos < n && d[*pos] != '\n')
        (*pos)++;
    } else if (g_ascii_isspace (d[*pos])) {
      (*pos)++;
    } else {
      break;
    }
  }
  long v = 0;
  int digits = 0;
  while (*pos < n && g_ascii_isdigit (d[*pos]) && digits < 9) {
    v = v * 10 + (d[*pos] - '0');
    (*pos)++;
    digits++;
  }
  *out = (int) v;
  return digits > 0;
}

guint8 *
mnv3_image_load_pnm (const char *path, int *width, int *height, GError ** error)
{
  gchar *data = NULL;
  gsize n = 0;
  GError *ferr = NULL;
  if (!g_file_get_contents (path, &data, &n, &ferr)) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IMAGE, "%s", ferr->message);
    g_error_free (ferr);
    return NULL;
  }
  const guint8 *d = (const guint8 *) data;
  size_t pos = 2;
  int w, h, maxval, channels;
  if (n < 2 || d[0] != 'P' || (d[1] != '5' && d[1] != '6')) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IMAGE,
        "%s: not a binary PPM (P6) or PGM (P5) file", path);
    goto fail;
  }
  channels = d[1] == '6' ? 3 : 1;
  if (!pnm_read_int (d, n, &pos, &w) || !pnm_read_int (d, n, &pos, &h) ||
      !pnm_read_int (d, n, &pos, &maxval) || w < 1 || h < 1 ||
      w > 65535 || h > 65535 || maxval != 255 || pos >= n) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IMAGE,
        "%s: bad PNM header (need 8-bit, 1..65535 pixels)", path);
    goto fail;
  }
  pos++;                        /* the single white space after maxval */
  size_t need = (size_t) w * h * channels;
  if (n - pos < need) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_IMAGE,
        "%s: truncated: %zu bytes of pixels, %zu needed", path, n - pos, need);
    goto fail;
  }
  guint8 *rgb = g_malloc ((size_t) w * h * 3);
  for (size_t i = 0; i < (size_t) w * h; i++)
    for (int c = 0; c < 3; c++)
      rgb[i * 3 + c] = d[pos + i * channels + (channels == 3 ? c : 0)];
  g_free (data);
  *width = w;
  *height = h;
  return rgb;

fail:
  g_free (data);
  return NULL;
}

/* Box-filter weights: source pixel range and coverage of each output
 * pixel when @in pixels map onto @out. */
static void
area_weights (int in, int out, int *first, int *last, float *w0, float *w1)
{
  double scale = (double) in / out;
  for (int o = 0; o < out; o++) {
    double a = o * scale, b = (o + 1) * scale;
    int f = (int) floor (a), l = (int) ceil (b) - 1;
    if (l >= in)
      l = in - 1;
    if (l < f)
      l = f;
    first[o] = f;
    last[o] = l;
    w0[o] = (float) (MIN (b, f + 1.0) - a);     /* coverage of first */
    w1[o] = (float) (b - MAX (a, (double) l));  /* coverage of last */
    if (f == l)
      w0[o] = w1[o] = (float) (b - a);
  }
}

void
mnv3_image_to_input (const guint8 * rgb, int width, int height, int stride,
    int out_size, const float mean[3], const float std[3], float *out)
{
  int *xf = g_new (int, out_size), *xl = g_new (int, out_size);
  int *yf = g_new (int, out_size), *yl = g_new (int, out_size);
  float *xw0 = g_new (float, out_size), *xw1 = g_new (float, out_size);
  float *yw0 = g_new (float, out_size), *yw1 = g_new (float, out_size);
  area_weights (width, out_size, xf, xl, xw0, xw1);
  area_weights (height, out_size, yf, yl, yw0, yw1);

  for (int oy = 0; oy < out_size; oy++) {
    for (int ox = 0; ox < out_size; ox++) {
      double acc[3] = { 0, 0, 0 }, wsum = 0;
      for (int y = yf[oy]; y <= yl[oy]; y++) {
        double wy = y == yf[oy] ? yw0[oy] : (y == yl[oy] ? yw1[oy] : 1.0);
        if (yf[oy] == yl[oy])
          wy = yw0[oy];
        for (int x = xf[ox]; x <= xl[ox]; x++) {
          double wx = x == xf[ox] ? xw0[ox] : (x == xl[ox] ? xw1[ox] : 1.0);
          if (xf[ox] == xl[ox])
            wx = xw0[ox];
          const guint8 *px = rgb + (size_t) y * stride + (size_t) x * 3;
          for (int c = 0; c < 3; c++)
            acc[c] += wx * wy * px[c];
          wsum += wx * wy;
        }
      }
      float *o = out + ((size_t) oy * out_size + ox) * 3;
      for (int c = 0; c < 3; c++)
        o[c] = (float) ((acc[c] / wsum / 255.0 - mean[c]) / std[c]);
    }
  }
  g_free (xf);
  g_free (xl);
  g_free (yf);
  g_free (yl);
  g_free (xw0);
  g_free (xw1);
  g_free (yw0);
  g_free (yw1);
}

Mnv3Fuse
mnv3_fuse_from_string (const char *s)
{
  if (g_strcmp0 (s, "off") == 0)
    return MNV3_FUSE_OFF;
  if (g_strcmp0 (s, "all") == 0)
    return MNV3_FUSE_ALL;
  return MNV3_FUSE_AUTO;
}

/* the log callback; copied under the lock, called outside it */
static GMutex log_lock;
static Mnv3LogFunc log_func;
static void *log_data;

void
mnv3_set_log_func (Mnv3LogFunc func, void *user_data)
{
  g_mutex_lock (&log_lock);
  log_func = func;
  log_data = user_data;
  g_mutex_unlock (&log_lock);
}

void
mnv3_log (GLogLevelFlags level, const char *format, ...)
{
  Mnv3LogFunc func;
  void *data;
  va_list args;
  char *message;

  g_mutex_lock (&log_lock);
  func = log_func;
  data = log_data;
  g_mutex_unlock (&log_lock);

  va_start (args, format);
  if (func == NULL) {
    g_logv (G_LOG_DOMAIN, level, format, args);
    va_end (args);
    return;
  }
  message = g_strdup_vprintf (format, args);
  va_end (args);
  func (level, message, data);
  g_free (message);
}
