/* libmnv3: quantized networks (TensorFlow Lite uint8/int8 files)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
#include <json-glib/json-glib.h>
#include "mnv3-graph-build.h"

/* Activation-quantization emulation (models/FORMAT.md 2a): the network as
 * TensorFlow Lite runs a uint8 file, every activation rounded where TFLite
 * stores one. Unfused where TFLite rounds an intermediate the float path
 * never materializes: conv (ReLU or linear) -> grid [-> h-swish -> grid];
 * SE pool, fc1, fc2, + 3, * 1/6 and the map times the gate each on their
 * grid; the projection on its grid, then the residual add on its own. */

static void
add_quant (Builder * bld, ProfType prof, const float *in, float *out,
    size_t n, enum mnv3_act act, float mul, float add,
    const struct mnv3_qgrid *q)
{
  Step s = { 0 };
  s.kind = STEP_QUANT;
  s.prof = prof;
  s.in = in;
  s.out = out;
  s.p.quant = (struct mnv3_quant_params) {
    .n = n,.act = act,.mul = mul,.add = add,.q = *q
  };
  s.macs = n;
  g_array_append_val (bld->steps, s);
}

/* A unit's output in place: onto its grid [, h-swish onto the next]. */
static void
add_unit_quant (Builder * bld, ProfType prof, float *x, size_t n,
    const Mnv3Conv * c, const Mnv3UnitQuant * u)
{
  add_quant (bld, prof, x, x, n, MNV3_ACT_NONE, 1.0f, 0.0f, &u->out);
  if (c->act == MNV3_ACT_HSWISH)
    add_quant (bld, prof, x, x, n, MNV3_ACT_HSWISH, 1.0f, 0.0f, &u->act);
}

/* The grid a unit's output ends on. */
static const struct mnv3_qgrid *
unit_grid (const Mnv3Conv * c, const Mnv3UnitQuant * u)
{
  return c->act == MNV3_ACT_HSWISH ? &u->act : &u->out;
}

/* A conv with its h-swish / h-sigmoid left out (applied after rounding);
 * ReLU stays fused: rounding clamps at the grid's zero anyway. */
static Mnv3Conv
conv_pre_act (const Mnv3Conv * c)
{
  Mnv3Conv r = *c;
  if (r.act != MNV3_ACT_RELU)
    r.act = MNV3_ACT_NONE;
  return r;
}

static void
add_qgap (Builder * bld, ProfType prof, const float *in, float *out,
    size_t hw, size_t c, const struct mnv3_qgrid *qin,
    const struct mnv3_qgrid *qout)
{
  Step s = { 0 };
  s.kind = STEP_QGAP;
  s.prof = prof;
  s.in = in;
  s.out = out;
  s.p.qgap = (struct mnv3_qgap_params) {
    .hw = hw,.c = c,.qin = *qin,.qout = *qout
  };
  s.macs = (uint64_t) hw *c;
  g_array_append_val (bld->steps, s);
}

/* The emulation builder's state between mnv3_net_walk () callbacks. */
typedef struct
{
  Builder *bld;
  const Mnv3Model *model;
  const Mnv3ActQuant *aq;
  const NetBuffers *buf;
  float *cur, *other;           /* block input, the other ping-pong buffer */
} EmuCtx;

static void
emu_stem (void *data, int hw, int ohw, int pad)
{
  EmuCtx *e = data;
  Builder *bld = e->bld;
  const NetBuffers *buf = e->buf;
  Mnv3Conv c;
  Step s;

  add_quant (bld, PROF_STEM, buf->input, buf->qin,
      (size_t) hw * hw * 3, MNV3_ACT_NONE, 1.0f, 0.0f, &e->aq->input);
  c = conv_pre_act (&e->model->stem);
  memset (&s, 0, sizeof s);
  s.kind = STEP_CONV;
  s.prof = PROF_STEM;
  s.in = buf->qin;
  s.out = buf->x;
  s.p.conv = (struct mnv3_conv_params) {
    .ih = hw,.iw = hw,.cin = 3,.oh = ohw,.ow = ohw,.cout = c.cout,
    .k = 3,.stride = 2,.pad_top = pad,.pad_left = pad,.w = c.w,
    .bias = c.b,.act = c.act
  };
  s.macs = (uint64_t) ohw *ohw * c.cout * 27;
  g_array_append_val (bld->steps, s);
  add_unit_quant (bld, PROF_STEM, buf->x, (size_t) ohw * ohw * c.cout,
      &e->model->stem, &e->aq->stem);
  e->cur = buf->x;
  e->other = buf->y;
}

