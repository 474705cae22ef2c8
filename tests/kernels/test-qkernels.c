/* mnv3classify: tests/kernels/test-qkernels.c
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every optimized integer kernel (mnv3_u8_*, kernels.inc) against its
 * reference kernel on random odd shapes, strides and quantization
 * parameters: the outputs must be equal byte for byte (TensorFlow Lite's
 * integer arithmetic has one right answer). Each output buffer ends right
 * before a PROT_NONE page, so an over-write faults; the bytes around the
 * written ones (row strides) must stay untouched. The variant table, the
 * random numbers, the guarded buffers and the fault handler come from
 * kernels-common.h (shared with test-kernels.c and bench-kernels.c).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"
#include "kernels-common.h"

static int n_failures;
static size_t n_cases;

static uint8_t *
rand_u8 (size_t n)
{
  uint8_t *p = galloc_bytes (n ? n : 1);
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t) rng_int (0, 255);
  return p;
}

static int16_t *
rand_w (size_t n, int lim)
{
  int16_t *p = galloc_bytes ((n ? n : 1) * sizeof (int16_t));
  for (size_t i = 0; i < n; i++)
    p[i] = (int16_t) rng_int (-lim, lim);
  return p;
}

static int32_t *
rand_i32 (size_t n, int64_t lo, int64_t hi)
{
  int32_t *p = galloc_bytes ((n ? n : 1) * sizeof (int32_t));
  for (size_t i = 0; i < n; i++)
    p[i] = (int32_t) rng_int (lo, hi);
  return p;
}

/* per-channel requantization: Q0.31 multipliers, mostly right shifts */
static struct mnv3_requant
rand_rq (size_t n, int min_shift, int max_shift)
{
  struct mnv3_requant rq;
  rq.mult = rand_i32 (n, 1ll << 30, (1ll << 31) - 1);
  rq.shift = rand_i32 (n, min_shift, max_shift);
  rq.out_zp = (int32_t) rng_int (0, 255);
  rq.out_min = (int32_t) rng_int (0, 60);
  rq.out_max = (int32_t) rng_int (200, 255);
  return rq;
}

static void
compare (const struct variant *v, const uint8_t * got, const uint8_t * want,
    size_t n, const char *shape)
{
  n_cases++;
  for (size_t i = 0; i < n; i++) {
    if (got[i] != want[i]) {
      if (n_failures++ < 20)
        printf ("FAIL %s %s: byte %zu is %u, reference %u\n", v->fname, shape,
            i, got[i], want[i]);
      return;
    }
  }
}

static uint8_t *
sentinel_copy (size_t n, uint8_t ** other)
{
  uint8_t *a = galloc_bytes (n), *b = galloc_bytes (n);
  for (size_t i = 0; i < n; i++)
    a[i] = b[i] = (uint8_t) (i * 37 + 11);
  *other = b;
  return a;
}

static void
test_conv1x1 (const struct variant *v, const struct variant *ref)
{
  static const size_t ms[] = { 1, 2, 3, 4, 5, 7, 13, 49 };
  static const size_t ks[] = { 1, 2, 3, 8, 15, 16, 17, 33, 96, 130 };
  static const size_t ns[] = { 1, 5, 8, 15, 16, 17, 24, 40, 72, 100 };
  for (size_t a = 0; a < 8; a++) {
    for (size_t b = 0; b < 10; b++) {
      for (size_t c = 0; c < 10; c++) {
        size_t m = ms[a], k = ks[b], n = ns[c];
        size_t in_stride = k + (size_t) rng_int (0, 3);
        size_t out_stride = n + (size_t) rng_int (0, 3);
        const size_t P = MNV3_QPANEL, kp = (k + 1) / 2;
        const size_t panels = (n + P - 1) / P;
        struct mnv3_qconv1x1_params p = { 0 };
        p.m = m;
        p.k = k;
        p.n = n;
        p.in_stride = in_stride;
        p.out_stride = out_stride;
        p.w_stride = n;
        p.w = rand_w (k * n, 255);
        int16_t *wp = galloc_bytes (panels * kp * P * 2 * sizeof (int16_t));
        memset (wp, 0, panels * kp * P * 2 * sizeof (int16_t));
        for (size_t kk = 0; kk < k; kk++)
          for (size_t nn = 0; nn < n; nn++)
            wp[(nn / P) * kp * P * 2 + ((kk / 2) * P + nn % P) * 2 + kk % 2]
                = p.w[kk * n + nn];
        p.wp = wp;
        p.wp_panel = kp * P * 2;
        p.bias = rand_i32 (n, -200000, 200000);
        p.rq = rand_rq (n, -18, 1);
        const uint8_t *in = rand_u8 ((m - 1) * in_stride + k);
        size_t on = (m - 1) * out_stride + n;
        uint8_t *want, *got = sentinel_copy (on, &want);
        snprintf (current, sizeof current, "%s m=%zu k=%zu n=%zu", v->fname,
            m, k, n);
        ((mnv3_qconv1x1_fn) ref->fn) (in, want, &p);
        ((mnv3_qconv1x1_fn) v->fn) (in, got, &p);
        compare (v, got, want, on, current);
        gfree_all ();
      }
    }
  }
}

