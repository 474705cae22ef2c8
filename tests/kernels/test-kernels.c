/* tests/kernels: every optimized kernel against its reference kernel
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The variant table comes from kernels.inc. For each op, every variant the
 * CPU supports (other than __ref) runs on the same inputs as the op's __ref
 * kernel, drawn from a fixed seed (printed; MNV3_TEST_SEED overrides), and
 * the outputs are compared element-wise:
 *
 *   |got - want| <= ATOL * max (1, S) + RTOL * |want|
 *
 * with ATOL 1e-5, RTOL 1e-4 and S the magnitude of the sum behind that
 * output (sum of |terms|, computed by running __ref on the absolute values
 * of the inputs with no activation). S scales the absolute tolerance for
 * long dot products (k = 960) where any summation order differs from the
 * reference's by up to k * FLT_EPSILON * S; for act S is 1.
 *
 * Every input buffer has exactly the size the contract allows and ends at a
 * PROT_NONE page, so an over-read past the end faults. Row/column padding
 * inside buffers (stride > width) holds NaN, so using it poisons the result.
 * Outputs outside the requested range (rows [oy0, oy1), channels [c0, c1),
 * columns past n) are pre-filled with a sentinel and must stay untouched.
 *
 * Modes: (none) run all cases; --guard check dispatch only (used with
 * MNV3_KERNELS=ref in the environment). The micro benchmark is
 * bench-kernels.c (`meson test --benchmark`), the integer kernels' test
 * test-qkernels.c; kernels-common.h holds what they share (the variant
 * table, find_ref, the random numbers, guarded buffers, the fault handler,
 * panel packing, output sizes).
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "kernels.h"
#include "kernels-common.h"

#define ATOL 1e-5f
#define RTOL 1e-4f
#define MAX_FAILURES 20

static void
set_current (const struct variant *v, const char *shape)
{
  snprintf (current, sizeof current, "%s (%s) %s", v->fname, v->op, shape);
}

static int n_failures;
static size_t n_checked;

static float *
gdup (const float *x, size_t n)
{
  float *d = galloc (n);
  memcpy (d, x, n * sizeof (float));
  return d;
}

static float *
gabs (const float *x, size_t n)
{
  float *d = galloc (n);
  for (size_t i = 0; i < n; i++)
    d[i] = fabsf (x[i]);
  return d;
}

/* Output sentinel: a NaN with a recognizable payload. */
static const uint32_t SENTINEL_BITS = 0x7fc0beefu;

static float
sentinel (void)
{
  float f;
  memcpy (&f, &SENTINEL_BITS, sizeof f);
  return f;
}

static void
fill_sentinel (float *x, size_t n)
{
  float s = sentinel ();
  for (size_t i = 0; i < n; i++)
    x[i] = s;
}

static void
fill_nan (float *x, size_t n)
{
  for (size_t i = 0; i < n; i++)
    x[i] = NAN;
}

static uint32_t
bits (float f)
{
  uint32_t u;
  memcpy (&u, &f, sizeof u);
  return u;
}

/* ------------------------------------------------------------------ */

static const char *
act_name (enum mnv3_act act)
{
  static const char *const names[] = { "none", "relu", "hswish", "hsigmoid",
    "hswish-keras2", "hsigmoid-keras2"
  };
  return names[act];
}

/* Every enum mnv3_act value, the Keras 2 h-sigmoid variants included. */
#define N_ACTS 6

/* Compare n outputs; mag (may be NULL) is the per-element S above. Where
 * want holds the sentinel (outside the computed range) got must too. */
static void
check (const struct variant *v, const char *shape, const float *got,
    const float *want, const float *mag, size_t n)
{
  n_checked++;
  for (size_t i = 0; i < n; i++) {
    int bad;
    if (bits (want[i]) == SENTINEL_BITS) {
      bad = bits (got[i]) != SENTINEL_BITS;
    } else {
      float s = mag ? fmaxf (1.0f, mag[i]) : 1.0f;
      float tol = ATOL * s + RTOL * fabsf (want[i]);
      bad = !(fabsf (got[i] - want[i]) <= tol);
    }
    if (bad) {
      n_failures++;
      if (n_failures <= MAX_FAILURES)
        printf ("FAIL %s (%s) %s: first bad index %zu: got %.9g want %.9g%s\n",
            v->fname, v->op, shape, i, got[i], want[i],
            bits (want[i]) == SENTINEL_BITS ? " (untouched sentinel)" :
            bits (got[i]) == SENTINEL_BITS ? " (not written)" : "");
      return;
    }
  }
}

/* ------------------------------------------------------------------ */
/* conv1x1 */