static void
emu_block (void *data, int i, const Mnv3Block * b, int hw, int ohw, int pad)
{
  EmuCtx *e = data;
  Builder *bld = e->bld;
  const NetBuffers *buf = e->buf;
  const Mnv3BlockQuant *bq = &e->aq->blocks[i];
  float *cur = e->cur, *other = e->other;
  Mnv3Conv c;
  Step s;

  size_t m_in = (size_t) hw * hw;
  const float *dw_in = cur;
  if (b->has_expand) {
    c = conv_pre_act (&b->expand);
    mnv3_build_conv1x1 (bld, PROF_EXPAND, &c, cur, buf->e, m_in, NULL, NULL);
    add_unit_quant (bld, PROF_EXPAND, buf->e, m_in * b->cexp, &b->expand,
        &bq->expand);
    dw_in = buf->e;
  }
  c = conv_pre_act (&b->dw);
  memset (&s, 0, sizeof s);
  s.kind = STEP_DWCONV;
  s.prof = PROF_DWCONV;
  s.in = dw_in;
  s.out = buf->d;
  s.p.dw = (struct mnv3_dwconv_params) {
    .ih = hw,.iw = hw,.c = b->cexp,.oh = ohw,.ow = ohw,.k = b->k,
    .stride = b->stride,.pad_top = pad,.pad_left = pad,.w = c.w,
    .bias = c.b,.act = c.act
  };
  s.macs = (uint64_t) ohw *ohw * b->cexp * b->k * b->k;
  g_array_append_val (bld->steps, s);
  size_t m_out = (size_t) ohw * ohw;
  add_unit_quant (bld, PROF_DWCONV, buf->d, m_out * b->cexp, &b->dw, &bq->dw);

  if (b->has_se) {
    /* pool -> fc1 (ReLU) -> fc2 -> + 3 (0..6 by the grid) -> * 1/6 ->
     * the map times the gate, each rounded. */
    add_qgap (bld, PROF_SE, buf->d, buf->p, m_out, b->cexp,
        unit_grid (&b->dw, &bq->dw), &bq->se_pool);
    mnv3_build_conv1x1 (bld, PROF_SE, &b->fc1, buf->p, buf->q, 1, NULL, NULL);
    add_quant (bld, PROF_SE, buf->q, buf->q, b->csq, MNV3_ACT_NONE, 1.0f,
        0.0f, &bq->se_fc1);
    c = conv_pre_act (&b->fc2);
    mnv3_build_conv1x1 (bld, PROF_SE, &c, buf->q, buf->sc, 1, NULL, NULL);
    add_quant (bld, PROF_SE, buf->sc, buf->sc, b->cexp, MNV3_ACT_NONE, 1.0f,
        0.0f, &bq->se_fc2);
    add_quant (bld, PROF_SE, buf->sc, buf->sc, b->cexp, MNV3_ACT_NONE, 1.0f,
        bq->se_add, &bq->se_relu6);
    add_quant (bld, PROF_SE, buf->sc, buf->sc, b->cexp, MNV3_ACT_NONE,
        bq->se_mul, 0.0f, &bq->se_hsigmoid);
    memset (&s, 0, sizeof s);
    s.kind = STEP_CSCALE;
    s.prof = PROF_SE;
    s.in = buf->d;
    s.out = buf->d;
    s.p.cscale = (struct mnv3_cscale_params) {
      .m = m_out,.c = b->cexp,.scale = buf->sc,.q = bq->se_scale
    };
    s.macs = m_out * b->cexp;
    g_array_append_val (bld->steps, s);
  }
  mnv3_build_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, other, m_out,
      NULL, NULL);
  add_unit_quant (bld, PROF_PROJECT, other, m_out * b->cout, &b->project,
      &bq->project);
  if (b->residual) {
    memset (&s, 0, sizeof s);
    s.kind = STEP_ADD;
    s.prof = PROF_PROJECT;
    s.in = cur;
    s.in2 = other;
    s.out = cur;
    s.p.add = (struct mnv3_add_params) {
      .n = m_out * b->cout,.q = bq->add
    };
    s.macs = m_out * b->cout;
    g_array_append_val (bld->steps, s);
  } else {
    e->cur = other;
    e->other = cur;
  }
}

static void
emu_head (void *data, int hw)
{
  EmuCtx *e = data;
  Builder *bld = e->bld;
  const NetBuffers *buf = e->buf;
  const Mnv3Model *model = e->model;
  const Mnv3ActQuant *aq = e->aq;
  size_t m = (size_t) hw * hw;
  Mnv3Conv c;

  c = conv_pre_act (&model->head);
  mnv3_build_conv1x1 (bld, PROF_HEAD, &c, e->cur, buf->e, m, NULL, NULL);
  add_unit_quant (bld, PROF_HEAD, buf->e, m * c.cout, &model->head, &aq->head);
  add_qgap (bld, PROF_POOL, buf->e, buf->p, m, c.cout,
      unit_grid (&model->head, &aq->head), &aq->pool);
  if (model->info.num_classes == 0)     /* embedding-only */
    return;
  c = conv_pre_act (&model->hidden);
  mnv3_build_conv1x1 (bld, PROF_CLASSIFIER, &c, buf->p, buf->h, 1, NULL, NULL);
  add_unit_quant (bld, PROF_CLASSIFIER, buf->h, c.cout, &model->hidden,
      &aq->hidden);
  mnv3_build_conv1x1 (bld, PROF_CLASSIFIER, &model->classifier, buf->h,
      buf->logits, 1, NULL, NULL);
  add_unit_quant (bld, PROF_CLASSIFIER, buf->logits,
      model->classifier.cout, &model->classifier, &aq->classifier);
}

void
mnv3_quant_build_emulation (Builder * bld, const Mnv3Model * model,
    const NetBuffers * buf)
{
  static const Mnv3NetWalk walk = { emu_stem, emu_block, emu_head };
  EmuCtx e = { bld, model, model->act_quant, buf, NULL, NULL };
  mnv3_net_walk (model, &walk, &e);
}