static void
test_dwconv (const struct variant *v, const struct variant *ref)
{
  static const size_t cs[] = { 1, 7, 8, 16, 24, 33, 72 };
  for (int t = 0; t < 300; t++) {
    struct mnv3_qdwconv_params p = { 0 };
    p.k = rng_int (0, 1) ? 3 : 5;
    p.stride = (int) rng_int (1, 2);
    p.ih = (size_t) rng_int (1, 15);
    p.iw = (size_t) rng_int (1, 15);
    p.c = cs[rng_int (0, 6)];
    p.pad_top = (int) rng_int (0, p.k / 2);
    p.pad_left = (int) rng_int (0, p.k / 2);
    p.oh = (p.ih + 2 * p.pad_top - p.k) / p.stride + 1;
    p.ow = (p.iw + 2 * p.pad_left - p.k) / p.stride + 1;
    if ((long) p.ih + 2 * p.pad_top < p.k || (long) p.iw + 2 * p.pad_left < p.k)
      continue;
    p.oy0 = (size_t) rng_int (0, (int64_t) p.oh - 1);
    p.oy1 = (size_t) rng_int ((int64_t) p.oy0 + 1, (int64_t) p.oh);
    const size_t taps = (size_t) p.k * p.k;
    p.w = rand_w (taps * p.c, 255);
    int16_t *wp = galloc_bytes ((taps + 1) / 2 * p.c * 2 * sizeof (int16_t));
    memset (wp, 0, (taps + 1) / 2 * p.c * 2 * sizeof (int16_t));
    for (size_t tt = 0; tt < taps; tt++)
      for (size_t ch = 0; ch < p.c; ch++)
        wp[((tt / 2) * p.c + ch) * 2 + tt % 2] = p.w[tt * p.c + ch];
    p.wp = wp;
    p.bias = rand_i32 (p.c, -100000, 100000);
    p.in_zp = (int32_t) rng_int (0, 255);
    p.rq = rand_rq (p.c, -16, 1);
    const uint8_t *in = rand_u8 (p.ih * p.iw * p.c);
    size_t on = p.oh * p.ow * p.c;
    uint8_t *want, *got = sentinel_copy (on, &want);
    snprintf (current, sizeof current, "%s %zux%zux%zu k=%d s=%d pad=%d,%d "
        "rows %zu..%zu", v->fname, p.ih, p.iw, p.c, p.k, p.stride, p.pad_top,
        p.pad_left, p.oy0, p.oy1);
    ((mnv3_qdwconv_fn) ref->fn) (in, want, &p);
    ((mnv3_qdwconv_fn) v->fn) (in, got, &p);
    compare (v, got, want, on, current);
    gfree_all ();
  }
}

static void
test_conv (const struct variant *v, const struct variant *ref)
{
  for (int t = 0; t < 100; t++) {
    struct mnv3_qconv_params p = { 0 };
    p.k = 3;
    p.stride = (int) rng_int (1, 2);
    p.cin = 3;
    p.cout = (size_t) (8 * rng_int (1, 4));
    p.ih = (size_t) rng_int (2, 17);
    p.iw = (size_t) rng_int (2, 17);
    p.pad_top = (int) rng_int (0, 1);
    p.pad_left = (int) rng_int (0, 1);
    p.oh = (p.ih + 2 * p.pad_top - p.k) / p.stride + 1;
    p.ow = (p.iw + 2 * p.pad_left - p.k) / p.stride + 1;
    if ((long) p.ih + 2 * p.pad_top < p.k || (long) p.iw + 2 * p.pad_left < p.k)
      continue;
    p.oy0 = (size_t) rng_int (0, (int64_t) p.oh - 1);
    p.oy1 = p.oh;
    const size_t F = 27;
    p.w = rand_w (F * p.cout, 255);
    int16_t *wp = galloc_bytes ((F + 1) / 2 * p.cout * 2 * sizeof (int16_t));
    memset (wp, 0, (F + 1) / 2 * p.cout * 2 * sizeof (int16_t));
    for (size_t f = 0; f < F; f++)
      for (size_t co = 0; co < p.cout; co++)
        wp[((f / 2) * p.cout + co) * 2 + f % 2] = p.w[f * p.cout + co];
    p.wp = wp;
    p.bias = rand_i32 (p.cout, -100000, 100000);
    p.in_zp = (int32_t) rng_int (0, 255);
    p.rq = rand_rq (p.cout, -16, 1);
    const uint8_t *in = rand_u8 (p.ih * p.iw * p.cin);
    size_t on = p.oh * p.ow * p.cout;
    uint8_t *want, *got = sentinel_copy (on, &want);
    snprintf (current, sizeof current, "%s %zux%zu cout=%zu s=%d",
        v->fname, p.ih, p.iw, p.cout, p.stride);
    ((mnv3_qconv_fn) ref->fn) (in, want, &p);
    ((mnv3_qconv_fn) v->fn) (in, got, &p);
    compare (v, got, want, on, current);
    gfree_all ();
  }
}