struct conv1x1_case
{
  size_t m, k, n;
  size_t in_pad, out_pad, w_pad;        /* stride - width */
  int kscale;                   /* 0 or 1 */
  int residual;                 /* 0 none, 1 separate, 2 in place (== out) */
  enum mnv3_act act;
  int packed;                   /* the variant gets the weights in panels */
};

static void
run_conv1x1 (const struct variant *v, const struct variant *ref,
    const struct conv1x1_case *c)
{
  struct mnv3_conv1x1_params p = { 0 };
  char shape[200];

  p.m = c->m;
  p.k = c->k;
  p.n = c->n;
  p.in_stride = c->k + c->in_pad;
  p.out_stride = c->n + c->out_pad;
  p.w_stride = c->n + c->w_pad;
  p.act = c->act;
  snprintf (shape, sizeof shape,
      "m=%zu k=%zu n=%zu in_stride=%zu out_stride=%zu w_stride=%zu "
      "kscale=%d residual=%s act=%s%s", c->m, c->k, c->n, p.in_stride,
      p.out_stride, p.w_stride, c->kscale,
      c->residual == 2 ? "in-place" : c->residual ? "yes" : "no",
      act_name (c->act), c->packed ? " packed" : "");

  size_t in_n = (c->m - 1) * p.in_stride + c->k;
  size_t w_n = (c->k - 1) * p.w_stride + c->n;
  size_t out_n = (c->m - 1) * p.out_stride + c->n;

  float *in = galloc (in_n);
  fill_nan (in, in_n);
  for (size_t i = 0; i < c->m; i++)
    fill_uniform (in + i * p.in_stride, c->k, -1.0f, 1.0f);
  float *w = galloc (w_n);
  fill_nan (w, w_n);
  float wscale = 1.0f / sqrtf ((float) c->k);
  for (size_t i = 0; i < c->k; i++)
    fill_uniform (w + i * p.w_stride, c->n, -wscale, wscale);
  float *bias = galloc (c->n);
  fill_uniform (bias, c->n, -3.0f, 3.0f);
  float *kscale = NULL;
  if (c->kscale) {
    kscale = galloc (c->k);
    fill_uniform (kscale, c->k, 0.0f, 1.0f);
  }
  float *res = NULL;
  if (c->residual) {
    res = galloc (out_n);
    fill_sentinel (res, out_n);
    for (size_t i = 0; i < c->m; i++)
      fill_uniform (res + i * p.out_stride, c->n, -1.0f, 1.0f);
  }

  float *want = galloc (out_n);
  float *got = galloc (out_n);
  if (c->residual == 2) {
    memcpy (want, res, out_n * sizeof (float));
    memcpy (got, res, out_n * sizeof (float));
  } else {
    fill_sentinel (want, out_n);
    fill_sentinel (got, out_n);
  }

  p.w = w;
  p.bias = bias;
  p.kscale = kscale;
  p.residual = c->residual == 2 ? want : res;
  ((mnv3_conv1x1_fn) ref->fn) (in, want, &p);
  p.residual = c->residual == 2 ? got : res;
  struct mnv3_conv1x1_params pv = p;
  if (c->packed)
    pv.w = pack_panels (w, c->k, c->n, p.w_stride, &pv.w_panel);
  set_current (v, shape);
  ((mnv3_conv1x1_fn) v->fn) (in, got, &pv);

  /* S: the reference on absolute values, no activation */
  struct mnv3_conv1x1_params pa = p;
  float *in_a = gabs (in, in_n);
  float *w_a = gabs (w, w_n);
  pa.w = w_a;
  pa.bias = gabs (bias, c->n);
  pa.kscale = kscale ? gabs (kscale, c->k) : NULL;
  pa.residual = res ? gabs (res, out_n) : NULL;
  pa.act = MNV3_ACT_NONE;
  float *mag = galloc (out_n);
  memset (mag, 0, out_n * sizeof (float));
  mnv3_f32_conv1x1__ref (in_a, mag, &pa);

  check (v, shape, got, want, mag, out_n);
  gfree_all ();
}