/* ------------------------------------------------------------------ */
/* The integer engine: TensorFlow Lite's reference integer arithmetic on
 * uint8 activations (models/FORMAT.md 2b). Each conv unit keeps its weights
 * as int16 (weight - zero point) in the kernels' layouts, int32 biases and
 * per-channel fixed-point multipliers computed as TFLite's Prepare does. */

#include <math.h>

/* An activation grid in the engine's uint8 domain (int8 grids move by
 * +128). */
typedef struct
{
  float scale;
  int32_t zp, lo, hi;
} IGrid;

static IGrid
igrid (const struct mnv3_qgrid *q)
{
  IGrid g = { q->scale, (int32_t) (q->zero_point - q->qmin), 0,
    (int32_t) (q->qmax - q->qmin)
  };
  return g;
}

/* TFLite's QuantizeMultiplier (): @m = mult * 2^(shift - 31), mult in
 * [2^30, 2^31) (round half away from zero). */
static void
quantize_multiplier (double m, int32_t * mult, int32_t * shift)
{
  if (m == 0.0) {
    *mult = 0;
    *shift = 0;
    return;
  }
  int e;
  double q = frexp (m, &e);
  int64_t qf = (int64_t) round (q * (double) (1ll << 31));
  if (qf == (1ll << 31)) {
    qf /= 2;
    e++;
  }
  if (e < -31) {
    e = 0;
    qf = 0;
  }
  if (e > 30) {
    e = 30;
    qf = (1ll << 31) - 1;
  }
  *mult = (int32_t) qf;
  *shift = e;
}

typedef struct
{
  Builder *bld;
  const Mnv3Model *model;
  const Mnv3ActQuant *aq;
  const NetBuffers *buf;
  JsonObject *consts;           /* mnv3.int_quant "consts" */
  uint8_t *cur, *other;
  IGrid g;                      /* grid of cur */
  const char *why;              /* first reason the engine cannot run */
} IntCtx;

static gpointer
owned (Builder * bld, size_t n, size_t size)
{
  gpointer p = g_aligned_alloc0 (n ? n : 1, size, 64);
  g_ptr_array_add (bld->packed, p);
  return p;
}

/* A buffer derived from the shared weights @from, shared too (*@fill: the
 * caller fills it). */
static gpointer
shared_copy (IntCtx * e, const char *what, const void *from, size_t bytes,
    gboolean * fill)
{
  char key[64];
  g_snprintf (key, sizeof key, "%s/%p", what, from);
  return mnv3_build_shared (e->bld, key, bytes, fill);
}

/* Weight layouts of the kernels (kernels.h). */
typedef enum
{ LAYOUT_KN, LAYOUT_DW, LAYOUT_CONV } Layout;

/* A conv unit as the integer kernels take it. */
typedef struct
{
  int16_t *w;
  int32_t *bias;
  struct mnv3_requant rq;
  int32_t in_zp;
  IGrid out;                    /* after the conv (before any h-swish) */
} IUnit;

static gboolean
int_unit (IntCtx * e, const char *prefix, gboolean fc, const Mnv3Conv * c,
    Layout layout, IGrid in, const struct mnv3_qgrid *out_q, IUnit * u)
{
  char wn[96], bn[96];
  g_snprintf (wn, sizeof wn, fc ? "%s.weight" : "%s.0.weight", prefix);
  g_snprintf (bn, sizeof bn, fc ? "%s.bias" : "%s.0.bias", prefix);
  const Mnv3QTensor *w = g_hash_table_lookup (e->model->qtensors, wn);
  const Mnv3QTensor *b = g_hash_table_lookup (e->model->qtensors, bn);
  const int cout = c->cout, kk = c->k * c->k;
  const int cin = layout == LAYOUT_DW ? 1 : c->cin;
  if (!w || !b || w->n != (size_t) cout * cin * kk || b->n != (size_t) cout
      || (w->n_scale != 1 && w->n_scale != cout)) {
    e->why = "a weight or bias tensor is not quantized";
    return FALSE;
  }
  /* the weights, bias and multipliers, shared by the model's graphs: one
   * buffer, the first graph of the model fills it */
  Builder *bld = e->bld;
  char key[128];
  gboolean fill;
  const size_t w_bytes = (w->n * sizeof (int16_t) + 63) & ~(size_t) 63;
  const size_t c_bytes = ((size_t) cout * sizeof (int32_t) + 63) & ~(size_t) 63;
  g_snprintf (key, sizeof key, "int-unit/%s/%d/%d/%a", wn, (int) layout,
      in.zp, (double) in.scale);
  guint8 *mem = mnv3_build_shared (bld, key, w_bytes + 3 * c_bytes, &fill);
  u->w = (int16_t *) mem;
  u->bias = (int32_t *) (mem + w_bytes);
  int32_t *mult = (int32_t *) (mem + w_bytes + c_bytes);
  int32_t *shift = (int32_t *) (mem + w_bytes + 2 * c_bytes);
  u->out = igrid (out_q);
  u->in_zp = in.zp;
  for (int co = 0; fill && co < cout; co++) {
    int s = w->n_scale == 1 ? 0 : co;
    int64_t wsum = 0;
    for (int ci = 0; ci < cin; ci++) {
      for (int t = 0; t < kk; t++) {
        int32_t v = w->v[((size_t) co * cin + ci) * kk + t] - w->zero_point[s];
        size_t at;
        if (layout == LAYOUT_KN)
          at = (size_t) ci *cout + co;
        else if (layout == LAYOUT_DW)
          at = (size_t) t *cout + co;
        else
          at = ((size_t) t * cin + ci) * cout + co;
        u->w[at] = (int16_t) v;
        wsum += v;
      }
    }
    /* 1x1: the input zero point folds into the bias (no padding) */
    int64_t bias = b->v[co] - (layout == LAYOUT_KN ? (int64_t) in.zp * wsum :
        0);
    if (bias < INT32_MIN || bias > INT32_MAX) {
      e->why = "a bias overflows int32";
      mnv3_build_shared_drop (bld, key);
      return FALSE;
    }
    u->bias[co] = (int32_t) bias;
    /* as TFLite's Prepare: a per-tensor (uint8) filter's product of scales
     * is a float (GetQuantizedConvolutionMultipler), per-channel ones are
     * doubles (PopulateConvolutionQuantizationParams) */
    const float prod_f = in.scale * w->scale[s];
    const double prod = w->n_scale == 1 ? (double) prod_f :
        (double) in.scale * (double) w->scale[s];
    quantize_multiplier (prod / (double) u->out.scale, &mult[co], &shift[co]);
  }
  u->rq.mult = mult;
  u->rq.shift = shift;
  u->rq.out_zp = u->out.zp;
  u->rq.out_min = u->out.lo;
  u->rq.out_max = u->out.hi;
  /* TFLite fuses a ReLU as the bound quantize (0) = zero point */
  if (c->act == MNV3_ACT_RELU)
    u->rq.out_min = MAX (u->out.lo, u->out.zp);
  return TRUE;
}

