/* libmnv3 kernels: declarations and parameter blocks
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plain C, no GLib. Every kernel works on NHWC f32 tensors with channels
 * innermost; counts are in elements; pointers need no particular alignment
 * unless a kernel says so. Parameters travel in a const params struct, always
 * the last argument. Declarations come from kernels.inc (one line a variant).
 */
#ifndef __MNV3_KERNELS_H__
#define __MNV3_KERNELS_H__

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mnv3_act {
  MNV3_ACT_NONE = 0,
  MNV3_ACT_RELU,
  MNV3_ACT_HSWISH,              /* x * relu6 (x + 3) / 6 */
  MNV3_ACT_HSIGMOID,            /* relu6 (x + 3) / 6 */
};

/* 1x1 convolution as GEMM: out[m][n] = act (bias[n] + sum_k in[m][k] *
 * (kscale ? kscale[k] : 1) * w[k][n]) (+ residual[m][n] after act).
 * Rows m in [0, m), in row stride in_stride, out row stride out_stride,
 * residual row stride out_stride. w is K x N row-major with row stride
 * w_stride (>= n): callers split N across threads by offsetting w, bias
 * and out. kscale (optional) is the squeeze-excite channel scale, applied to
 * the input on the fly. in and out must not overlap; residual may equal
 * out (each element reads its residual before writing).
 * Packed weights: when w_panel != 0, w is instead stored in panels of
 * MNV3_CONV1X1_PANEL columns: column n of row k is at
 * w[(n / PANEL) * w_panel + k * PANEL + n % PANEL] (w_stride ignored; the
 * last panel is zero-padded to PANEL columns). Streams each panel from
 * memory in order, which the hardware prefetchers follow; w_panel is
 * usually k * PANEL. Callers splitting N then offset w by whole panels. */
#define MNV3_CONV1X1_PANEL 32
struct mnv3_conv1x1_params {
  size_t m, k, n;
  size_t in_stride, out_stride, w_stride;
  size_t w_panel;
  const float *w;
  const float *bias;            /* n values, never NULL */
  const float *kscale;          /* k values or NULL */
  const float *residual;        /* like out, or NULL */
  enum mnv3_act act;
};

/* Depthwise k x k convolution, k = 3 or 5, stride 1 or 2.
 * in: ih x iw x c; out: oh x ow x c; computes output rows [oy0, oy1).
 * Padding: input pixel of output (oy, ox), tap (ky, kx) is
 * (oy * stride - pad_top + ky, ox * stride - pad_left + kx); outside = 0.
 * w: k*k x c (tap-major, channels innermost); bias: c. act fused.
 * No over-read; in and out must not overlap. */
struct mnv3_dwconv_params {
  size_t ih, iw, c, oh, ow;
  int k, stride, pad_top, pad_left;
  size_t oy0, oy1;
  const float *w;
  const float *bias;
  enum mnv3_act act;
};

/* Full k x k convolution (the stem: 3x3/2, 3 -> 16 channels).
 * in: ih x iw x cin; out: oh x ow x cout; rows [oy0, oy1).
 * w: k x k x cin x cout (cout innermost); bias: cout; act fused.
 * Padding as dwconv. */
struct mnv3_conv_params {
  size_t ih, iw, cin, oh, ow, cout;
  int k, stride, pad_top, pad_left;
  size_t oy0, oy1;
  const float *w;
  const float *bias;
  enum mnv3_act act;
};

/* Global average pool: out[c] = mean over hw of in[p][c]; channels
 * [c0, c1) only. */
struct mnv3_gap_params {
  size_t hw, c;
  size_t c0, c1;
};

/* Activation in place over n values. */
struct mnv3_act_params {
  size_t n;
  enum mnv3_act act;
};