static void
test_conv1x1 (const struct variant *v, const struct variant *ref)
{
  static const size_t ms[] = { 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 15, 25 };
  static const size_t ns[] = { 1, 3, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32,
    33, 47, 48, 49, 63, 64, 65, 72, 100, 129
  };
  static const size_t ks[] = { 1, 3, 16, 17 };
  unsigned idx = 0;
  struct conv1x1_case c;

  for (size_t a = 0; a < sizeof ms / sizeof ms[0]; a++)
    for (size_t b = 0; b < sizeof ns / sizeof ns[0]; b++)
      for (size_t d = 0; d < sizeof ks / sizeof ks[0]; d++, idx++) {
        c.m = ms[a];
        c.n = ns[b];
        c.k = ks[d];
        c.in_pad = idx % 3;
        c.out_pad = (idx / 3) % 2;
        c.w_pad = (idx / 2) % 3;
        c.kscale = (idx / 5) % 2;
        c.residual = (idx / 7) % 3;
        c.act = (enum mnv3_act) (idx % N_ACTS);
        c.packed = (idx / 11) % 2;
        run_conv1x1 (v, ref, &c);
      }

  /* MobileNetV3-like and large shapes, every epilogue combination on some */
  static const size_t big[][3] = {
    {1, 960, 1280}, {1, 1280, 1000}, {1, 960, 240}, {1, 240, 960},
    {12544, 16, 64}, {3136, 24, 72}, {3136, 72, 24}, {784, 120, 40},
    {196, 672, 112}, {49, 160, 960}, {49, 960, 160}, {200, 13, 960},
    {199, 960, 17}, {2, 961, 1281}, {3, 17, 2049},
  };
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
    for (int e = 0; e < 4; e++, idx++) {
      c.m = big[i][0];
      c.k = big[i][1];
      c.n = big[i][2];
      c.in_pad = e == 3 ? 5 : 0;
      c.out_pad = e == 3 ? 3 : 0;
      c.w_pad = e >= 2 ? 7 : 0;
      c.kscale = e & 1;
      c.residual = e == 1 ? 1 : e == 3 ? 2 : 0;
      c.act = (enum mnv3_act) ((i + e) % N_ACTS);
      c.packed = e == 0 || e == 3;
      if (c.m * c.k * c.n > 20000000 && e > 1)
        continue;
      run_conv1x1 (v, ref, &c);
    }
  }

  /* random shapes */
  for (int i = 0; i < 150; i++) {
    c.m = rng_range (1, 200);
    c.k = rng_range (1, 300);
    c.n = rng_range (1, 300);
    c.in_pad = rng_range (0, 4);
    c.out_pad = rng_range (0, 4);
    c.w_pad = rng_range (0, 20);
    c.kscale = (int) rng_range (0, 1);
    c.residual = (int) rng_range (0, 2);
    c.act = (enum mnv3_act) rng_range (0, N_ACTS - 1);
    c.packed = (int) rng_range (0, 1);
    run_conv1x1 (v, ref, &c);
  }
}

/* ------------------------------------------------------------------ */
/* dwconv and conv share the spatial set-up */

static const char *const pad_names[] = { "symmetric", "same", "valid" };

struct spatial_case
{
  size_t ih, iw, c;             /* c: channels (dwconv) or cin (conv) */
  size_t cout;                  /* conv only */
  int k, stride;
  enum pad_mode pad;
  int rows;                     /* 0 all rows, 1 a sub-range */
  enum mnv3_act act;
};

static void
run_dwconv (const struct variant *v, const struct variant *ref,
    const struct spatial_case *c)
{
  struct mnv3_dwconv_params p = { 0 };
  char shape[200];

  p.ih = c->ih;
  p.iw = c->iw;
  p.c = c->c;
  p.k = c->k;
  p.stride = c->stride;
  p.oh = out_size (c->ih, c->k, c->stride, c->pad, &p.pad_top);
  p.ow = out_size (c->iw, c->k, c->stride, c->pad, &p.pad_left);
  p.act = c->act;
  if (p.oh == 0 || p.ow == 0)
    return;
  p.oy0 = 0;
  p.oy1 = p.oh;
  if (c->rows && p.oh > 1) {
    p.oy0 = rng_range (1, p.oh - 1);
    p.oy1 = rng_range (p.oy0 + 1, p.oh);
  }
  snprintf (shape, sizeof shape,
      "in %zux%zux%zu k=%d stride=%d pad=%s (top %d left %d) out %zux%zu "
      "rows [%zu,%zu) act=%s", c->ih, c->iw, c->c, c->k, c->stride,
      pad_names[c->pad], p.pad_top, p.pad_left, p.oh, p.ow, p.oy0, p.oy1,
      act_name (c->act));

  size_t in_n = c->ih * c->iw * c->c;
  size_t w_n = (size_t) (c->k * c->k) * c->c;
  size_t out_n = p.oh * p.ow * c->c;
  float *in = galloc (in_n);
  fill_uniform (in, in_n, -1.0f, 1.0f);
  float *w = galloc (w_n);
  fill_uniform (w, w_n, -0.5f, 0.5f);
  float *bias = galloc (c->c);
  fill_uniform (bias, c->c, -3.0f, 3.0f);
  float *want = galloc (out_n);
  float *got = galloc (out_n);
  fill_sentinel (want, out_n);
  fill_sentinel (got, out_n);

  p.w = w;
  p.bias = bias;
  ((mnv3_dwconv_fn) ref->fn) (in, want, &p);
  set_current (v, shape);
  ((mnv3_dwconv_fn) v->fn) (in, got, &p);

  struct mnv3_dwconv_params pa = p;
  pa.w = gabs (w, w_n);
  pa.bias = gabs (bias, c->c);
  pa.act = MNV3_ACT_NONE;
  float *mag = galloc (out_n);
  memset (mag, 0, out_n * sizeof (float));
  mnv3_f32_dwconv__ref (gabs (in, in_n), mag, &pa);

  check (v, shape, got, want, mag, out_n);
  gfree_all ();
}