/* gemmlowp's int16 helpers as TFLite's reference HARD_SWISH uses them. */
static int16_t
srdhm16 (int16_t a, int16_t b)
{
  if (a == b && a == INT16_MIN)
    return INT16_MAX;
  int32_t ab = (int32_t) a * b;
  int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return (int16_t) ((ab + nudge) / (1 << 15));
}

static int16_t
sdhm16 (int16_t a, int16_t b)
{
  if (a == b && a == INT16_MIN)
    return INT16_MAX;
  return (int16_t) (((int32_t) a * b) / (1 << 15));
}

static int16_t
sat_shl16 (int16_t v, int amount)
{
  int64_t r = (int64_t) v * (1 << amount);
  return (int16_t) CLAMP (r, INT16_MIN, INT16_MAX);
}

static int16_t
down_to_int16 (int32_t m)
{
  if (m >= INT32_MAX - (1 << 15))
    return INT16_MAX;
  return (int16_t) ((m + (1 << 15)) >> 16);
}

/* The 256-entry table of TFLite's reference HARD_SWISH from grid @in to
 * @out (reference_ops::HardSwish and HardSwishPrepare). */
static gboolean
hswish_lut (IntCtx * e, IGrid in, IGrid out, uint8_t * lut)
{
  const float hires_in = (1.0f / 128.0f) * in.scale;
  const float reluish_scale = 3.0f / 32768.0f;
  const float out_mult = hires_in / out.scale;
  const float reluish_mult = hires_in / reluish_scale;
  int32_t m32, oexp, rexp;
  quantize_multiplier (out_mult, &m32, &oexp);
  int16_t om = down_to_int16 (m32);
  quantize_multiplier (reluish_mult, &m32, &rexp);
  int16_t rm = down_to_int16 (m32);
  if (oexp > 0) {
    e->why = "a HARD_SWISH output multiplier above 1";
    return FALSE;
  }
  for (int v = 0; v < 256; v++) {
    int16_t x = (int16_t) (v - in.zp);
    int16_t hires = (int16_t) (x * (1 << 7));
    int16_t pre = srdhm16 (hires, om);
    int16_t r = hires;
    if (rexp > 0)
      r = sat_shl16 (r, rexp - 1);
    r = srdhm16 (r, rm);
    if (rexp > 0)
      r = sat_shl16 (r, 1);
    if (rexp < 0)
      r = (int16_t) mnv3_rdpot (r, -rexp);
    r = (int16_t) ((r + (1 << 15)) >> 1);
    int16_t po = sdhm16 (r, pre);
    int32_t o = mnv3_rdpot (po, -oexp) + out.zp;
    lut[v] = (uint8_t) CLAMP (o, out.lo, out.hi);
  }
  return TRUE;
}

/* TFLite's uint8 ADD of grids a and b into out (add.cc Prepare). */
static struct mnv3_qadd_params
add_params (IGrid a, IGrid b, IGrid out)
{
  struct mnv3_qadd_params p = { 0 };
  const double twice_max = 2 * MAX (a.scale, b.scale);
  quantize_multiplier (a.scale / twice_max, &p.a_mult, &p.a_shift);
  quantize_multiplier (b.scale / twice_max, &p.b_mult, &p.b_shift);
  quantize_multiplier (twice_max / ((1 << 20) * out.scale), &p.mult, &p.shift);
  p.a_zp = a.zp;
  p.b_zp = b.zp;
  p.out_zp = out.zp;
  p.out_min = out.lo;
  p.out_max = out.hi;
  return p;
}