/* TensorFlow Lite activation-quantization emulation (quant-ref.c).
 *
 * A uint8 / int8 grid: fq (x) = (clamp (rint (x / scale) + zero_point, qmin,
 * qmax) - zero_point) * scale, rint rounding half to even (the default
 * floating-point rounding mode; XNNPACK's fp32 requantization, which
 * TensorFlow Lite runs uint8 models with, does the same). zero_point, qmin
 * and qmax are integers stored as floats. scale 0 means no grid: fq (x) = x. */
struct mnv3_qgrid {
  float scale, zero_point, qmin, qmax;
};

/* out[i] = fq (act (in[i]) * mul + add), i in [0, n). in == out allowed. */
struct mnv3_quant_params {
  size_t n;
  enum mnv3_act act;
  float mul, add;
  struct mnv3_qgrid q;
};

/* out[i] = fq (a[i] + b[i]) (residual add). out may equal a or b. */
struct mnv3_add_params {
  size_t n;
  struct mnv3_qgrid q;
};

/* Channel scale (squeeze-excite multiply): out[m][c] = fq (in[m][c] *
 * scale[c]) for rows [0, m) of c channels. in == out allowed. */
struct mnv3_cscale_params {
  size_t m, c;
  const float *scale;
  struct mnv3_qgrid q;
};

/* Quantized global average pool of a map on the grid qin: out[c] =
 * fq_qout (qin.scale * sum_p rint (in[p][c] / qin.scale) / hw), the sum
 * taken exactly in integers and the division in double, so that ties (a
 * sum over an even pixel count ending in .5) round half to even exactly
 * rather than by rounding noise. Channels [c0, c1). */
struct mnv3_qgap_params {
  size_t hw, c;
  size_t c0, c1;
  struct mnv3_qgrid qin, qout;
};

/* Integer engine (mnv3-quant.c): TensorFlow Lite's reference integer
 * arithmetic. Activations are uint8 (an int8 model runs shifted by +128:
 * every zero point and bound moves with it, which changes no result), sums
 * are int32, and an int32 sum x goes back to uint8 as
 * clamp (out_zp + mnv3_requant (x, mult, shift), out_min, out_max). */
struct mnv3_requant {
  const int32_t *mult;          /* per output channel, Q0.31 */
  const int32_t *shift;         /* per output channel: > 0 left, < 0 right */
  int32_t out_zp, out_min, out_max;
};

/* 1x1 conv / fully connected: out[m][n] = rq (bias[n] + sum_k in[m][k] *
 * w[k][n]). w is (weight - weight zero point), K x N int16 row-major; the
 * caller folds the input zero point into bias (bias - in_zp * sum_k w).
 * Optimized variants read their own copy, wp (packed by
 * mnv3_u8_conv1x1_pack ()), when not NULL. Rows [0, m), channels [0, n)
 * of the full N = w_stride (callers split N by offsetting w, wp by whole
 * panels, bias, rq arrays and out). */
#define MNV3_QPANEL 16
struct mnv3_qconv1x1_params {
  size_t m, k, n;
  size_t in_stride, out_stride, w_stride;
  const int16_t *w;
  /* The same weights for the optimized variants: panels of MNV3_QPANEL
   * columns, K rounded up to even, k pairs interleaved: column n of rows
   * (2j, 2j + 1) are wp[(n / PANEL) * wp_panel + (j * PANEL + n % PANEL) *
   * 2 + {0, 1}] (zeros past K and N). Callers splitting N offset wp by whole
   * panels. */
  const int16_t *wp;
  size_t wp_panel;              /* int16 values per panel: 2 * ceil (k / 2) * PANEL */
  const int32_t *bias;
  struct mnv3_requant rq;
};

/* Depthwise k x k conv (geometry as mnv3_dwconv_params): out[oy][ox][c] =
 * rq (bias[c] + sum over taps inside the map of (in - in_zp) * w[tap][c]);
 * taps outside the map add nothing (TFLite's padding). w: k*k x c int16
 * (weight - its zero point), tap-major. */