static void
run_conv (const struct variant *v, const struct variant *ref,
    const struct spatial_case *c)
{
  struct mnv3_conv_params p = { 0 };
  char shape[200];

  p.ih = c->ih;
  p.iw = c->iw;
  p.cin = c->c;
  p.cout = c->cout;
  p.k = c->k;
  p.stride = c->stride;
  p.oh = out_size (c->ih, c->k, c->stride, c->pad, &p.pad_top);
  p.ow = out_size (c->iw, c->k, c->stride, c->pad, &p.pad_left);
  p.act = c->act;
  if (p.oh == 0 || p.ow == 0)
    return;
  p.oy0 = 0;
  p.oy1 = p.oh;
  if (c->rows && p.oh > 1) {
    p.oy0 = rng_range (1, p.oh - 1);
    p.oy1 = rng_range (p.oy0 + 1, p.oh);
  }
  snprintf (shape, sizeof shape,
      "in %zux%zux%zu cout=%zu k=%d stride=%d pad=%s (top %d left %d) "
      "out %zux%zu rows [%zu,%zu) act=%s", c->ih, c->iw, c->c, c->cout, c->k,
      c->stride, pad_names[c->pad], p.pad_top, p.pad_left, p.oh, p.ow, p.oy0,
      p.oy1, act_name (c->act));

  size_t in_n = c->ih * c->iw * c->c;
  size_t w_n = (size_t) (c->k * c->k) * c->c * c->cout;
  size_t out_n = p.oh * p.ow * c->cout;
  float *in = galloc (in_n);
  fill_uniform (in, in_n, -1.0f, 1.0f);
  float *w = galloc (w_n);
  fill_uniform (w, w_n, -0.3f, 0.3f);
  float *bias = galloc (c->cout);
  fill_uniform (bias, c->cout, -3.0f, 3.0f);
  float *want = galloc (out_n);
  float *got = galloc (out_n);
  fill_sentinel (want, out_n);
  fill_sentinel (got, out_n);

  p.w = w;
  p.bias = bias;
  ((mnv3_conv_fn) ref->fn) (in, want, &p);
  set_current (v, shape);
  ((mnv3_conv_fn) v->fn) (in, got, &p);

  struct mnv3_conv_params pa = p;
  pa.w = gabs (w, w_n);
  pa.bias = gabs (bias, c->cout);
  pa.act = MNV3_ACT_NONE;
  float *mag = galloc (out_n);
  memset (mag, 0, out_n * sizeof (float));
  mnv3_f32_conv__ref (gabs (in, in_n), mag, &pa);

  check (v, shape, got, want, mag, out_n);
  gfree_all ();
}

static void
test_dwconv (const struct variant *v, const struct variant *ref)
{
  static const size_t cs[] = { 1, 3, 13, 16, 17, 24, 33, 960 };
  static const size_t ws[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17 };
  unsigned idx = 0;
  struct spatial_case c = { 0 };

  for (size_t a = 0; a < sizeof cs / sizeof cs[0]; a++)
    for (size_t b = 0; b < sizeof ws / sizeof ws[0]; b++)
      for (int k = 3; k <= 5; k += 2)
        for (int s = 1; s <= 2; s++)
          for (int pm = 0; pm < 3; pm++, idx++) {
            if (cs[a] == 960 && ws[b] > 9)
              continue;
            c.c = cs[a];
            c.iw = ws[b];
            c.ih = ws[(b + idx) % (sizeof ws / sizeof ws[0])];
            c.k = k;
            c.stride = s;
            c.pad = (enum pad_mode) pm;
            c.rows = (idx % 3) == 1;
            c.act = (enum mnv3_act) (idx % N_ACTS);
            run_dwconv (v, ref, &c);
          }

  /* MobileNetV3-like shapes, odd sizes and a stride-2 odd input */
  static const struct
  {
    size_t h, w, c;
    int k, s;
  } big[] = {
    {112, 112, 16, 3, 1}, {112, 112, 64, 3, 2}, {113, 113, 17, 3, 2},
    {56, 56, 72, 5, 2}, {28, 28, 120, 5, 1}, {14, 14, 672, 5, 1},
    {14, 14, 672, 5, 2}, {7, 7, 960, 5, 1}, {15, 15, 960, 5, 2},
    {111, 112, 3, 3, 2}, {1, 112, 24, 5, 1}, {112, 1, 13, 3, 2},
    /* narrow but tall: too big for the AVX-512 small-map tile, so the
     * row driver runs on narrow maps too */
    {40, 9, 33, 5, 1}, {64, 16, 17, 3, 2}, {30, 12, 200, 3, 1},
    /* the AVX2 small-map path (5x5 stride 1, at most 16 wide): channel
     * blocks of 16 with one half, a partial half, both halves partial */
    {7, 7, 8, 5, 1}, {7, 7, 9, 5, 1}, {14, 14, 25, 5, 1}, {13, 11, 40, 5, 1},
    {16, 16, 7, 5, 1}, {9, 3, 31, 5, 1},
  };
  for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
    for (int pm = 0; pm < 2; pm++, idx++) {
      c.ih = big[i].h;
      c.iw = big[i].w;
      c.c = big[i].c;
      c.k = big[i].k;
      c.stride = big[i].s;
      c.pad = (enum pad_mode) pm;
      c.rows = (int) (idx % 2);
      c.act = (enum mnv3_act) (idx % N_ACTS);
      run_dwconv (v, ref, &c);
    }
}

