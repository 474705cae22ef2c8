/* libmnv3: CPU detection and kernel-set dispatch
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Builds the kernel sets from kernels.inc once. A set named after an ISA
 * takes that ISA's variant of each op where kernels.inc has one, else the
 * variant of the next lower set (avx512 -> avx2 -> ref).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

unsigned
mnv3_cpu_features (void)
{
  unsigned f = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    f |= MNV3_CPU_AVX2_FMA;
  if ((f & MNV3_CPU_AVX2_FMA) && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512vl")
      && __builtin_cpu_supports ("avx512dq")
      && __builtin_cpu_supports ("avx512bw"))
    f |= MNV3_CPU_AVX512;
#endif
  return f;
}

enum
{ SET_REF, SET_AVX2, SET_AVX512, N_SETS };

static const char *const set_names[N_SETS] = { "ref", "avx2", "avx512" };
static const unsigned set_cpu[N_SETS] =
    { MNV3_CPU_NONE, MNV3_CPU_AVX2_FMA, MNV3_CPU_AVX2_FMA | MNV3_CPU_AVX512 };

static struct mnv3_kernels sets[N_SETS];

static int
isa_index (const char *isa)
{
  for (int i = 0; i < N_SETS; i++)
    if (strcmp (isa, set_names[i]) == 0)
      return i;
  return -1;
}

static void
init_sets (void)
{
  /* For each set, fill from kernels.inc in order of increasing ISA so the
   * highest available variant wins. */
  for (int s = 0; s < N_SETS; s++) {
    struct mnv3_kernels *k = &sets[s];
    k->name = set_names[s];
    for (int level = 0; level <= s; level++) {
#define MNV3_KERNEL(op, isa, fn, cpu) \
      if (isa_index (#isa) == level) \
        k->op = fn;
#include "kernels.inc"
#undef MNV3_KERNEL
    }
  }
}

const struct mnv3_kernels *
mnv3_kernels_get (const char *name)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once (&once, init_sets);

  unsigned cpu = mnv3_cpu_features ();
  if (name == NULL || strcmp (name, "auto") == 0) {
    const char *env = getenv ("MNV3_KERNELS");
    if (env && *env && strcmp (env, "auto") != 0)
      return mnv3_kernels_get (env);
    for (int s = N_SETS - 1; s >= 0; s--)
      if ((set_cpu[s] & cpu) == set_cpu[s])
        return &sets[s];
    return &sets[SET_REF];
  }
  int s = isa_index (name);
  if (s < 0 || (set_cpu[s] & cpu) != set_cpu[s])
    return NULL;
  return &sets[s];
}
