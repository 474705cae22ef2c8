/* tests/kernels: micro benchmark of every kernel variant the CPU has
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GFLOP/s per variant on MobileNetV3-like shapes, best of at least three
 * runs over about 0.3 s each. Run by `meson test --benchmark` (moved here
 * from test-kernels.c --bench). Inputs from a fixed seed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernels.h"
#include "kernels-common.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

/* Run fn (ctx) repeatedly for about 0.3 s (at least 3 times, best of),
 * return seconds per call. */
static double
time_call (void (*fn) (const struct variant *, void *),
    const struct variant *v, void *ctx)
{
  double best = 1e30, start = now ();
  int runs = 0;
  fn (v, ctx);                  /* warm-up */
  while (runs < 3 || now () - start < 0.3) {
    double t0 = now ();
    fn (v, ctx);
    double t = now () - t0;
    if (t < best)
      best = t;
    runs++;
  }
  return best;
}

struct bench_conv1x1
{
  const float *in;
  float *out;
  struct mnv3_conv1x1_params p;
};

static void
bench_conv1x1_call (const struct variant *v, void *ctx)
{
  struct bench_conv1x1 *b = ctx;
  ((mnv3_conv1x1_fn) v->fn) (b->in, b->out, &b->p);
}

struct bench_dwconv
{
  const float *in;
  float *out;
  struct mnv3_dwconv_params p;
};

static void
bench_dwconv_call (const struct variant *v, void *ctx)
{
  struct bench_dwconv *b = ctx;
  ((mnv3_dwconv_fn) v->fn) (b->in, b->out, &b->p);
}

struct bench_conv
{
  const float *in;
  float *out;
  struct mnv3_conv_params p;
};

static void
bench_conv_call (const struct variant *v, void *ctx)
{
  struct bench_conv *b = ctx;
  ((mnv3_conv_fn) v->fn) (b->in, b->out, &b->p);
}

struct bench_gap
{
  const float *in;
  float *out;
  struct mnv3_gap_params p;
};

static void
bench_gap_call (const struct variant *v, void *ctx)
{
  struct bench_gap *b = ctx;
  ((mnv3_gap_fn) v->fn) (b->in, b->out, &b->p);
}

struct bench_act
{
  float *x;
  struct mnv3_act_params p;
};

static void
bench_act_call (const struct variant *v, void *ctx)
{
  struct bench_act *b = ctx;
  ((mnv3_act_fn) v->fn) (b->x, &b->p);
}

static void
bench_report (const char *op, const char *shape, double flops,
    void (*call) (const struct variant *, void *), void *ctx)
{
  for (size_t i = 0; i < N_VARIANTS; i++) {
    const struct variant *v = &variants[i];
    if (strcmp (v->op, op) != 0 || (v->cpu & cpu_features) != v->cpu)
      continue;
    double t = time_call (call, v, ctx);
    printf ("%-8s %-7s %-44s %9.1f us %8.2f GFLOP/s\n", op, v->isa, shape,
        t * 1e6, flops / t * 1e-9);
    fflush (stdout);
  }
}