static void
test_conv (const struct variant *v, const struct variant *ref)
{
  static const size_t cins[] = { 1, 3, 4 };
  static const size_t couts[] = { 1, 8, 13, 16, 17, 24, 40 };
  static const size_t ws[] = { 1, 2, 3, 7, 8, 9, 17 };
  unsigned idx = 0;
  struct spatial_case c = { 0 };

  for (size_t a = 0; a < sizeof cins / sizeof cins[0]; a++)
    for (size_t b = 0; b < sizeof couts / sizeof couts[0]; b++)
      for (size_t d = 0; d < sizeof ws / sizeof ws[0]; d++)
        for (int k = 3; k <= 5; k += 2)
          for (int s = 1; s <= 2; s++, idx++) {
            c.c = cins[a];
            c.cout = couts[b];
            c.iw = ws[d];
            c.ih = ws[(d + idx) % (sizeof ws / sizeof ws[0])];
            c.k = k;
            c.stride = s;
            c.pad = (enum pad_mode) (idx % 3);
            c.rows = (idx % 4) == 1;
            c.act = (enum mnv3_act) (idx % N_ACTS);
            run_conv (v, ref, &c);
          }

  /* the stem: 224x224x3 -> 112x112x16, 3x3/2, both paddings; odd input */
  for (int pm = 0; pm < 2; pm++) {
    c.ih = c.iw = 224;
    c.c = 3;
    c.cout = 16;
    c.k = 3;
    c.stride = 2;
    c.pad = (enum pad_mode) pm;
    c.rows = pm;
    c.act = MNV3_ACT_HSWISH;
    run_conv (v, ref, &c);
  }
  c.ih = 225;
  c.iw = 223;
  c.pad = PAD_SYMMETRIC;
  c.rows = 0;
  run_conv (v, ref, &c);
}

/* ------------------------------------------------------------------ */
/* gap and act */

static void
run_gap (const struct variant *v, const struct variant *ref, size_t hw,
    size_t ch, size_t c0, size_t c1)
{
  struct mnv3_gap_params p = { hw, ch, c0, c1 };
  char shape[100];

  snprintf (shape, sizeof shape, "hw=%zu c=%zu [c0,c1)=[%zu,%zu)", hw, ch,
      c0, c1);
  float *in = galloc (hw * ch);
  fill_uniform (in, hw * ch, -2.0f, 2.0f);
  float *want = galloc (ch);
  float *got = galloc (ch);
  fill_sentinel (want, ch);
  fill_sentinel (got, ch);
  ((mnv3_gap_fn) ref->fn) (in, want, &p);
  set_current (v, shape);
  ((mnv3_gap_fn) v->fn) (in, got, &p);
  float *mag = galloc (ch);
  memset (mag, 0, ch * sizeof (float));
  mnv3_f32_gap__ref (gabs (in, hw * ch), mag, &p);
  check (v, shape, got, want, mag, ch);
  gfree_all ();
}

static void
test_gap (const struct variant *v, const struct variant *ref)
{
  static const size_t hws[] = { 1, 2, 7, 49, 196 };
  static const size_t cs[] = { 1, 3, 13, 16, 17, 24, 33, 960 };

  for (size_t a = 0; a < sizeof hws / sizeof hws[0]; a++)
    for (size_t b = 0; b < sizeof cs / sizeof cs[0]; b++) {
      size_t ch = cs[b];
      run_gap (v, ref, hws[a], ch, 0, ch);
      for (int r = 0; r < 4; r++) {
        size_t c0 = rng_range (0, ch - 1);
        size_t c1 = rng_range (c0 + 1, ch);
        run_gap (v, ref, hws[a], ch, c0, c1);
      }
    }
}

