/* libmnv3: quantized networks (TensorFlow Lite uint8/int8 files)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>
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
