/* fma-peak: the measured single-precision FMA peak of one core, AVX2 (8 lanes) and AVX-512
 * (16 lanes), to compare the GFLOP/s of `mnv3 bench --profile` against
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * build: cc -O2 -o fma-peak bench/fma-peak.c      (ISA flags are per function)
 * usage: fma-peak [SECONDS_PER_TRIAL]             (default 0.002; 51 trials each)
 *
 * Each loop keeps ACC independent accumulator chains of FMAs on registers (no loads), enough to
 * cover the FMA latency times the number of FMA pipes; an FMA counts as 2 flops. The best trial
 * is the peak; the median shows how much the shared machine took away. Trials are short on
 * purpose: on a shared virtual machine, trials of 0.2 s measured 40-57 GFLOP/s and trials of
 * 2 ms 114-118 (AMD EPYC, 2026-12-04): the long ones include time the core was given to
 * others, which no kernel step of a few tens of microseconds sees.
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 12
#define ITERS 100000
#define TRIALS 51

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((target ("avx2,fma")))
     static float loop_avx2 (long iters, float seed)
{
  /* twelve named accumulators: an array would be kept in memory */
  const __m256 x = _mm256_set1_ps (0.999999f), y = _mm256_set1_ps (1e-7f);
  __m256 a0 = _mm256_set1_ps (seed + 0), a1 = _mm256_set1_ps (seed + 1), a2 =
      _mm256_set1_ps (seed + 2), a3 = _mm256_set1_ps (seed + 3), a4 =
      _mm256_set1_ps (seed + 4), a5 = _mm256_set1_ps (seed + 5), a6 =
      _mm256_set1_ps (seed + 6), a7 = _mm256_set1_ps (seed + 7), a8 =
      _mm256_set1_ps (seed + 8), a9 = _mm256_set1_ps (seed + 9), a10 =
      _mm256_set1_ps (seed + 10), a11 = _mm256_set1_ps (seed + 11);
  for (long n = 0; n < iters; n++) {
    a0 = _mm256_fmadd_ps (a0, x, y);
    a1 = _mm256_fmadd_ps (a1, x, y);
    a2 = _mm256_fmadd_ps (a2, x, y);
    a3 = _mm256_fmadd_ps (a3, x, y);
    a4 = _mm256_fmadd_ps (a4, x, y);
    a5 = _mm256_fmadd_ps (a5, x, y);
    a6 = _mm256_fmadd_ps (a6, x, y);
    a7 = _mm256_fmadd_ps (a7, x, y);
    a8 = _mm256_fmadd_ps (a8, x, y);
    a9 = _mm256_fmadd_ps (a9, x, y);
    a10 = _mm256_fmadd_ps (a10, x, y);
    a11 = _mm256_fmadd_ps (a11, x, y);
    __asm__ volatile ("":"+x" (a0), "+x" (a1), "+x" (a2), "+x" (a3), "+x" (a4),
        "+x" (a5));
    __asm__ volatile ("":"+x" (a6), "+x" (a7), "+x" (a8), "+x" (a9), "+x" (a10),
        "+x" (a11));
  }
  __m256 s = a0;
  s = _mm256_add_ps (s, a1);
  s = _mm256_add_ps (s, a2);
  s = _mm256_add_ps (s, a3);
  s = _mm256_add_ps (s, a4);
  s = _mm256_add_ps (s, a5);
  s = _mm256_add_ps (s, a6);
  s = _mm256_add_ps (s, a7);
  s = _mm256_add_ps (s, a8);
  s = _mm256_add_ps (s, a9);
  s = _mm256_add_ps (s, a10);
  s = _mm256_add_ps (s, a11);
  return _mm256_cvtss_f32 (s);
}

__attribute__((target ("avx512f")))
     static float loop_avx512 (long iters, float seed)
{
  /* twelve named accumulators: an array would be kept in memory */
  const __m512 x = _mm512_set1_ps (0.999999f), y = _mm512_set1_ps (1e-7f);
  __m512 a0 = _mm512_set1_ps (seed + 0), a1 = _mm512_set1_ps (seed + 1), a2 =
      _mm512_set1_ps (seed + 2), a3 = _mm512_set1_ps (seed + 3), a4 =
      _mm512_set1_ps (seed + 4), a5 = _mm512_set1_ps (seed + 5), a6 =
      _mm512_set1_ps (seed + 6), a7 = _mm512_set1_ps (seed + 7), a8 =
      _mm512_set1_ps (seed + 8), a9 = _mm512_set1_ps (seed + 9), a10 =
      _mm512_set1_ps (seed + 10), a11 = _mm512_set1_ps (seed + 11);
  for (long n = 0; n < iters; n++) {
    a0 = _mm512_fmadd_ps (a0, x, y);
    a1 = _mm512_fmadd_ps (a1, x, y);
    a2 = _mm512_fmadd_ps (a2, x, y);
    a3 = _mm512_fmadd_ps (a3, x, y);
    a4 = _mm512_fmadd_ps (a4, x, y);
    a5 = _mm512_fmadd_ps (a5, x, y);
    a6 = _mm512_fmadd_ps (a6, x, y);
    a7 = _mm512_fmadd_ps (a7, x, y);
    a8 = _mm512_fmadd_ps (a8, x, y);
    a9 = _mm512_fmadd_ps (a9, x, y);
    a10 = _mm512_fmadd_ps (a10, x, y);
    a11 = _mm512_fmadd_ps (a11, x, y);
    __asm__ volatile ("":"+v" (a0), "+v" (a1), "+v" (a2), "+v" (a3), "+v" (a4),
        "+v" (a5));
    __asm__ volatile ("":"+v" (a6), "+v" (a7), "+v" (a8), "+v" (a9), "+v" (a10),
        "+v" (a11));
  }
  __m512 s = a0;
  s = _mm512_add_ps (s, a1);
  s = _mm512_add_ps (s, a2);
  s = _mm512_add_ps (s, a3);
  s = _mm512_add_ps (s, a4);
  s = _mm512_add_ps (s, a5);
  s = _mm512_add_ps (s, a6);
  s = _mm512_add_ps (s, a7);
  s = _mm512_add_ps (s, a8);
  s = _mm512_add_ps (s, a9);
  s = _mm512_add_ps (s, a10);
  s = _mm512_add_ps (s, a11);
  return _mm512_reduce_add_ps (s);
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
measure (const char *name, float (*fn) (long, float), int lanes, double secs)
{
  double g[TRIALS];
  volatile float sink = 0;
  sink += fn (ITERS, 1.0f);     /* warm up (clock ramp) */
  for (int t = 0; t < TRIALS; t++) {
    long reps = 0;
    double t0 = now (), t1;
    do {
      sink += fn (ITERS, (float) t);
      reps++;
    } while ((t1 = now ()) - t0 < secs);
    g[t] = 2.0 * lanes * ACC * (double) ITERS *reps / (t1 - t0) / 1e9;
  }
  qsort (g, TRIALS, sizeof (double), cmp);
  printf ("fma-peak isa=%s lanes=%d best_gflops=%.1f median_gflops=%.1f\n",
      name, lanes, g[TRIALS - 1], g[TRIALS / 2]);
}

int
main (int argc, char **argv)
{
  double secs = argc > 1 ? atof (argv[1]) : 0.002;
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    measure ("avx2", loop_avx2, 8, secs);
  else
    printf ("fma-peak isa=avx2 not supported\n");
  if (__builtin_cpu_supports ("avx512f"))
    measure ("avx512", loop_avx512, 16, secs);
  else
    printf ("fma-peak isa=avx512 not supported\n");
  return 0;
}