static void
test_act (const struct variant *v, const struct variant *ref)
{
  static const size_t ns[] = { 0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63,
    64, 65, 100, 960, 1001
  };
  char shape[100];

  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (int act = 0; act < N_ACTS; act++) {
      struct mnv3_act_params p = { ns[a], (enum mnv3_act) act };
      snprintf (shape, sizeof shape, "n=%zu act=%s", ns[a],
          act_name ((enum mnv3_act) act));
      float *x = galloc (ns[a]);
      /* around the kinks at -3, 0 and 3 */
      fill_uniform (x, ns[a], -5.0f, 5.0f);
      for (size_t i = 0; i < ns[a] && i < 7; i++)
        x[i] = (float) i - 3.0f;
      float *want = gdup (x, ns[a]);
      float *got = gdup (x, ns[a]);
      ((mnv3_act_fn) ref->fn) (want, &p);
      set_current (v, shape);
      ((mnv3_act_fn) v->fn) (got, &p);
      check (v, shape, got, want, NULL, ns[a]);
      gfree_all ();
    }
}

/* ------------------------------------------------------------------ */
/* activation-quantization emulation: element-wise, so every variant must
 * give the reference's bits exactly */

static void
check_exact (const struct variant *v, const char *shape, const float *got,
    const float *want, size_t n)
{
  n_checked++;
  for (size_t i = 0; i < n; i++)
    if (bits (got[i]) != bits (want[i])) {
      n_failures++;
      if (n_failures <= MAX_FAILURES)
        printf ("FAIL %s (%s) %s: index %zu: got %.9g want %.9g (not the "
            "same bits)\n", v->fname, v->op, shape, i, got[i], want[i]);
      return;
    }
}

/* A uint8 or int8 grid; scale 0 means "no rounding" (kernels.h). */
static struct mnv3_qgrid
test_grid (int i)
{
  static const float scales[] = { 0.0235294f, 0.1f, 1.0f / 128, 0.0f };
  struct mnv3_qgrid q;
  q.scale = scales[i % 4];
  if (i % 3 == 2) {
    q.qmin = -128.0f;
    q.qmax = 127.0f;
    q.zero_point = (float) ((i * 37) % 200 - 100);
  } else {
    q.qmin = 0.0f;
    q.qmax = 255.0f;
    q.zero_point = (float) ((i * 53) % 256);
  }
  return q;
}

/* Values spread over the grid, with exact ties (k + 0.5) * scale and values
 * beyond both ends. */
static void
fill_grid (float *x, size_t n, const struct mnv3_qgrid *q)
{
  float s = q->scale > 0.0f ? q->scale : 0.05f;
  for (size_t i = 0; i < n; i++) {
    float k = (float) rng_range (0, 400) - 200.0f;
    x[i] = i % 3 == 0 ? (k + 0.5f) * s : k * s + (float) (rng_range (0,
            1000)) * 1e-3f * s;
  }
}

static void
test_quant (const struct variant *v, const struct variant *ref)
{
  static const size_t ns[] = { 1, 3, 7, 8, 9, 16, 31, 33, 100, 1001 };
  char shape[120];
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (int g = 0; g < 8; g++) {
      struct mnv3_quant_params p = { 0 };
      p.n = ns[a];
      p.act = (enum mnv3_act) (g % 4);
      p.mul = g % 2 ? 1.0f : 1.0f / 6.0f;
      p.add = g % 2 ? 0.0f : 3.0f;
      p.q = test_grid (g + (int) a);
      snprintf (shape, sizeof shape, "n=%zu act=%s mul=%g add=%g scale=%g "
          "zp=%g", p.n, act_name (p.act), p.mul, p.add, p.q.scale,
          p.q.zero_point);
      float *x = galloc (p.n);
      fill_grid (x, p.n, &p.q);
      float *want = galloc (p.n), *got = gdup (x, p.n);
      ((mnv3_quant_fn) ref->fn) (x, want, &p);
      set_current (v, shape);
      ((mnv3_quant_fn) v->fn) (got, got, &p);   /* in place */
      check_exact (v, shape, got, want, p.n);
      gfree_all ();
    }
}