struct mnv3_qdwconv_params {
  size_t ih, iw, c, oh, ow;
  int k, stride, pad_top, pad_left;
  size_t oy0, oy1;
  const int16_t *w;
  /* the same weights for the optimized variants, taps in pairs: channel c
   * of taps (2j, 2j + 1) at wp[(j * c_total + c) * 2 + {0, 1}] (a zero tap
   * completes the last pair) */
  const int16_t *wp;
  const int32_t *bias;
  int32_t in_zp;
  struct mnv3_requant rq;
};

/* Full k x k conv (the stem), geometry as mnv3_conv_params, w: k x k x cin x
 * cout int16 (weight - zero point); padding adds nothing as in dwconv. wp:
 * the same for the optimized variants, the k * k * cin inputs f = tap * cin
 * + ci in pairs: output channel co of inputs (2j, 2j + 1) at wp[(j * cout +
 * co) * 2 + {0, 1}] (a zero completes the last pair). */
struct mnv3_qconv_params {
  size_t ih, iw, cin, oh, ow, cout;
  int k, stride, pad_top, pad_left;
  size_t oy0, oy1;
  const int16_t *w;
  const int16_t *wp;
  const int32_t *bias;
  int32_t in_zp;
  struct mnv3_requant rq;
};

/* Element-wise table: out[i] = lut[in[i]], i in [0, n) (TFLite's uint8
 * HARD_SWISH, and the squeeze-excite's ADD 3 / MUL 1/6 chain, are
 * functions of one byte). in == out allowed. */
struct mnv3_qlut_params {
  size_t n;
  const uint8_t *lut;           /* 256 entries */
};

/* Global average pool as TFLite's uint8 AVERAGE_POOL_2D: out[c] =
 * clamp ((sum_p in[p][c] + hw / 2) / hw, lo, hi), same grid in and out.
 * Channels [c0, c1). */
struct mnv3_qgap_u8_params {
  size_t hw, c;
  size_t c0, c1;
  int32_t lo, hi;
};

/* Squeeze-excite scale as TFLite's uint8 MUL with a [1, 1, 1, C] operand:
 * out[m][c] = clamp (out_zp + mnv3_requant ((in[m][c] - in_zp) *
 * (gate[c] - gate_zp), mult, shift)), rows [0, m). in == out allowed. */
struct mnv3_qcmul_params {
  size_t m, c;
  const uint8_t *gate;
  int32_t in_zp, gate_zp, mult, shift;
  int32_t out_zp, out_min, out_max;
};

/* Residual sum as TFLite's uint8 ADD (left shift 20, each input rescaled,
 * the sum requantized): i in [0, n); out may equal a or b. */
struct mnv3_qadd_params {
  size_t n;
  int32_t a_zp, b_zp, a_mult, a_shift, b_mult, b_shift, mult, shift;
  int32_t out_zp, out_min, out_max;
};

typedef void (*mnv3_conv1x1_fn) (const float *in, float *out,
    const struct mnv3_conv1x1_params * p);
typedef void (*mnv3_dwconv_fn) (const float *in, float *out,
    const struct mnv3_dwconv_params * p);
typedef void (*mnv3_conv_fn) (const float *in, float *out,
    const struct mnv3_conv_params * p);
typedef void (*mnv3_gap_fn) (const float *in, float *out,
    const struct mnv3_gap_params * p);
typedef void (*mnv3_act_fn) (float *x, const struct mnv3_act_params * p);
typedef void (*mnv3_quant_fn) (const float *in, float *out,
    const struct mnv3_quant_params * p);
typedef void (*mnv3_add_fn) (const float *a, const float *b, float *out,
    const struct mnv3_add_params * p);
typedef void (*mnv3_cscale_fn) (const float *in, float *out,
    const struct mnv3_cscale_params * p);
typedef void (*mnv3_qgap_fn) (const float *in, float *out,
    const struct mnv3_qgap_params * p);

