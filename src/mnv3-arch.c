/* libmnv3: the MobileNetV3 block tables (paper Tables 1 and 2) and padding
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>
#include <string.h>
#include "mnv3-private.h"

/* Howard et al. 2019, Table 1 (Large): k, exp, out, SE, HS, stride. */
static const Mnv3BlockSpec large_blocks[] = {
  {3, 16, 16, FALSE, FALSE, 1},
  {3, 64, 24, FALSE, FALSE, 2},
  {3, 72, 24, FALSE, FALSE, 1},
  {5, 72, 40, TRUE, FALSE, 2},
  {5, 120, 40, TRUE, FALSE, 1},
  {5, 120, 40, TRUE, FALSE, 1},
  {3, 240, 80, FALSE, TRUE, 2},
  {3, 200, 80, FALSE, TRUE, 1},
  {3, 184, 80, FALSE, TRUE, 1},
  {3, 184, 80, FALSE, TRUE, 1},
  {3, 480, 112, TRUE, TRUE, 1},
  {3, 672, 112, TRUE, TRUE, 1},
  {5, 672, 160, TRUE, TRUE, 2},
  {5, 960, 160, TRUE, TRUE, 1},
  {5, 960, 160, TRUE, TRUE, 1},
};

/* Table 2 (Small). */
static const Mnv3BlockSpec small_blocks[] = {
  {3, 16, 16, TRUE, FALSE, 2},
  {3, 72, 24, FALSE, FALSE, 2},
  {3, 88, 24, FALSE, FALSE, 1},
  {5, 96, 40, TRUE, TRUE, 2},
  {5, 240, 40, TRUE, TRUE, 1},
  {5, 240, 40, TRUE, TRUE, 1},
  {5, 120, 48, TRUE, TRUE, 1},
  {5, 144, 48, TRUE, TRUE, 1},
  {5, 288, 96, TRUE, TRUE, 2},
  {5, 576, 96, TRUE, TRUE, 1},
  {5, 576, 96, TRUE, TRUE, 1},
};

#define N_LARGE G_N_ELEMENTS (large_blocks)
#define N_SMALL G_N_ELEMENTS (small_blocks)

/* Minimalistic (TensorFlow's release): same channels and strides, 3x3
 * depthwise everywhere, no SE, ReLU everywhere. */
static Mnv3BlockSpec large_min_blocks[N_LARGE];
static Mnv3BlockSpec small_min_blocks[N_SMALL];

static gpointer
init_minimalistic (gpointer data)
{
  for (guint i = 0; i < N_LARGE; i++) {
    large_min_blocks[i] = large_blocks[i];
    large_min_blocks[i].k = 3;
    large_min_blocks[i].se = FALSE;
    large_min_blocks[i].hswish = FALSE;
  }
  for (guint i = 0; i < N_SMALL; i++) {
    small_min_blocks[i] = small_blocks[i];
    small_min_blocks[i].k = 3;
    small_min_blocks[i].se = FALSE;
    small_min_blocks[i].hswish = FALSE;
  }
  return NULL;
}

const Mnv3BlockSpec *
mnv3_arch_blocks (Mnv3Arch arch, int *n_blocks)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, init_minimalistic, NULL);

  switch (arch) {
    case MNV3_ARCH_LARGE:
      *n_blocks = N_LARGE;
      return large_blocks;
    case MNV3_ARCH_SMALL:
      *n_blocks = N_SMALL;
      return small_blocks;
    case MNV3_ARCH_LARGE_MINIMALISTIC:
      *n_blocks = N_LARGE;
      return large_min_blocks;
    case MNV3_ARCH_SMALL_MINIMALISTIC:
      *n_blocks = N_SMALL;
      return small_min_blocks;
  }
  g_return_val_if_reached (NULL);
}

static const char *const arch_names[] = {
  "large", "small", "large-minimalistic", "small-minimalistic"
};

gboolean
mnv3_arch_from_string (const char *s, Mnv3Arch * arch)
{
  for (guint i = 0; i < G_N_ELEMENTS (arch_names); i++) {
    if (g_strcmp0 (s, arch_names[i]) == 0) {
      *arch = (Mnv3Arch) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
mnv3_arch_to_string (Mnv3Arch arch)
{
  g_return_val_if_fail ((guint) arch < G_N_ELEMENTS (arch_names), "unknown");
  return arch_names[arch];
}

/* torchvision's _make_divisible: round to the nearest multiple of divisor,
 * at least divisor, and never more than 10% below v. */
int
mnv3_make_divisible (double v, int divisor)
{
  int new_v = ((int) (v + divisor / 2.0) / divisor) * divisor;
  if (new_v < divisor)
    new_v = divisor;
  if (new_v < 0.9 * v)
    new_v += divisor;
  return new_v;
}

void
mnv3_conv_padding (Mnv3Padding padding, int in, int k, int stride,
    int *out, int *pad_before)
{
  if (padding == MNV3_PADDING_TF_SAME) {
    /* TensorFlow SAME: out = ceil (in / s); the odd pixel of padding goes
     * at the bottom/right. */
    int o = (in + stride - 1) / stride;
    int total = (o - 1) * stride + k - in;
    if (total < 0)
      total = 0;
    *out = o;
    *pad_before = total / 2;
  } else {
    /* torchvision: (k - 1) / 2 on every side. */
    int p = (k - 1) / 2;
    *out = (in + 2 * p - k) / stride + 1;
    *pad_before = p;
  }
}