static uint8_t
add_one (const struct mnv3_qadd_params *p, int32_t a, int32_t b)
{
  int32_t sa = mnv3_requant ((a - p->a_zp) * (1 << 20), p->a_mult,
      p->a_shift);
  int32_t sb = mnv3_requant ((b - p->b_zp) * (1 << 20), p->b_mult,
      p->b_shift);
  int32_t v = p->out_zp + mnv3_requant (sa + sb, p->mult, p->shift);
  return (uint8_t) CLAMP (v, p->out_min, p->out_max);
}

/* TFLite's uint8 MUL multiplier. */
static void
mul_multiplier (IGrid a, IGrid b, IGrid out, int32_t * mult, int32_t * shift)
{
  /* float arithmetic, as mul.cc's Prepare */
  const float m = a.scale * b.scale / out.scale;
  quantize_multiplier (m, mult, shift);
}

/* A quantized scalar constant of mnv3.int_quant "consts" as a grid and its
 * value in it. */
static gboolean
const_operand (IntCtx * e, const char *key, IGrid * g, int32_t * v)
{
  JsonNode *n = e->consts ? json_object_get_member (e->consts, key) : NULL;
  JsonArray *a = n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) :
      NULL;
  if (!a || json_array_get_length (a) != 3) {
    e->why = "a squeeze-excite constant is missing from mnv3.int_quant";
    return FALSE;
  }
  double q = json_array_get_double_element (a, 0);
  double s = json_array_get_double_element (a, 1);
  double z = json_array_get_double_element (a, 2);
  if (!(s > 0) || q < -128 || q > 255 || z < -128 || z > 255) {
    e->why = "a squeeze-excite constant is out of range";
    return FALSE;
  }
  /* int8 constants (q or zero point below 0) move to uint8 as activations */
  int32_t off = (q < 0 || z < 0) ? 128 : 0;
  g->scale = (float) s;
  g->zp = (int32_t) z + off;
  g->lo = 0;
  g->hi = 255;
  *v = (int32_t) q + off;
  return TRUE;
}

static Step *
istep (IntCtx * e, StepKind kind, ProfType prof, const void *in, void *out,
    uint64_t macs)
{
  Step s = { 0 };
  s.kind = kind;
  s.prof = prof;
  s.in = in;
  s.out = out;
  s.macs = macs;
  g_array_append_val (e->bld->steps, s);
  return &g_array_index (e->bld->steps, Step, e->bld->steps->len - 1);
}

static void
add_ilut (IntCtx * e, ProfType prof, uint8_t * x, size_t n, const uint8_t * lut)
{
  Step *s = istep (e, STEP_ILUT, prof, x, x, n);
  s->p.ilut.n = n;
  s->p.ilut.lut = lut;
}

/* 1x1 conv / fully connected over @m rows; h-swish after it when the
 * unit has one. Returns the output grid or FALSE. */
static gboolean
add_iconv1x1 (IntCtx * e, ProfType prof, const char *prefix, gboolean fc,
    const Mnv3Conv * c, const Mnv3UnitQuant * uq, IGrid in,
    const uint8_t * x, uint8_t * y, size_t m, IGrid * out)
{
  IUnit u;
  if (!int_unit (e, prefix, fc, c, LAYOUT_KN, in, &uq->out, &u))
    return FALSE;
  /* the optimized variants' copy (kernels.h) */
  gboolean fill;
  const size_t P = MNV3_QPANEL, K = c->cin, N = c->cout;
  const size_t kp = (K + 1) / 2, panels = (N + P - 1) / P;
  int16_t *wp = shared_copy (e, "int-panels", u.w,
      panels * kp * P * 2 * sizeof (int16_t), &fill);
  for (size_t k = 0; fill && k < K; k++)
    for (size_t n = 0; n < N; n++)
      wp[(n / P) * kp * P * 2 + ((k / 2) * P + n % P) * 2 + k % 2] =
          u.w[k * N + n];
  Step *s = istep (e, STEP_ICONV1X1, prof, x, y, (uint64_t) m * c->cin *
      c->cout);
  s->p.ic1 = (struct mnv3_qconv1x1_params) {
    .m = m,.k = c->cin,.n = c->cout,.in_stride = c->cin,.out_stride =
        c->cout,.w_stride = c->cout,.w = u.w,.wp = wp,.wp_panel = kp * P * 2,
    .bias = u.bias,.rq = u.rq
  };
  s->split_n = m < (size_t) (8 * e->bld->threads);
  g_snprintf (s->desc, sizeof s->desc, "u8 m=%zu k=%d n=%d", m, c->cin,
      c->cout);
  *out = u.out;
  if (c->act == MNV3_ACT_HSWISH) {
    uint8_t *lut = owned (e->bld, 256, 1);
    *out = igrid (&uq->act);
    if (!hswish_lut (e, u.out, *out, lut))
      return FALSE;
    add_ilut (e, prof, y, m * c->cout, lut);
  }
  return TRUE;
}

