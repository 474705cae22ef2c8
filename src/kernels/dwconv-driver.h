/* libmnv3: the depthwise conv row driver, shared by dwconv-avx2.c and
 * dwconv-avx512.c
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Included at the end of each ISA file, after it has defined
 * interior_pixels () and border_pixel () with its own vectors and
 * ALWAYS_INLINE; DWCONV_FN names the kernel. Splits each output row into
 * the border columns (taps clipped) and the interior (8-, 4- and 1-pixel
 * tiles), and instantiates the four k / stride cases with constants. An
 * ISA file may define DWCONV_SMALL (in, out, p, K, S): a path tried first,
 * which returns nonzero when it handled the call.
 */
static ALWAYS_INLINE void
dwconv_rows (const float *in, float *out, const struct mnv3_dwconv_params *p,
    const int K, const int S)
{
#ifdef DWCONV_SMALL
  if (DWCONV_SMALL (in, out, p, K, S))
    return;
#endif
  /* interior columns: ox * S - pad_left >= 0 and
   * ox * S - pad_left + K - 1 <= iw - 1 */
  long lo = p->pad_left > 0 ? (p->pad_left + S - 1) / S : 0;
  long last = (long) p->iw - K + p->pad_left;
  long hi = last >= 0 ? last / S + 1 : 0;
  if (hi > (long) p->ow)
    hi = (long) p->ow;
  if (lo >= hi)
    lo = hi = 0;
  const size_t ox_lo = (size_t) lo, ox_hi = (size_t) hi;

  for (size_t oy = p->oy0; oy < p->oy1; oy++) {
    const long iy = (long) oy * S - p->pad_top;
    int ky0 = iy < 0 ? (int) -iy : 0;
    int ky1 = (long) p->ih - iy < K ? (int) ((long) p->ih - iy) : K;
    if (ky1 < ky0)
      ky1 = ky0;
    size_t ox = 0;
    for (; ox < ox_lo; ox++)
      border_pixel (in, out, p, oy, ox, ky0, ky1);
    for (; ox + 8 <= ox_hi; ox += 8)
      interior_pixels (in, out, p, oy, ox, ky0, ky1, K, S, 8);
    for (; ox + 4 <= ox_hi; ox += 4)
      interior_pixels (in, out, p, oy, ox, ky0, ky1, K, S, 4);
    for (; ox < ox_hi; ox++)
      interior_pixels (in, out, p, oy, ox, ky0, ky1, K, S, 1);
    for (; ox < p->ow; ox++)
      border_pixel (in, out, p, oy, ox, ky0, ky1);
  }
}

static void
dwconv_3x3s1 (const float *in, float *out, const struct mnv3_dwconv_params *p)
{
  dwconv_rows (in, out, p, 3, 1);
}

static void
dwconv_3x3s2 (const float *in, float *out, const struct mnv3_dwconv_params *p)
{
  dwconv_rows (in, out, p, 3, 2);
}

static void
dwconv_5x5s1 (const float *in, float *out, const struct mnv3_dwconv_params *p)
{
  dwconv_rows (in, out, p, 5, 1);
}

static void
dwconv_5x5s2 (const float *in, float *out, const struct mnv3_dwconv_params *p)
{
  dwconv_rows (in, out, p, 5, 2);
}

void
DWCONV_FN (const float *in, float *out,
    const struct mnv3_dwconv_params *p)
{
  assert (p->k == 3 || p->k == 5);
  assert (p->stride == 1 || p->stride == 2);
  assert (p->oy1 <= p->oh);

  if (p->c == 0 || p->ow == 0)
    return;
  if (p->k == 3)
    (p->stride == 1 ? dwconv_3x3s1 : dwconv_3x3s2) (in, out, p);
  else
    (p->stride == 1 ? dwconv_5x5s1 : dwconv_5x5s2) (in, out, p);
}