static void
test_cmul (const struct variant *v, const struct variant *ref)
{
  for (int t = 0; t < 200; t++) {
    struct mnv3_qcmul_params p = { 0 };
    p.m = (size_t) rng_int (1, 30);
    p.c = (size_t) (rng_int (0, 3) ? 8 * rng_int (1, 12) : rng_int (1, 40));
    p.gate = rand_u8 (p.c);
    p.in_zp = (int32_t) rng_int (0, 255);
    p.gate_zp = (int32_t) rng_int (0, 255);
    p.mult = (int32_t) rng_int (1ll << 30, (1ll << 31) - 1);
    p.shift = (int32_t) rng_int (-16, 0);
    p.out_zp = (int32_t) rng_int (0, 255);
    p.out_min = (int32_t) rng_int (0, 60);
    p.out_max = (int32_t) rng_int (200, 255);
    const uint8_t *in = rand_u8 (p.m * p.c);
    uint8_t *want, *got = sentinel_copy (p.m * p.c, &want);
    snprintf (current, sizeof current, "%s m=%zu c=%zu", v->fname, p.m, p.c);
    ((mnv3_qcmul_fn) ref->fn) (in, want, &p);
    ((mnv3_qcmul_fn) v->fn) (in, got, &p);
    compare (v, got, want, p.m * p.c, current);
    gfree_all ();
  }
}

static void
test_add (const struct variant *v, const struct variant *ref)
{
  for (int t = 0; t < 200; t++) {
    struct mnv3_qadd_params p = { 0 };
    p.n = (size_t) rng_int (1, 300);
    p.a_zp = (int32_t) rng_int (0, 255);
    p.b_zp = (int32_t) rng_int (0, 255);
    p.a_mult = (int32_t) rng_int (1ll << 30, (1ll << 31) - 1);
    p.b_mult = (int32_t) rng_int (1ll << 30, (1ll << 31) - 1);
    p.a_shift = (int32_t) rng_int (-3, 0);
    p.b_shift = (int32_t) rng_int (-3, 0);
    p.mult = (int32_t) rng_int (1ll << 30, (1ll << 31) - 1);
    p.shift = (int32_t) rng_int (-24, -16);
    p.out_zp = (int32_t) rng_int (0, 255);
    p.out_min = (int32_t) rng_int (0, 60);
    p.out_max = (int32_t) rng_int (200, 255);
    const uint8_t *a = rand_u8 (p.n), *b = rand_u8 (p.n);
    uint8_t *want, *got = sentinel_copy (p.n, &want);
    snprintf (current, sizeof current, "%s n=%zu", v->fname, p.n);
    ((mnv3_qadd_fn) ref->fn) (a, b, want, &p);
    ((mnv3_qadd_fn) v->fn) (a, b, got, &p);
    compare (v, got, want, p.n, current);
    gfree_all ();
  }
}

int
main (void)
{
  int tested = 0;
  rng_state = 0x6d6e7638u;      /* the fixed seed */
  cpu_features = mnv3_cpu_features ();
  signal (SIGSEGV, on_fault);
  signal (SIGBUS, on_fault);
  for (size_t i = 0; i < N_VARIANTS; i++) {
    const struct variant *v = &variants[i], *ref = NULL;
    if (strncmp (v->fname, "mnv3_u8_", 8) != 0 || strcmp (v->isa, "ref") == 0)
      continue;
    if ((v->cpu & cpu_features) != v->cpu) {
      printf ("SKIP %s: CPU lacks the features\n", v->fname);
      continue;
    }
    ref = find_ref (v->op);
    int before = n_failures;
    size_t cases = n_cases;
    if (!ref)
      n_failures++;
    else if (strcmp (v->op, "qconv1x1") == 0)
      test_conv1x1 (v, ref);
    else if (strcmp (v->op, "qdwconv") == 0)
      test_dwconv (v, ref);
    else if (strcmp (v->op, "qconv") == 0)
      test_conv (v, ref);
    else if (strcmp (v->op, "qcmul") == 0)
      test_cmul (v, ref);
    else if (strcmp (v->op, "qadd") == 0)
      test_add (v, ref);
    else {
      printf ("FAIL %s: no test for op %s\n", v->fname, v->op);
      n_failures++;
    }
    printf ("%s %s: %zu cases\n", n_failures == before ? "ok  " : "FAIL",
        v->fname, n_cases - cases);
    tested++;
  }
  if (!tested)
    printf ("no optimized integer kernel on this CPU/build\n");
  printf ("%s\n", n_failures ? "FAILED" : "OK");
  return n_failures ? 1 : 0;
}