static gboolean
add_igap (IntCtx * e, ProfType prof, const uint8_t * x, uint8_t * y,
    size_t hw, size_t c, IGrid in, const struct mnv3_qgrid *out_q)
{
  IGrid out = igrid (out_q);
  if (out.scale != in.scale || out.zp != in.zp) {
    e->why = "an average pool changes the grid";
    return FALSE;
  }
  Step *s = istep (e, STEP_IGAP, prof, x, y, (uint64_t) hw * c);
  s->p.igap = (struct mnv3_qgap_u8_params) {
    .hw = hw,.c = c,.lo = out.lo,.hi = out.hi
  };
  g_snprintf (s->desc, sizeof s->desc, "u8 hw=%zu c=%zu", hw, c);
  return TRUE;
}

static void
int_stem (void *data, int hw, int ohw, int pad)
{
  IntCtx *e = data;
  const Mnv3Model *model = e->model;
  const NetBuffers *buf = e->buf;
  IGrid in = igrid (&e->aq->input);
  IUnit u;

  Step *s = istep (e, STEP_IQUANT, PROF_STEM, buf->input, buf->qin,
      (uint64_t) hw * hw * 3);
  s->p.iq.n = (size_t) hw *hw * 3;
  s->p.iq.scale = in.scale;
  s->p.iq.zp = in.zp;
  e->cur = (uint8_t *) buf->x;
  e->other = (uint8_t *) buf->y;
  if (!int_unit (e, "features.0", FALSE, &model->stem, LAYOUT_CONV, in,
          &e->aq->stem.out, &u))
    return;
  s = istep (e, STEP_ICONV, PROF_STEM, buf->qin, e->cur, (uint64_t) ohw * ohw
      * model->stem.cout * 27);
  const size_t F = 27, CO = model->stem.cout;
  gboolean fill;
  int16_t *wp = shared_copy (e, "int-stem-pairs", u.w,
      (F + 1) / 2 * CO * 2 * sizeof (int16_t), &fill);
  for (size_t f = 0; fill && f < F; f++)
    for (size_t co = 0; co < CO; co++)
      wp[((f / 2) * CO + co) * 2 + f % 2] = u.w[f * CO + co];
  s->p.iconv = (struct mnv3_qconv_params) {
    .ih = hw,.iw = hw,.cin = 3,.oh = ohw,.ow = ohw,.cout = model->stem.cout,
    .k = 3,.stride = 2,.pad_top = pad,.pad_left = pad,.w = u.w,.wp = wp,
    .bias = u.bias,.in_zp = u.in_zp,.rq = u.rq
  };
  g_snprintf (s->desc, sizeof s->desc, "u8 %dx%dx3->%d", hw, hw,
      model->stem.cout);
  e->g = u.out;
  if (model->stem.act == MNV3_ACT_HSWISH) {
    uint8_t *lut = owned (e->bld, 256, 1);
    e->g = igrid (&e->aq->stem.act);
    if (!hswish_lut (e, u.out, e->g, lut))
      return;
    add_ilut (e, PROF_STEM, e->cur, (size_t) ohw * ohw * model->stem.cout, lut);
  }
}