static void
bench (void)
{
  char shape[100];

  static const size_t gemm[][3] = {
    {12544, 16, 64}, {3136, 24, 72}, {3136, 72, 24}, {784, 120, 40},
    {196, 480, 112}, {196, 672, 160}, {49, 160, 960}, {49, 960, 160},
    {1, 960, 1280}, {1, 1280, 1000}, {1, 960, 240},
  };
  for (size_t i = 0; i < sizeof gemm / sizeof gemm[0]; i++) {
    struct bench_conv1x1 b = { 0 };
    size_t m = gemm[i][0], k = gemm[i][1], n = gemm[i][2];
    float *in = galloc (m * k), *w = galloc (k * n), *bias = galloc (n);
    float *out = galloc (m * n);
    fill_uniform (in, m * k, -1, 1);
    fill_uniform (w, k * n, -0.1f, 0.1f);
    fill_uniform (bias, n, -1, 1);
    b.in = in;
    b.out = out;
    b.p.m = m;
    b.p.k = k;
    b.p.n = n;
    b.p.in_stride = k;
    b.p.out_stride = n;
    b.p.w_stride = n;
    b.p.w = pack_panels (w, k, n, n, &b.p.w_panel);     /* as the graph does */
    b.p.bias = bias;
    b.p.act = MNV3_ACT_HSWISH;
    snprintf (shape, sizeof shape, "m=%zu k=%zu n=%zu hswish", m, k, n);
    bench_report ("conv1x1", shape, 2.0 * m * k * n, bench_conv1x1_call, &b);
    gfree_all ();
  }

  static const struct
  {
    size_t h, w, c;
    int k, s;
  } dw[] = {
    {112, 112, 16, 3, 1}, {112, 112, 64, 3, 2}, {56, 56, 72, 3, 1},
    {56, 56, 72, 5, 2}, {28, 28, 120, 5, 1}, {14, 14, 672, 5, 1},
    {14, 14, 480, 3, 1}, {7, 7, 960, 5, 1}, {14, 14, 672, 5, 2},
    {7, 7, 576, 5, 1},
  };
  for (size_t i = 0; i < sizeof dw / sizeof dw[0]; i++) {
    struct bench_dwconv b = { 0 };
    b.p.ih = dw[i].h;
    b.p.iw = dw[i].w;
    b.p.c = dw[i].c;
    b.p.k = dw[i].k;
    b.p.stride = dw[i].s;
    b.p.oh = out_size (b.p.ih, b.p.k, b.p.stride, PAD_SAME, &b.p.pad_top);
    b.p.ow = out_size (b.p.iw, b.p.k, b.p.stride, PAD_SAME, &b.p.pad_left);
    b.p.oy0 = 0;
    b.p.oy1 = b.p.oh;
    size_t in_n = b.p.ih * b.p.iw * b.p.c;
    float *in = galloc (in_n), *w = galloc ((size_t) (b.p.k * b.p.k) * b.p.c);
    float *bias = galloc (b.p.c), *out = galloc (b.p.oh * b.p.ow * b.p.c);
    fill_uniform (in, in_n, -1, 1);
    fill_uniform (w, (size_t) (b.p.k * b.p.k) * b.p.c, -0.3f, 0.3f);
    fill_uniform (bias, b.p.c, -1, 1);
    b.in = in;
    b.out = out;
    b.p.w = w;
    b.p.bias = bias;
    b.p.act = MNV3_ACT_RELU;
    snprintf (shape, sizeof shape, "%zux%zux%zu k=%d s=%d relu", b.p.ih,
        b.p.iw, b.p.c, b.p.k, b.p.stride);
    bench_report ("dwconv", shape,
        2.0 * b.p.oh * b.p.ow * b.p.c * (double) (b.p.k * b.p.k),
        bench_dwconv_call, &b);
    gfree_all ();
  }

  {
    struct bench_conv b = { 0 };
    b.p.ih = b.p.iw = 224;
    b.p.cin = 3;
    b.p.cout = 16;
    b.p.k = 3;
    b.p.stride = 2;
    b.p.oh = out_size (224, 3, 2, PAD_SAME, &b.p.pad_top);
    b.p.ow = out_size (224, 3, 2, PAD_SAME, &b.p.pad_left);
    b.p.oy1 = b.p.oh;
    float *in = galloc (224 * 224 * 3), *w = galloc (9 * 3 * 16);
    float *bias = galloc (16), *out = galloc (b.p.oh * b.p.ow * 16);
    fill_uniform (in, 224 * 224 * 3, -1, 1);
    fill_uniform (w, 9 * 3 * 16, -0.3f, 0.3f);
    fill_uniform (bias, 16, -1, 1);
    b.in = in;
    b.out = out;
    b.p.w = w;
    b.p.bias = bias;
    b.p.act = MNV3_ACT_HSWISH;
    bench_report ("conv", "224x224x3 -> 16 k=3 s=2 hswish",
        2.0 * b.p.oh * b.p.ow * 16 * 27, bench_conv_call, &b);
    gfree_all ();
  }

  {
    struct bench_gap b = { 0 };
    b.p.hw = 49;
    b.p.c = b.p.c1 = 960;
    float *in = galloc (49 * 960), *out = galloc (960);
    fill_uniform (in, 49 * 960, -1, 1);
    b.in = in;
    b.out = out;
    bench_report ("gap", "7x7x960 (FLOP = adds)", 49.0 * 960, bench_gap_call,
        &b);
    gfree_all ();
  }

  {
    struct bench_act b = { 0 };
    b.p.n = 56 * 56 * 72;
    b.p.act = MNV3_ACT_HSWISH;
    b.x = galloc (b.p.n);
    fill_uniform (b.x, b.p.n, -4, 4);
    bench_report ("act", "n=225792 hswish (FLOP = elements)",
        (double) b.p.n, bench_act_call, &b);
    gfree_all ();
  }
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  cpu_features = mnv3_cpu_features ();
  printf ("cpu features: avx2+fma %s, avx512 %s\n",
      cpu_features & MNV3_CPU_AVX2_FMA ? "yes" : "no",
      cpu_features & MNV3_CPU_AVX512 ? "yes" : "no");
  rng_state = 0x6d6e7633u;      /* "mnv3" */
  bench ();
  return 0;
}