static void
test_add (const struct variant *v, const struct variant *ref)
{
  static const size_t ns[] = { 1, 5, 8, 17, 64, 999 };
  char shape[100];
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (int g = 0; g < 6; g++) {
      struct mnv3_add_params p = { ns[a], test_grid (g) };
      snprintf (shape, sizeof shape, "n=%zu scale=%g zp=%g", p.n, p.q.scale,
          p.q.zero_point);
      float *x = galloc (p.n), *y = galloc (p.n);
      fill_grid (x, p.n, &p.q);
      fill_grid (y, p.n, &p.q);
      float *want = galloc (p.n), *got = galloc (p.n);
      ((mnv3_add_fn) ref->fn) (x, y, want, &p);
      set_current (v, shape);
      ((mnv3_add_fn) v->fn) (x, y, got, &p);
      check_exact (v, shape, got, want, p.n);
      gfree_all ();
    }
}

static void
test_cscale (const struct variant *v, const struct variant *ref)
{
  static const size_t cs[] = { 1, 8, 15, 16, 72, 961 };
  char shape[100];
  for (size_t a = 0; a < sizeof cs / sizeof cs[0]; a++)
    for (int g = 0; g < 4; g++) {
      struct mnv3_cscale_params p = { 0 };
      p.m = (size_t) (1 + g * 3);
      p.c = cs[a];
      p.q = test_grid (g + 1);
      size_t n = p.m * p.c;
      snprintf (shape, sizeof shape, "m=%zu c=%zu scale=%g", p.m, p.c,
          p.q.scale);
      float *x = galloc (n), *sc = galloc (p.c);
      fill_grid (x, n, &p.q);
      fill_uniform (sc, p.c, 0.0f, 1.0f);
      p.scale = sc;
      float *want = galloc (n), *got = gdup (x, n);
      ((mnv3_cscale_fn) ref->fn) (x, want, &p);
      set_current (v, shape);
      ((mnv3_cscale_fn) v->fn) (got, got, &p);  /* in place */
      check_exact (v, shape, got, want, n);
      gfree_all ();
    }
}

/* ------------------------------------------------------------------ */
/* dispatch guard */

static int guard_failures;

static void
guard_expect (int ok, const char *what)
{
  if (!ok) {
    printf ("FAIL dispatch: %s\n", what);
    guard_failures++;
  }
}

static int
isa_level (const char *isa)
{
  if (strcmp (isa, "ref") == 0)
    return 0;
  if (strcmp (isa, "avx2") == 0)
    return 1;
  if (strcmp (isa, "avx512") == 0)
    return 2;
  return -1;
}

/* The function kernels.inc gives op in a set of level `level`: the variant
 * of the highest ISA <= level. */
static generic_fn
expected_fn (const char *op, int level)
{
  generic_fn fn = NULL;
  int best = -1;
  for (size_t i = 0; i < N_VARIANTS; i++) {
    int l = isa_level (variants[i].isa);
    if (strcmp (variants[i].op, op) == 0 && l <= level && l > best) {
      best = l;
      fn = variants[i].fn;
    }
  }
  return fn;
}