static void
int_block (void *data, int i, const Mnv3Block * b, int hw, int ohw, int pad)
{
  IntCtx *e = data;
  const NetBuffers *buf = e->buf;
  const Mnv3BlockQuant *bq = &e->aq->blocks[i];
  uint8_t *cur = e->cur, *other = e->other;
  uint8_t *ex = (uint8_t *) buf->e, *d = (uint8_t *) buf->d;
  size_t m_in = (size_t) hw * hw, m_out = (size_t) ohw *ohw;
  char name[96];
  int j = 0;
  IGrid g = e->g;
  IUnit u;

  if (e->why)
    return;
  const uint8_t *dw_in = cur;
  if (b->has_expand) {
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    if (!add_iconv1x1 (e, PROF_EXPAND, name, FALSE, &b->expand, &bq->expand,
            g, cur, ex, m_in, &g))
      return;
    dw_in = ex;
  }
  g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
  if (!int_unit (e, name, FALSE, &b->dw, LAYOUT_DW, g, &bq->dw.out, &u))
    return;
  Step *s = istep (e, STEP_IDWCONV, PROF_DWCONV, dw_in, d, (uint64_t) m_out *
      b->cexp * b->k * b->k);
  const size_t taps = (size_t) b->k * b->k, C = b->cexp;
  gboolean fill;
  int16_t *wp = shared_copy (e, "int-dw-pairs", u.w,
      (taps + 1) / 2 * C * 2 * sizeof (int16_t), &fill);
  for (size_t t = 0; fill && t < taps; t++)
    for (size_t ch = 0; ch < C; ch++)
      wp[((t / 2) * C + ch) * 2 + t % 2] = u.w[t * C + ch];
  s->p.idw = (struct mnv3_qdwconv_params) {
    .ih = hw,.iw = hw,.c = b->cexp,.oh = ohw,.ow = ohw,.k = b->k,
    .stride = b->stride,.pad_top = pad,.pad_left = pad,.w = u.w,.wp = wp,
    .bias = u.bias,.in_zp = u.in_zp,.rq = u.rq
  };
  g_snprintf (s->desc, sizeof s->desc, "u8 %dx%dx%d k=%d s=%d", hw, hw,
      b->cexp, b->k, b->stride);
  g = u.out;
  if (b->dw.act == MNV3_ACT_HSWISH) {
    uint8_t *lut = owned (e->bld, 256, 1);
    g = igrid (&bq->dw.act);
    if (!hswish_lut (e, u.out, g, lut))
      return;
    add_ilut (e, PROF_DWCONV, d, m_out * b->cexp, lut);
  }

  if (b->has_se) {
    /* pool -> fc1 (ReLU) -> fc2 -> ADD 3 -> MUL 1/6 (one table) -> MUL */
    uint8_t *pq = (uint8_t *) buf->p, *q = (uint8_t *) buf->q;
    uint8_t *sc = (uint8_t *) buf->sc;
    IGrid gp = igrid (&bq->se_pool), g1, g2, gc1, gc2;
    int32_t c1, c2;
    char key[112];
    g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
    if (!add_igap (e, PROF_SE, d, pq, m_out, b->cexp, g, &bq->se_pool))
      return;
    Mnv3UnitQuant u1 = { bq->se_fc1, {0}
    }, u2 = { bq->se_fc2, {0}
    };
    char fcn[112];
    g_snprintf (fcn, sizeof fcn, "%s.fc1", name);
    if (!add_iconv1x1 (e, PROF_SE, fcn, TRUE, &b->fc1, &u1, gp, pq, q, 1, &g1))
      return;
    Mnv3Conv fc2 = b->fc2;
    fc2.act = MNV3_ACT_NONE;
    g_snprintf (fcn, sizeof fcn, "%s.fc2", name);
    if (!add_iconv1x1 (e, PROF_SE, fcn, TRUE, &fc2, &u2, g1, q, sc, 1, &g2))
      return;
    g_snprintf (key, sizeof key, "%s.relu6", name);
    if (!const_operand (e, key, &gc1, &c1))
      return;
    g_snprintf (key, sizeof key, "%s.hsigmoid", name);
    if (!const_operand (e, key, &gc2, &c2))
      return;
    IGrid gr = igrid (&bq->se_relu6), gh = igrid (&bq->se_hsigmoid);
    struct mnv3_qadd_params ap = add_params (g2, gc1, gr);
    int32_t mm, ms;
    mul_multiplier (gr, gc2, gh, &mm, &ms);
    uint8_t *lut = owned (e->bld, 256, 1);
    for (int v = 0; v < 256; v++) {
      int32_t r = add_one (&ap, v, c1);
      int32_t h = gh.zp + mnv3_requant ((r - gr.zp) * (c2 - gc2.zp), mm, ms);
      lut[v] = (uint8_t) CLAMP (h, gh.lo, gh.hi);
    }
    add_ilut (e, PROF_SE, sc, b->cexp, lut);
    IGrid gs = igrid (&bq->se_scale);
    s = istep (e, STEP_ICMUL, PROF_SE, d, d, (uint64_t) m_out * b->cexp);
    s->p.icmul = (struct mnv3_qcmul_params) {
      .m = m_out,.c = b->cexp,.gate = sc,.in_zp = g.zp,.gate_zp = gh.zp,
      .out_zp = gs.zp,.out_min = gs.lo,.out_max = gs.hi
    };
    mul_multiplier (g, gh, gs, &s->p.icmul.mult, &s->p.icmul.shift);
    g = gs;
  }
  g_snprintf (name, sizeof name, "features.%d.block.%d", i + 1, j++);
  IGrid gout;
  if (!add_iconv1x1 (e, PROF_PROJECT, name, FALSE, &b->project, &bq->project,
          g, d, other, m_out, &gout))
    return;
  if (b->residual) {
    IGrid ga = igrid (&bq->add);
    s = istep (e, STEP_IADD, PROF_PROJECT, cur, cur, m_out * b->cout);
    s->in2 = (const float *) other;
    /* TFLite's ADD (block input, projection): in TensorFlow's graph the
     * projection is the first operand; the sum is symmetric */
    s->p.iadd = add_params (e->g, gout, ga);
    s->p.iadd.n = m_out * b->cout;
    e->g = ga;
  } else {
    e->cur = other;
    e->other = cur;
    e->g = gout;
  }
}

static void
int_head (void *data, int hw)
{
  IntCtx *e = data;
  const Mnv3Model *model = e->model;
  const NetBuffers *buf = e->buf;
  const Mnv3ActQuant *aq = e->aq;
  size_t m = (size_t) hw * hw;
  uint8_t *ex = (uint8_t *) buf->e, *pq = (uint8_t *) buf->p;
  uint8_t *h = (uint8_t *) buf->h, *lg = (uint8_t *) buf->qin;
  char name[32];
  IGrid g;

  if (e->why)
    return;
  g_snprintf (name, sizeof name, "features.%d", model->n_blocks + 1);
  if (!add_iconv1x1 (e, PROF_HEAD, name, FALSE, &model->head, &aq->head,
          e->g, e->cur, ex, m, &g)
      || !add_igap (e, PROF_POOL, ex, pq, m, model->head.cout, g, &aq->pool)
      || !add_iconv1x1 (e, PROF_CLASSIFIER, "classifier.0", TRUE,
          &model->hidden, &aq->hidden, g, pq, h, 1, &g)
      || !add_iconv1x1 (e, PROF_CLASSIFIER, "classifier.3", TRUE,
          &model->classifier, &aq->classifier, g, h, lg, 1, &g))
    return;
  Step *s = istep (e, STEP_IDEQUANT, PROF_CLASSIFIER, lg, buf->logits,
      model->classifier.cout);
  s->p.iq.n = model->classifier.cout;
  s->p.iq.scale = g.scale;
  s->p.iq.zp = g.zp;
}

