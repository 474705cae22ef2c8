/* tests/kernels: what the kernel test and the kernel benchmark share
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The variant table (from kernels.inc) and the reference variant of an op,
 * random numbers from a fixed seed, buffers that end at a PROT_NONE page,
 * the SIGSEGV/SIGBUS handler that names the running case, conv1x1 weight
 * panels and output sizes. Header only: test-kernels.c, test-qkernels.c
 * and bench-kernels.c include it.
 */
#ifndef __MNV3_KERNELS_COMMON_H__
#define __MNV3_KERNELS_COMMON_H__

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kernels.h"

typedef void (*generic_fn) (void);

struct variant
{
  const char *op;
  const char *isa;
  const char *fname;
  generic_fn fn;
  unsigned cpu;
};

static const struct variant variants[] = {
#define MNV3_KERNEL(op, isa, fn, cpu) { #op, #isa, #fn, (generic_fn) fn, cpu },
#include "kernels.inc"
#undef MNV3_KERNEL
};

#define N_VARIANTS (sizeof (variants) / sizeof (variants[0]))

static unsigned cpu_features;

/* The op's __ref variant, or NULL. */
static inline const struct variant *
find_ref (const char *op)
{
  for (size_t i = 0; i < N_VARIANTS; i++)
    if (strcmp (variants[i].op, op) == 0
        && strcmp (variants[i].isa, "ref") == 0)
      return &variants[i];
  return NULL;
}

/* What is running, for the SIGSEGV/SIGBUS handler (an access to a guard
 * page means an over-read or over-write past a buffer end). */
static char current[400];

static inline void
on_fault (int sig)
{
  static const char msg[] = "FAIL (fault: access past a buffer end?) in ";
  ssize_t r = write (1, msg, sizeof msg - 1);
  r = write (1, current, strlen (current));
  r = write (1, "\n", 1);
  (void) r;
  (void) sig;
  _exit (1);
}

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64, fixed seed. */

static uint64_t rng_state;

static inline uint64_t
rng_next (void)
{
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* uniform in [lo, hi) */
static inline float
rng_uniform (float lo, float hi)
{
  return lo + (hi - lo) * (float) ((rng_next () >> 40) * (1.0 / 16777216.0));
}

/* uniform integer in [lo, hi] */
static inline size_t
rng_range (size_t lo, size_t hi)
{
  return lo + (size_t) (rng_next () % (hi - lo + 1));
}

/* uniform signed integer in [lo, hi] */
static inline int64_t
rng_int (int64_t lo, int64_t hi)
{
  return lo + (int64_t) (rng_next () % (uint64_t) (hi - lo + 1));
}

static inline void
fill_uniform (float *x, size_t n, float lo, float hi)
{
  for (size_t i = 0; i < n; i++)
    x[i] = rng_uniform (lo, hi);
}

/* ------------------------------------------------------------------ */
/* Guarded buffers: the last byte is right before a PROT_NONE page. */

#define MAX_BUFS 32

struct gbuf
{
  void *map;
  size_t len;
};

static struct gbuf bufs[MAX_BUFS];
static int n_bufs;

/* @bytes bytes ending right before a PROT_NONE page (freed by gfree_all). */
static inline void *
galloc_bytes (size_t bytes)
{
  size_t page = (size_t) sysconf (_SC_PAGESIZE);
  size_t data_pages = (bytes + page - 1) / page;
  size_t len = (data_pages + 1) * page;

  if (n_bufs == MAX_BUFS) {
    fprintf (stderr, "kernels: too many buffers\n");
    exit (99);
  }
  void *map = mmap (NULL, len, PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    perror ("mmap");
    exit (99);
  }
  if (mprotect ((char *) map + data_pages * page, page, PROT_NONE) != 0) {
    perror ("mprotect");
    exit (99);
  }
  bufs[n_bufs].map = map;
  bufs[n_bufs].len = len;
  n_bufs++;
  return (char *) map + data_pages * page - bytes;
}

/* @n floats ending right before a PROT_NONE page. */
static inline float *
galloc (size_t n)
{
  return (float *) galloc_bytes (n * sizeof (float));
}

static inline void
gfree_all (void)
{
  for (int i = 0; i < n_bufs; i++)
    munmap (bufs[i].map, bufs[i].len);
  n_bufs = 0;
}

/* The k x n weights @w (row stride @ld) in panels of MNV3_CONV1X1_PANEL
 * columns, as kernels.h describes; *w_panel gets the panel stride. */
static inline float *
pack_panels (const float *w, size_t k, size_t n, size_t ld, size_t *w_panel)
{
  const size_t P = MNV3_CONV1X1_PANEL;
  size_t panels = (n + P - 1) / P;
  float *dst = galloc (panels * k * P);
  memset (dst, 0, panels * k * P * sizeof (float));
  for (size_t r = 0; r < k; r++)
    for (size_t c = 0; c < n; c++)
      dst[(c / P) * k * P + r * P + c % P] = w[r * ld + c];
  *w_panel = k * P;
  return dst;
}

/* dwconv and conv share the spatial set-up */

enum pad_mode
{
  PAD_SYMMETRIC,                /* pad k/2 on every side */
  PAD_SAME,                     /* TF SAME: oh = ceil (ih / s), extra at bottom */
  PAD_VALID,                    /* no padding */
};

/* Output size and leading pad for one dimension; 0 if no output. */
static inline size_t
out_size (size_t in, int k, int s, enum pad_mode mode, int *pad)
{
  switch (mode) {
    case PAD_SYMMETRIC:
      *pad = k / 2;
      return (in + 2 * (size_t) (k / 2) - (size_t) k) / (size_t) s + 1;
    case PAD_SAME:{
      size_t o = (in + (size_t) s - 1) / (size_t) s;
      long total = (long) ((o - 1) * (size_t) s) + k - (long) in;
      *pad = total > 0 ? (int) (total / 2) : 0;
      return o;
    }
    default:
      *pad = 0;
      return in >= (size_t) k ? (in - (size_t) k) / (size_t) s + 1 : 0;
  }
}

#endif /* __MNV3_KERNELS_COMMON_H__ */