typedef void (*mnv3_qconv1x1_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qconv1x1_params * p);
typedef void (*mnv3_qdwconv_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qdwconv_params * p);
typedef void (*mnv3_qconv_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qconv_params * p);
typedef void (*mnv3_qlut_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qlut_params * p);
typedef void (*mnv3_qgap_u8_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qgap_u8_params * p);
typedef void (*mnv3_qcmul_fn) (const uint8_t *in, uint8_t *out,
    const struct mnv3_qcmul_params * p);
typedef void (*mnv3_qadd_fn) (const uint8_t *a, const uint8_t *b,
    uint8_t *out, const struct mnv3_qadd_params * p);

/* CPU feature bits used in kernels.inc */
#define MNV3_CPU_NONE 0u
#define MNV3_CPU_AVX2_FMA 1u
#define MNV3_CPU_AVX512 2u      /* AVX-512 F + VL + DQ + BW */

#define MNV3_KERNEL(op, isa, fn, cpu) \
  void fn (MNV3_KERNEL_ARGS_##op);
#define MNV3_KERNEL_ARGS_conv1x1 const float *in, float *out, \
    const struct mnv3_conv1x1_params *p
#define MNV3_KERNEL_ARGS_dwconv const float *in, float *out, \
    const struct mnv3_dwconv_params *p
#define MNV3_KERNEL_ARGS_conv const float *in, float *out, \
    const struct mnv3_conv_params *p
#define MNV3_KERNEL_ARGS_gap const float *in, float *out, \
    const struct mnv3_gap_params *p
#define MNV3_KERNEL_ARGS_act float *x, const struct mnv3_act_params *p
#define MNV3_KERNEL_ARGS_quant const float *in, float *out, \
    const struct mnv3_quant_params *p
#define MNV3_KERNEL_ARGS_add const float *a, const float *b, float *out, \
    const struct mnv3_add_params *p
#define MNV3_KERNEL_ARGS_cscale const float *in, float *out, \
    const struct mnv3_cscale_params *p
#define MNV3_KERNEL_ARGS_qgap const float *in, float *out, \
    const struct mnv3_qgap_params *p
#define MNV3_KERNEL_ARGS_qconv1x1 const uint8_t *in, uint8_t *out, \
    const struct mnv3_qconv1x1_params *p
#define MNV3_KERNEL_ARGS_qdwconv const uint8_t *in, uint8_t *out, \
    const struct mnv3_qdwconv_params *p
#define MNV3_KERNEL_ARGS_qconv const uint8_t *in, uint8_t *out, \
    const struct mnv3_qconv_params *p
#define MNV3_KERNEL_ARGS_qlut const uint8_t *in, uint8_t *out, \
    const struct mnv3_qlut_params *p
#define MNV3_KERNEL_ARGS_qgap_u8 const uint8_t *in, uint8_t *out, \
    const struct mnv3_qgap_u8_params *p
#define MNV3_KERNEL_ARGS_qcmul const uint8_t *in, uint8_t *out, \
    const struct mnv3_qcmul_params *p
#define MNV3_KERNEL_ARGS_qadd const uint8_t *a, const uint8_t *b, \
    uint8_t *out, const struct mnv3_qadd_params *p
#include "kernels.inc"
#undef MNV3_KERNEL

/* One kernel set, filled once by mnv3_kernels_get(). */
struct mnv3_kernels {
  const char *name;             /* "ref", "avx2", "avx512" */
  mnv3_conv1x1_fn conv1x1;
  mnv3_dwconv_fn dwconv;
  mnv3_conv_fn conv;
  mnv3_gap_fn gap;
  mnv3_act_fn act;
  mnv3_quant_fn quant;          /* quantization emulation (reference only) */
  mnv3_add_fn add;
  mnv3_cscale_fn cscale;
  mnv3_qgap_fn qgap;
  /* integer engine */
  mnv3_qconv1x1_fn qconv1x1;
  mnv3_qdwconv_fn qdwconv;
  mnv3_qconv_fn qconv;
  mnv3_qlut_fn qlut;
  mnv3_qgap_u8_fn qgap_u8;
  mnv3_qcmul_fn qcmul;
  mnv3_qadd_fn qadd;
};

/* CPU features of this machine (MNV3_CPU_* bits). */
unsigned mnv3_cpu_features (void);

/* The kernel set named @name ("ref", "avx2", "avx512"), or "auto"/NULL for
 * the best this CPU supports (MNV3_KERNELS in the environment overrides
 * auto). Returns NULL if unknown or unsupported by the CPU. Variants missing
 * from a set fall back to the next lower set, down to ref. */
const struct mnv3_kernels *mnv3_kernels_get (const char *name);

/* Scalar helpers shared by reference kernels (static inline: no linkage). */
static inline float
mnv3_apply_act (float x, enum mnv3_act act)
{
  float r6;
  switch (act) {
    case MNV3_ACT_RELU:
      return x > 0.0f ? x : 0.0f;
    case MNV3_ACT_HSWISH:
      r6 = x + 3.0f;
      r6 = r6 < 0.0f ? 0.0f : (r6 > 6.0f ? 6.0f : r6);
      return x * r6 * (1.0f / 6.0f);
    case MNV3_ACT_HSIGMOID:
      r6 = x + 3.0f;
      r6 = r6 < 0.0f ? 0.0f : (r6 > 6.0f ? 6.0f : r6);
      return r6 * (1.0f / 6.0f);
    default:
      return x;
  }
}

/* Round half to even of |v| <= 2^22 without a libm call (the default
 * rounding mode does it when v + 1.5 * 2^23 drops the fraction). */
static inline float
mnv3_round_even (float v)
{
  const float magic = 12582912.0f;
  return (v + magic) - magic;
}

/* fq () of struct mnv3_qgrid: onto the grid, back to float. Clamping to
 * [qmin - zero_point, qmax - zero_point] before rounding is the same as
 * after (integer bounds) and keeps the value in mnv3_round_even ()'s range. */
static inline float
mnv3_fake_quant (float x, const struct mnv3_qgrid *q)
{
  if (q->scale == 0.0f)
    return x;
  float lo = q->qmin - q->zero_point, hi = q->qmax - q->zero_point;
  float v = x / q->scale;
  v = v < lo ? lo : (v > hi ? hi : v);
  return mnv3_round_even (v) * q->scale;
}

/* TensorFlow Lite's fixed-point helpers (gemmlowp's
 * SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, and
 * MultiplyByQuantizedMultiplier built from them), for the integer kernels. */
static inline int32_t
mnv3_srdhm (int32_t a, int32_t b)
{
  if (a == b && a == INT32_MIN)
    return INT32_MAX;
  int64_t ab = (int64_t) a * b;
  int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t) ((ab + nudge) / ((int64_t) 1 << 31));
}

static inline int32_t
mnv3_rdpot (int32_t x, int exponent)
{
  int32_t mask = (int32_t) (((uint32_t) 1 << exponent) - 1);
  int32_t remainder = x & mask;
  int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t
mnv3_requant (int32_t x, int32_t mult, int shift)
{
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return mnv3_rdpot (mnv3_srdhm ((int32_t) ((uint32_t) x << left), mult),
      right);
}

/* clamp (zp + requant (acc)) of struct mnv3_requant, output channel n */
static inline uint8_t
mnv3_requant_u8 (int32_t acc, const struct mnv3_requant *rq, size_t n)
{
  int32_t v = rq->out_zp + mnv3_requant (acc, rq->mult[n], rq->shift[n]);
  v = v < rq->out_min ? rq->out_min : v;
  v = v > rq->out_max ? rq->out_max : v;
  return (uint8_t) v;
}

#ifdef __cplusplus
}
#endif
#endif /* __MNV3_KERNELS_H__ */