gboolean
mnv3_quant_build_integer (Builder * bld, const Mnv3Model * model,
    const NetBuffers * buf, const char **why)
{
  static const Mnv3NetWalk walk = { int_stem, int_block, int_head };
  IntCtx e = { bld, model, model->act_quant, buf, NULL };
  JsonParser *parser = json_parser_new ();
  JsonNode *root = model->int_quant && json_parser_load_from_data (parser,
      model->int_quant, -1, NULL) ? json_parser_get_root (parser) : NULL;
  JsonNode *cn = root && JSON_NODE_HOLDS_OBJECT (root) ?
      json_object_get_member (json_node_get_object (root), "consts") : NULL;
  e.consts = cn && JSON_NODE_HOLDS_OBJECT (cn) ? json_node_get_object (cn) :
      NULL;
  if (!model->qtensors || !model->act_quant)
    e.why = "no quantized weights";
  else
    mnv3_net_walk (model, &walk, &e);
  g_object_unref (parser);
  *why = e.why;
  return e.why == NULL;
}

/* ------------------------------------------------------------------ */
/* Running the integer steps. */

void
mnv3_quant_run_part (const struct mnv3_kernels *k, const Step * s, int i, int n)
{
  size_t b, e;
  switch (s->kind) {
    case STEP_IQUANT:{
      mnv3_split_range (s->p.iq.n, i, n, 64, &b, &e);
      const float inv = 1.0f / s->p.iq.scale;
      const int32_t zp = s->p.iq.zp;
      const float *restrict x = s->in;
      uint8_t *restrict o = (uint8_t *) s->out;
      for (size_t j = b; j < e; j++) {
        float v = x[j] * inv;
        v = v > -512.0f ? v : -512.0f;
        v = v < 512.0f ? v : 512.0f;
        int32_t q = (int32_t) mnv3_round_even (v) + zp;
        q = q < 0 ? 0 : q;
        o[j] = (uint8_t) (q > 255 ? 255 : q);
      }
      break;
    }
    case STEP_IDEQUANT:{
      mnv3_split_range (s->p.iq.n, i, n, 64, &b, &e);
      const uint8_t *q = (const uint8_t *) s->in;
      for (size_t j = b; j < e; j++)
        s->out[j] = (float) ((int32_t) q[j] - s->p.iq.zp) * s->p.iq.scale;
      break;
    }
    case STEP_ICONV:{
      struct mnv3_qconv_params p = s->p.iconv;
      mnv3_split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->qconv ((const uint8_t *) s->in, (uint8_t *) s->out, &p);
      break;
    }
    case STEP_IDWCONV:{
      struct mnv3_qdwconv_params p = s->p.idw;
      mnv3_split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->qdwconv ((const uint8_t *) s->in, (uint8_t *) s->out, &p);
      break;
    }
    case STEP_ICONV1X1:{
      struct mnv3_qconv1x1_params p = s->p.ic1;
      const uint8_t *in = (const uint8_t *) s->in;
      uint8_t *out = (uint8_t *) s->out;
      if (s->split_n) {
        mnv3_split_range (p.n, i, n, 16, &b, &e);
        if (b >= e)
          break;
        p.n = e - b;
        p.w += b;
        p.wp += b / MNV3_QPANEL * p.wp_panel;
        p.bias += b;
        p.rq.mult += b;
        p.rq.shift += b;
        k->qconv1x1 (in, out + b, &p);
      } else {
        mnv3_split_range (p.m, i, n, 1, &b, &e);
        if (b >= e)
          break;
        p.m = e - b;
        k->qconv1x1 (in + b * p.in_stride, out + b * p.out_stride, &p);
      }
      break;
    }
    case STEP_ILUT:{
      struct mnv3_qlut_params p = s->p.ilut;
      mnv3_split_range (p.n, i, n, 64, &b, &e);
      p.n = e - b;
      if (b < e)
        k->qlut ((const uint8_t *) s->in + b, (uint8_t *) s->out + b, &p);
      break;
    }
    case STEP_IGAP:{
      struct mnv3_qgap_u8_params p = s->p.igap;
      mnv3_split_range (p.c, i, n, 16, &b, &e);
      p.c0 = b;
      p.c1 = e;
      if (b < e)
        k->qgap_u8 ((const uint8_t *) s->in, (uint8_t *) s->out, &p);
      break;
    }
    case STEP_ICMUL:{
      struct mnv3_qcmul_params p = s->p.icmul;
      mnv3_split_range (p.m, i, n, 1, &b, &e);
      p.m = e - b;
      if (b < e)
        k->qcmul ((const uint8_t *) s->in + b * p.c,
            (uint8_t *) s->out + b * p.c, &p);
      break;
    }
    case STEP_IADD:{
      struct mnv3_qadd_params p = s->p.iadd;
      mnv3_split_range (p.n, i, n, 64, &b, &e);
      p.n = e - b;
      if (b < e)
        k->qadd ((const uint8_t *) s->in + b, (const uint8_t *) s->in2 + b,
            (uint8_t *) s->out + b, &p);
      break;
    }
    default:
      break;
  }
}