static void
guard_set (const struct mnv3_kernels *k, int level, const char *what)
{
  char msg[200];
#define CHECK_OP(op) \
  snprintf (msg, sizeof msg, "%s: " #op " is not the expected variant", what); \
  guard_expect ((generic_fn) k->op == expected_fn (#op, level), msg);
  CHECK_OP (conv1x1);
  CHECK_OP (dwconv);
  CHECK_OP (conv);
  CHECK_OP (gap);
  CHECK_OP (act);
#undef CHECK_OP
}

/* MNV3_KERNELS=ref must select the reference set. */
static void
guard_env_ref (void)
{
  const struct mnv3_kernels *k = mnv3_kernels_get (NULL);
  guard_expect (k != NULL && strcmp (k->name, "ref") == 0,
      "MNV3_KERNELS=ref: mnv3_kernels_get (NULL) is not the ref set");
  if (k) {
    guard_expect ((generic_fn) k->conv1x1 == (generic_fn) mnv3_f32_conv1x1__ref
        && (generic_fn) k->dwconv == (generic_fn) mnv3_f32_dwconv__ref
        && (generic_fn) k->conv == (generic_fn) mnv3_f32_conv__ref
        && (generic_fn) k->gap == (generic_fn) mnv3_f32_gap__ref
        && (generic_fn) k->act == (generic_fn) mnv3_f32_act__ref,
        "MNV3_KERNELS=ref: set holds non-reference kernels");
    printf ("dispatch: MNV3_KERNELS=ref -> set \"%s\"\n", k->name);
  }
}

static void
guard_all (void)
{
  static const char *const names[] = { "ref", "avx2", "avx512" };
  static const unsigned need[] = { MNV3_CPU_NONE, MNV3_CPU_AVX2_FMA,
    MNV3_CPU_AVX2_FMA | MNV3_CPU_AVX512
  };
  int best = 0;

  for (int l = 0; l < 3; l++) {
    const struct mnv3_kernels *k = mnv3_kernels_get (names[l]);
    int supported = (need[l] & cpu_features) == need[l];
    char msg[100];
    snprintf (msg, sizeof msg, "mnv3_kernels_get (\"%s\") %s", names[l],
        supported ? "returned NULL on a supporting CPU" :
        "returned a set the CPU lacks");
    guard_expect ((k != NULL) == supported, msg);
    if (k) {
      guard_expect (strcmp (k->name, names[l]) == 0, "set name mismatch");
      guard_set (k, l, names[l]);
      best = l;
    }
  }
  guard_expect (mnv3_kernels_get ("bogus") == NULL,
      "mnv3_kernels_get (\"bogus\") is not NULL");

  /* auto without the environment variable: the best supported set */
  char *saved = getenv ("MNV3_KERNELS") ? strdup (getenv ("MNV3_KERNELS")) :
      NULL;
  unsetenv ("MNV3_KERNELS");
  const struct mnv3_kernels *k = mnv3_kernels_get (NULL);
  guard_expect (k != NULL && strcmp (k->name, names[best]) == 0,
      "auto did not pick the best supported set");
  if (k)
    printf ("dispatch: auto -> set \"%s\"\n", k->name);
  k = mnv3_kernels_get ("auto");
  guard_expect (k != NULL && strcmp (k->name, names[best]) == 0,
      "\"auto\" did not pick the best supported set");

  /* the environment override */
  setenv ("MNV3_KERNELS", "ref", 1);
  guard_env_ref ();
  if (saved) {
    setenv ("MNV3_KERNELS", saved, 1);
    free (saved);
  } else {
    unsetenv ("MNV3_KERNELS");
  }
}

/* ------------------------------------------------------------------ */

int
main (int argc, char **argv)
{
  uint64_t seed = 0x6d6e7633u;  /* "mnv3" */
  const char *seed_env = getenv ("MNV3_TEST_SEED");

  setvbuf (stdout, NULL, _IOLBF, 0);
  signal (SIGSEGV, on_fault);
  signal (SIGBUS, on_fault);
  cpu_features = mnv3_cpu_features ();
  printf ("cpu features: avx2+fma %s, avx512 %s\n",
      cpu_features & MNV3_CPU_AVX2_FMA ? "yes" : "no",
      cpu_features & MNV3_CPU_AVX512 ? "yes" : "no");

  if (argc > 1 && strcmp (argv[1], "--guard") == 0) {
    guard_env_ref ();
    printf ("%s\n", guard_failures ? "FAILED" : "OK");
    return guard_failures ? 1 : 0;
  }

  if (seed_env && *seed_env)
    seed = strtoull (seed_env, NULL, 0);
  printf ("seed: 0x%llx (set MNV3_TEST_SEED to change)\n",
      (unsigned long long) seed);

  guard_all ();

  int tested = 0;
  for (size_t i = 0; i < N_VARIANTS; i++) {
    const struct variant *v = &variants[i];
    if (strcmp (v->isa, "ref") == 0)
      continue;
    if (strncmp (v->fname, "mnv3_u8_", 8) == 0)
      continue;                 /* integer kernels: test-qkernels.c */
    if ((v->cpu & cpu_features) != v->cpu) {
      printf ("SKIP %s: CPU lacks the features\n", v->fname);
      continue;
    }
    const struct variant *ref = find_ref (v->op);
    if (!ref) {
      printf ("FAIL %s: no reference kernel for op %s\n", v->fname, v->op);
      n_failures++;
      continue;
    }
    int before = n_failures;
    size_t checked_before = n_checked;
    rng_state = seed;           /* each variant sees the same cases */
    if (strcmp (v->op, "conv1x1") == 0)
      test_conv1x1 (v, ref);
    else if (strcmp (v->op, "dwconv") == 0)
      test_dwconv (v, ref);
    else if (strcmp (v->op, "conv") == 0)
      test_conv (v, ref);
    else if (strcmp (v->op, "gap") == 0)
      test_gap (v, ref);
    else if (strcmp (v->op, "act") == 0)
      test_act (v, ref);
    else if (strcmp (v->op, "quant") == 0)
      test_quant (v, ref);
    else if (strcmp (v->op, "add") == 0)
      test_add (v, ref);
    else if (strcmp (v->op, "cscale") == 0)
      test_cscale (v, ref);
    else {
      printf ("FAIL %s: unknown op %s\n", v->fname, v->op);
      n_failures++;
    }
    printf ("%s %s: %zu cases, %d failed\n",
        n_failures == before ? "ok  " : "FAIL", v->fname,
        n_checked - checked_before, n_failures - before);
    tested++;
  }
  if (tested == 0)
    printf ("no optimized kernel variant to test on this CPU/build\n");

  int failed = n_failures + guard_failures;
  printf ("%s\n", failed ? "FAILED" : "OK");
  return failed ? 1 : 0;
}
