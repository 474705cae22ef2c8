/* libmnv3: the MobileNetV3 forward pass (buffer planning, op list, run)
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mnv3_graph_new() turns a model into a flat list of steps with every
 * pointer and parameter block fixed, over one arena allocated there; run()
 * only walks the list, so an inference allocates nothing. Activations are
 * NHWC f32. Each step is split across the pool's threads by output rows
 * (convolutions on large maps) or output channels (small maps, the
 * squeeze-excite and classifier GEMVs).
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include "mnv3-private.h"

typedef enum
{
  STEP_CONV,                    /* stem */
  STEP_CONV1X1,
  STEP_DWCONV,
  STEP_GAP,
  STEP_BLOCK,                   /* [expand ->] depthwise [-> project], fused */
  /* activation-quantization emulation (mnv3.act_quant) */
  STEP_QUANT,
  STEP_ADD,
  STEP_CSCALE,
  STEP_QGAP,
} StepKind;

/* Op types for the profile. */
typedef enum
{
  PROF_STEM, PROF_EXPAND, PROF_DWCONV, PROF_SE, PROF_PROJECT, PROF_HEAD,
  PROF_POOL, PROF_CLASSIFIER, N_PROF
} ProfType;

static const char *const prof_names[N_PROF] = {
  "stem", "expand1x1", "dwconv", "se", "project1x1", "head1x1", "pool",
  "classifier"
};

/* A bneck block run band by band: each thread takes a range of depthwise
 * output rows and, a few rows at a time, expands just the input rows those
 * need into its own scratch (keeping the rows the next band shares), runs
 * the depthwise conv on them and projects the fresh output rows. The
 * expanded map, the largest tensor of the network, then never leaves L2;
 * on large maps the separate steps stream it through L3 twice. */
typedef struct
{
  struct mnv3_conv1x1_params expand;    /* m set per band */
  struct mnv3_dwconv_params dw; /* the full map; oy0/oy1 set per band */
  struct mnv3_conv1x1_params project;   /* m set per band */
  gboolean has_expand, has_project;
  const float *x;               /* block input */
  float *d;                     /* depthwise output, full map */
  float *out;                   /* projection output (not x) */
  float *scratch;               /* n_chunks x scratch_floats */
  size_t scratch_floats;
  size_t band;                  /* output rows per band */
} FusedBlock;

/* Parts of a fused block, for the profile. */
enum
{ PART_EXPAND, PART_DW, PART_PROJECT, N_PARTS };

typedef struct
{
  StepKind kind;
  ProfType prof;
  const float *in;
  float *out;
  union
  {
    struct mnv3_conv_params conv;
    struct mnv3_conv1x1_params c1;
    struct mnv3_dwconv_params dw;
    struct mnv3_gap_params gap;
    FusedBlock fb;
    struct mnv3_quant_params quant;
    struct mnv3_add_params add;
    struct mnv3_cscale_params cscale;
    struct mnv3_qgap_params qgap;
  } p;
  const float *in2;             /* STEP_ADD: second operand */
  gboolean split_n;             /* conv1x1: split columns, not rows */
  uint64_t macs;                /* work, to decide whether to split */
  char desc[40];                /* shape, for the per-step profile */
} Step;

struct _Mnv3Graph
{
  const Mnv3Model *model;
  const struct mnv3_kernels *k;
  Mnv3Pool *pool;
  float *arena;
  float *input;
  float *logits;
  Step *steps;
  int n_steps;
  int n_chunks;                 /* per step: one per thread, claimed dynamically */
  gboolean profiling;
  double prof_ms[N_PROF];
  double *prof_step_ms;         /* per step, n_steps entries */
  double *prof_step_min;        /* per step: the fastest run (0: none yet) */
  GPtrArray *packed;            /* conv1x1 weights in panels (kernels.h) */
  double *part_ms;              /* profiling fused blocks: n_chunks x N_PARTS */
  guint64 prof_runs;
};

typedef struct
{
  const Mnv3Graph *g;
  const Step *s;
} RunCtx;

static double now_ms (void);

/* Splits [0, n) into @parts chunks, multiples of @align except the last. */
static void
split_range (size_t n, int i, int parts, size_t align, size_t *b, size_t *e)
{
  size_t units = (n + align - 1) / align;
  size_t per = units / parts, extra = units % parts;
  size_t ub = i * per + ((size_t) i < extra ? (size_t) i : extra);
  size_t ue = ub + per + ((size_t) i < extra ? 1 : 0);
  *b = MIN (ub * align, n);
  *e = MIN (ue * align, n);
}

/* Chunk @i of @n of a fused block (see FusedBlock). */
static void
run_fused (const Mnv3Graph * g, const FusedBlock * f, int i, int n)
{
  const struct mnv3_kernels *k = g->k;
  double *part = g->profiling ? g->part_ms + (size_t) i * N_PARTS : NULL;
  double t = part ? now_ms () : 0, t1;
  size_t b, e;
  split_range (f->dw.oh, i, n, 1, &b, &e);
  float *buf = f->scratch + (size_t) i * f->scratch_floats;
  const size_t row = f->dw.iw * f->dw.c;        /* floats per expanded row */
  long have0 = 0, have1 = 0;    /* input rows [have0, have1) are in buf */

#define PART_DONE(which) if (part) {     t1 = now_ms (); part[which] += t1 - t; t = t1; }
  for (size_t y0 = b; y0 < e; y0 += f->band) {
    size_t y1 = MIN (e, y0 + f->band);
    struct mnv3_dwconv_params dw = f->dw;
    const float *dw_in = f->x;
    dw.oy0 = y0;
    dw.oy1 = y1;
    if (f->has_expand) {
      /* the input rows these output rows read, clipped to the map */
      long r0 = (long) y0 * dw.stride - dw.pad_top;
      long r1 = (long) (y1 - 1) * dw.stride - dw.pad_top + dw.k;
      r0 = MAX (r0, 0);
      r1 = MIN (r1, (long) dw.ih);
      long from = r0;
      if (r0 >= have0 && r0 < have1) {
        /* rows shared with the previous band move to the front */
        memmove (buf, buf + (size_t) (r0 - have0) * row,
            (size_t) (have1 - r0) * row * sizeof (float));
        from = have1;
      }
      if (r1 > from) {
        struct mnv3_conv1x1_params p = f->expand;
        p.m = (size_t) (r1 - from) * dw.iw;
        k->conv1x1 (f->x + (size_t) from * dw.iw * p.in_stride,
            buf + (size_t) (from - r0) * row, &p);
      }
      have0 = r0;
      have1 = MAX (r1, from);
      /* buf holds exactly the rows of the map these outputs read: the
       * depthwise conv sees it as a map of r1 - r0 rows starting at r0 */
      dw.ih = (size_t) (r1 - r0);
      dw.pad_top += (int) r0;
      dw_in = buf;
      PART_DONE (PART_EXPAND);
    }
    k->dwconv (dw_in, f->d, &dw);
    PART_DONE (PART_DW);
    if (f->has_project) {
      struct mnv3_conv1x1_params p = f->project;
      size_t off = y0 * dw.ow;
      p.m = (y1 - y0) * dw.ow;
      if (p.residual)
        p.residual += off * p.out_stride;
      k->conv1x1 (f->d + off * dw.c, f->out + off * p.out_stride, &p);
      PART_DONE (PART_PROJECT);
    }
  }
#undef PART_DONE
}

static void
run_step_part (void *data, int i, int n)
{
  RunCtx *rc = data;
  const Step *s = rc->s;
  const struct mnv3_kernels *k = rc->g->k;
  size_t b, e;

  switch (s->kind) {
    case STEP_BLOCK:
      run_fused (rc->g, &s->p.fb, i, n);
      break;
    case STEP_CONV:{
      struct mnv3_conv_params p = s->p.conv;
      split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->conv (s->in, s->out, &p);
      break;
    }
    case STEP_DWCONV:{
      struct mnv3_dwconv_params p = s->p.dw;
      split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->dwconv (s->in, s->out, &p);
      break;
    }
    case STEP_GAP:{
      struct mnv3_gap_params p = s->p.gap;
      split_range (p.c, i, n, 16, &b, &e);
      p.c0 = b;
      p.c1 = e;
      if (b < e)
        k->gap (s->in, s->out, &p);
      break;
    }
    case STEP_CONV1X1:{
      struct mnv3_conv1x1_params p = s->p.c1;
      if (s->split_n) {
        split_range (p.n, i, n, MNV3_CONV1X1_PANEL, &b, &e);
        if (b >= e)
          break;
        p.n = e - b;
        p.w += b / MNV3_CONV1X1_PANEL * p.w_panel;
        p.bias += b;
        if (p.residual)
          p.residual += b;
        k->conv1x1 (s->in, s->out + b, &p);
      } else {
        split_range (p.m, i, n, 1, &b, &e);
        if (b >= e)
          break;
        p.m = e - b;
        if (p.residual)
          p.residual += b * p.out_stride;
        k->conv1x1 (s->in + b * p.in_stride, s->out + b * p.out_stride, &p);
      }
      break;
    }
    case STEP_QUANT:{
      struct mnv3_quant_params p = s->p.quant;
      split_range (p.n, i, n, 16, &b, &e);
      p.n = e - b;
      if (b < e)
        k->quant (s->in + b, s->out + b, &p);
      break;
    }
    case STEP_ADD:{
      struct mnv3_add_params p = s->p.add;
      split_range (p.n, i, n, 16, &b, &e);
      p.n = e - b;
      if (b < e)
        k->add (s->in + b, s->in2 + b, s->out + b, &p);
      break;
    }
    case STEP_CSCALE:{
      struct mnv3_cscale_params p = s->p.cscale;
      split_range (p.m, i, n, 1, &b, &e);
      p.m = e - b;
      if (b < e)
        k->cscale (s->in + b * p.c, s->out + b * p.c, &p);
      break;
    }
    case STEP_QGAP:{
      struct mnv3_qgap_params p = s->p.qgap;
      split_range (p.c, i, n, 16, &b, &e);
      p.c0 = b;
      p.c1 = e;
      if (b < e)
        k->qgap (s->in, s->out, &p);
      break;
    }
  }
}

/* Below this many multiply-adds (about 2 us of work) a step is not split
 * across threads: the fork/join would cost as much as it saves. */
#define SMALL_STEP_MACS 150000

static double
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Shares a fused block's wall time @dt among expand, depthwise and project
 * in proportion to the time its chunks spent in each. */
static void
split_fused_profile (Mnv3Graph * g, double dt)
{
  static const ProfType types[N_PARTS] =
      { PROF_EXPAND, PROF_DWCONV, PROF_PROJECT };
  double sum[N_PARTS] = { 0 }, all = 0;
  for (int c = 0; c < g->n_chunks; c++)
    for (int j = 0; j < N_PARTS; j++)
      sum[j] += g->part_ms[c * N_PARTS + j];
  for (int j = 0; j < N_PARTS; j++)
    all += sum[j];
  for (int j = 0; j < N_PARTS; j++)
    g->prof_ms[types[j]] += all > 0 ? dt * sum[j] / all : dt / N_PARTS;
  memset (g->part_ms, 0, g->n_chunks * N_PARTS * sizeof *g->part_ms);
}

const float *
mnv3_graph_run (Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  for (int i = 0; i < g->n_steps; i++) {
    RunCtx rc = { g, &g->steps[i] };
    double t0 = g->profiling ? now_ms () : 0;
    /* Steps smaller than a fork/join is worth run on the caller alone. */
    int chunks = g->steps[i].macs < SMALL_STEP_MACS ? 1 : g->n_chunks;
    mnv3_pool_run (g->pool, run_step_part, &rc, chunks);
    if (g->profiling) {
      double dt = now_ms () - t0;
      g->prof_step_ms[i] += dt;
      if (g->prof_step_min[i] == 0 || dt < g->prof_step_min[i])
        g->prof_step_min[i] = dt;
      if (g->steps[i].kind == STEP_BLOCK)
        split_fused_profile (g, dt);
      else
        g->prof_ms[g->steps[i].prof] += dt;
    }
  }
  if (g->profiling)
    g->prof_runs++;
  return g->logits;
}

/* Building the step list. */

typedef struct
{
  GArray *steps;
  int threads;
  GPtrArray *packed;
} Builder;

/* A copy of the K x N weights @w in panels of MNV3_CONV1X1_PANEL columns
 * (kernels.h), owned by @bld. */
static const float *
pack_conv1x1 (Builder * bld, const float *w, size_t k, size_t n)
{
  const size_t P = MNV3_CONV1X1_PANEL, panels = (n + P - 1) / P;
  float *dst = g_aligned_alloc0 (panels * k * P, sizeof (float), 64);
  for (size_t j = 0; j < panels; j++)
    for (size_t r = 0; r < k; r++)
      for (size_t c = j * P; c < MIN (n, (j + 1) * P); c++)
        dst[j * k * P + r * P + c - j * P] = w[r * n + c];
  g_ptr_array_add (bld->packed, dst);
  return dst;
}

static struct mnv3_conv1x1_params
conv1x1_params (Builder * bld, const Mnv3Conv * c, size_t m,
    const float *kscale, const float *residual)
{
  struct mnv3_conv1x1_params p = { 0 };
  p.m = m;
  p.k = c->cin;
  p.n = c->cout;
  p.in_stride = c->cin;
  p.out_stride = c->cout;
  p.w_stride = c->cout;
  p.w_panel = (size_t) c->cin * MNV3_CONV1X1_PANEL;
  p.w = pack_conv1x1 (bld, c->w, c->cin, c->cout);
  p.bias = c->b;
  p.kscale = kscale;
  p.residual = residual;
  p.act = c->act;
  return p;
}

static void
add_conv1x1 (Builder * bld, ProfType prof, const Mnv3Conv * c,
    const float *in, float *out, size_t m, const float *kscale,
    const float *residual)
{
  Step s = { 0 };
  s.kind = STEP_CONV1X1;
  s.prof = prof;
  s.in = in;
  s.out = out;
  s.p.c1 = conv1x1_params (bld, c, m, kscale, residual);
  /* Few rows (7x7 maps, GEMVs): give each thread a slice of the output
   * channels instead, which also splits the weight traffic. */
  s.split_n = m < (size_t) (8 * bld->threads);
  s.macs = (uint64_t) m *c->cin * c->cout;
  g_snprintf (s.desc, sizeof s.desc, "m=%zu k=%d n=%d", m, c->cin, c->cout);
  g_array_append_val (bld->steps, s);
}

static void
add_gap (Builder * bld, ProfType prof, const float *in, float *out,
    size_t hw, size_t c)
{
  Step s = { 0 };
  s.kind = STEP_GAP;
  s.prof = prof;
  s.in = in;
  s.out = out;
  s.p.gap.hw = hw;
  s.p.gap.c = c;
  s.macs = (uint64_t) hw *c;
  g_snprintf (s.desc, sizeof s.desc, "hw=%zu c=%zu", hw, c);
  g_array_append_val (bld->steps, s);
}

#define ALIGN_FLOATS(n) (((n) + 15) & ~(size_t) 15)

/* Fusing a block (FusedBlock) pays where the map the depthwise conv reads
 * outgrows L2 (1 MiB here; the 640 KiB threshold leaves room for weights
 * and outputs); a band's expanded rows get about 160 KiB. */
#define FUSE_MIN_BYTES (640 * 1024)
#define FUSE_SCRATCH_BYTES (160 * 1024)

/* MNV3_FUSE in the environment: "off" never fuses, "all" fuses every block
 * it can with one output row per band (for tests), else the sizes above. */
typedef enum
{ FUSE_AUTO, FUSE_OFF, FUSE_ALL } FuseMode;

static FuseMode
fuse_mode (void)
{
  const char *env = g_getenv ("MNV3_FUSE");
  if (g_strcmp0 (env, "off") == 0)
    return FUSE_OFF;
  if (g_strcmp0 (env, "all") == 0)
    return FUSE_ALL;
  return FUSE_AUTO;
}

/* Output rows per band if block @b (input @hw x @hw, output @ohw) is worth
 * fusing, else 0; *@scratch_floats gets the scratch a chunk needs. */
static size_t
fused_band (FuseMode mode, const Mnv3Block * b, int hw, int ohw,
    size_t *scratch_floats)
{
  size_t row = (size_t) hw * b->cexp;
  *scratch_floats = 0;
  if (mode == FUSE_OFF || (!b->has_expand && b->has_se)
      || (mode == FUSE_AUTO && row * hw * sizeof (float) < FUSE_MIN_BYTES))
    return 0;
  size_t rows = mode == FUSE_ALL ? (size_t) b->k : MAX ((size_t) b->k,
      FUSE_SCRATCH_BYTES / (row * sizeof (float)));
  size_t band = MIN ((rows - b->k) / b->stride + 1, (size_t) ohw);
  if (b->has_expand)
    *scratch_floats = ALIGN_FLOATS (((band - 1) * b->stride + b->k) * row);
  return band;
}

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

/* Buffers of mnv3_graph_new (): qin the rounded input (emulation only),
 * x/y ping-pong block inputs and outputs, e expanded, d depthwise, p/q/sc SE
 * vectors, h hidden, scr the fused blocks' per-chunk scratch. */
typedef struct
{
  const float *input;
  float *qin, *x, *y, *e, *d, *p, *q, *sc, *h, *logits, *scr;
} NetBuffers;

static void
add_quant_network (Builder * bld, const Mnv3Model * model,
    const NetBuffers * buf)
{
  const Mnv3ModelInfo *info = &model->info;
  const Mnv3ActQuant *aq = model->act_quant;
  int hw = info->input_size, ohw, pad;
  Step s;
  Mnv3Conv c;

  add_quant (bld, PROF_STEM, buf->input, buf->qin,
      (size_t) hw * hw * 3, MNV3_ACT_NONE, 1.0f, 0.0f, &aq->input);
  mnv3_conv_padding (info->padding, hw, 3, 2, &ohw, &pad);
  c = conv_pre_act (&model->stem);
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
  hw = ohw;
  add_unit_quant (bld, PROF_STEM, buf->x, (size_t) hw * hw * c.cout,
      &model->stem, &aq->stem);
  float *cur = buf->x, *other = buf->y;

  for (int i = 0; i < model->n_blocks; i++) {
    const Mnv3Block *b = &model->blocks[i];
    const Mnv3BlockQuant *bq = &aq->blocks[i];
    size_t m_in = (size_t) hw * hw;
    const float *dw_in = cur;
    if (b->has_expand) {
      c = conv_pre_act (&b->expand);
      add_conv1x1 (bld, PROF_EXPAND, &c, cur, buf->e, m_in, NULL, NULL);
      add_unit_quant (bld, PROF_EXPAND, buf->e, m_in * b->cexp, &b->expand,
          &bq->expand);
      dw_in = buf->e;
    }
    mnv3_conv_padding (info->padding, hw, b->k, b->stride, &ohw, &pad);
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
    hw = ohw;
    size_t m_out = (size_t) hw * hw;
    add_unit_quant (bld, PROF_DWCONV, buf->d, m_out * b->cexp, &b->dw, &bq->dw);

    if (b->has_se) {
      /* pool -> fc1 (ReLU) -> fc2 -> + 3 (0..6 by the grid) -> * 1/6 ->
       * the map times the gate, each rounded. */
      add_qgap (bld, PROF_SE, buf->d, buf->p, m_out, b->cexp,
          unit_grid (&b->dw, &bq->dw), &bq->se_pool);
      add_conv1x1 (bld, PROF_SE, &b->fc1, buf->p, buf->q, 1, NULL, NULL);
      add_quant (bld, PROF_SE, buf->q, buf->q, b->csq, MNV3_ACT_NONE, 1.0f,
          0.0f, &bq->se_fc1);
      c = conv_pre_act (&b->fc2);
      add_conv1x1 (bld, PROF_SE, &c, buf->q, buf->sc, 1, NULL, NULL);
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
    add_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, other, m_out, NULL,
        NULL);
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
      float *t = cur;
      cur = other;
      other = t;
    }
  }

  size_t m = (size_t) hw * hw;
  c = conv_pre_act (&model->head);
  add_conv1x1 (bld, PROF_HEAD, &c, cur, buf->e, m, NULL, NULL);
  add_unit_quant (bld, PROF_HEAD, buf->e, m * c.cout, &model->head, &aq->head);
  add_qgap (bld, PROF_POOL, buf->e, buf->p, m, c.cout,
      unit_grid (&model->head, &aq->head), &aq->pool);
  c = conv_pre_act (&model->hidden);
  add_conv1x1 (bld, PROF_CLASSIFIER, &c, buf->p, buf->h, 1, NULL, NULL);
  add_unit_quant (bld, PROF_CLASSIFIER, buf->h, c.cout, &model->hidden,
      &aq->hidden);
  add_conv1x1 (bld, PROF_CLASSIFIER, &model->classifier, buf->h, buf->logits,
      1, NULL, NULL);
  add_unit_quant (bld, PROF_CLASSIFIER, buf->logits,
      model->classifier.cout, &model->classifier, &aq->classifier);
}

/* The float network: stem, bneck blocks (fused where fused_band () says
 * so), head and classifier. */
static void
add_float_network (Builder * bld, const Mnv3Model * model, FuseMode fuse,
    const NetBuffers * buf)
{
  const Mnv3ModelInfo *info = &model->info;
  int pad, hw, ohw;
  Step s;

  /* Stem: conv 3x3/2 (DESIGN 3a), h-swish (ReLU when minimalistic). */
  hw = info->input_size;
  mnv3_conv_padding (info->padding, hw, 3, 2, &ohw, &pad);
  memset (&s, 0, sizeof s);
  s.kind = STEP_CONV;
  s.prof = PROF_STEM;
  s.in = buf->input;
  s.out = buf->x;
  s.p.conv = (struct mnv3_conv_params) {
    .ih = hw,.iw = hw,.cin = 3,.oh = ohw,.ow = ohw,.cout = model->stem.cout,
    .k = 3,.stride = 2,.pad_top = pad,.pad_left = pad,.w = model->stem.w,
    .bias = model->stem.b,.act = model->stem.act
  };
  s.macs = (uint64_t) ohw *ohw * model->stem.cout * 27;
  g_snprintf (s.desc, sizeof s.desc, "%dx%dx3->%d", hw, hw, model->stem.cout);
  g_array_append_val (bld->steps, s);
  hw = ohw;
  float *cur = buf->x, *other = buf->y;

  for (int i = 0; i < model->n_blocks; i++) {
    /* bneck: [1x1 expand, act] -> kxk depthwise/stride, act -> [SE] ->
     * 1x1 project (linear) [+ input when stride 1 and cin == cout]. */
    const Mnv3Block *b = &model->blocks[i];
    size_t m_in = (size_t) hw * hw, scratch_floats;
    mnv3_conv_padding (info->padding, hw, b->k, b->stride, &ohw, &pad);
    size_t band = fused_band (fuse, b, hw, ohw, &scratch_floats);
    struct mnv3_dwconv_params dwp = {
      .ih = hw,.iw = hw,.c = b->cexp,.oh = ohw,.ow = ohw,.k = b->k,
      .stride = b->stride,.pad_top = pad,.pad_left = pad,.w = b->dw.w,
      .bias = b->dw.b,.act = b->dw.act
    };
    uint64_t dw_macs = (uint64_t) ohw * ohw * b->cexp * b->k * b->k;
    if (band) {
      memset (&s, 0, sizeof s);
      s.kind = STEP_BLOCK;
      s.prof = PROF_DWCONV;
      FusedBlock *f = &s.p.fb;
      f->dw = dwp;
      f->x = cur;
      f->d = buf->d;
      f->scratch = buf->scr;
      f->scratch_floats = scratch_floats;
      f->band = band;
      f->has_expand = b->has_expand;
      if (b->has_expand)
        f->expand = conv1x1_params (bld, &b->expand, 0, NULL, NULL);
      /* with SE the projection waits for the pooled scale */
      f->has_project = !b->has_se;
      if (f->has_project) {
        /* never in place: other threads' bands still read x */
        f->project = conv1x1_params (bld, &b->project, 0, NULL,
            b->residual ? cur : NULL);
        f->out = other;
      }
      s.macs = dw_macs + (uint64_t) m_in *(b->has_expand ? b->cin * b->cexp : 0)
      + (uint64_t) ohw *ohw * (f->has_project ? b->cexp * b->cout : 0);
      g_snprintf (s.desc, sizeof s.desc, "%dx%dx%d k=%d s=%d band=%zu", hw, hw,
          b->cexp, b->k, b->stride, band);
      g_array_append_val (bld->steps, s);
    } else {
      const float *dw_in = cur;
      if (b->has_expand) {
        add_conv1x1 (bld, PROF_EXPAND, &b->expand, cur, buf->e, m_in, NULL,
            NULL);
        dw_in = buf->e;
      }
      memset (&s, 0, sizeof s);
      s.kind = STEP_DWCONV;
      s.prof = PROF_DWCONV;
      s.in = dw_in;
      s.out = buf->d;
      s.p.dw = dwp;
      s.macs = dw_macs;
      g_snprintf (s.desc, sizeof s.desc, "%dx%dx%d k=%d s=%d", hw, hw,
          b->cexp, b->k, b->stride);
      g_array_append_val (bld->steps, s);
    }
    hw = ohw;
    size_t m_out = (size_t) hw * hw;

    if (band && !b->has_se) {
      float *t = cur;           /* the fused step projected into other */
      cur = other;
      other = t;
      continue;
    }
    const float *kscale = NULL;
    if (b->has_se) {
      /* Squeeze-excite: pool -> fc1 ReLU -> fc2 h-sigmoid; the channel
       * scale is applied inside the projection GEMM (kscale). */
      add_gap (bld, PROF_SE, buf->d, buf->p, m_out, b->cexp);
      add_conv1x1 (bld, PROF_SE, &b->fc1, buf->p, buf->q, 1, NULL, NULL);
      add_conv1x1 (bld, PROF_SE, &b->fc2, buf->q, buf->sc, 1, NULL, NULL);
      kscale = buf->sc;
    }
    if (b->residual) {
      /* In place: each output element reads its residual first. */
      add_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, cur, m_out, kscale,
          cur);
    } else {
      add_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, other, m_out, kscale,
          NULL);
      float *t = cur;
      cur = other;
      other = t;
    }
  }

  /* Head: 1x1 conv, act -> global pool -> classifier.0 act ->
   * classifier.3 (dropout is identity at inference). */
  add_conv1x1 (bld, PROF_HEAD, &model->head, cur, buf->e, (size_t) hw * hw,
      NULL, NULL);
  add_gap (bld, PROF_POOL, buf->e, buf->p, (size_t) hw * hw, model->head.cout);
  add_conv1x1 (bld, PROF_CLASSIFIER, &model->hidden, buf->p, buf->h, 1, NULL,
      NULL);
  add_conv1x1 (bld, PROF_CLASSIFIER, &model->classifier, buf->h, buf->logits, 1,
      NULL, NULL);

}

Mnv3Graph *
mnv3_graph_new (const Mnv3Model * model, const Mnv3GraphOptions * options,
    GError ** error)
{
  g_return_val_if_fail (model != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  const char *kname = options ? options->kernels : NULL;
  const struct mnv3_kernels *k = mnv3_kernels_get (kname);
  if (!k) {
    g_set_error (error, MNV3_ERROR, MNV3_ERROR_INVALID_ARGUMENT,
        "kernel set '%s' is unknown or not supported by this CPU "
        "(known: ref, avx2, avx512)", kname ? kname :
        g_getenv ("MNV3_KERNELS"));
    return NULL;
  }
  int threads = options ? options->threads : 0;
  if (threads <= 0)
    threads = (int) g_get_num_processors ();
  threads = CLAMP (threads, 1, 64);

  const Mnv3ModelInfo *info = &model->info;
  int pad, hw = info->input_size, ohw;

  /* Plan: find the largest activation of each role. Buffers: X / Y hold
   * block inputs and outputs (ping-pong), E the expanded map, D the
   * depthwise output; small vectors for SE, pooling and the classifier. */
  size_t max_xy, max_e = 0, max_d = 0, max_c = 0, max_scratch = 0;
  const FuseMode fuse = fuse_mode ();
  mnv3_conv_padding (info->padding, hw, 3, 2, &ohw, &pad);
  hw = ohw;
  max_xy = (size_t) hw *hw * model->stem.cout;
  for (int i = 0; i < model->n_blocks; i++) {
    const Mnv3Block *b = &model->blocks[i];
    max_e = MAX (max_e, (size_t) hw * hw * b->cexp);
    mnv3_conv_padding (info->padding, hw, b->k, b->stride, &ohw, &pad);
    size_t scratch;
    if (fused_band (fuse, b, hw, ohw, &scratch))
      max_scratch = MAX (max_scratch, scratch);
    hw = ohw;
    max_d = MAX (max_d, (size_t) hw * hw * b->cexp);
    max_xy = MAX (max_xy, (size_t) hw * hw * b->cout);
    max_c = MAX (max_c, (size_t) b->cexp);
  }
  max_e = MAX (max_e, (size_t) hw * hw * model->head.cout);
  max_c = MAX (max_c, (size_t) model->head.cout);
  size_t n_in = (size_t) info->input_size * info->input_size * 3;

  size_t off_in = 0;
  size_t off_x = off_in + ALIGN_FLOATS (n_in);
  size_t off_y = off_x + ALIGN_FLOATS (max_xy);
  size_t off_e = off_y + ALIGN_FLOATS (max_xy);
  size_t off_d = off_e + ALIGN_FLOATS (max_e);
  size_t off_pool = off_d + ALIGN_FLOATS (max_d);
  size_t off_sq = off_pool + ALIGN_FLOATS (max_c);
  size_t off_scale = off_sq + ALIGN_FLOATS (max_c);
  size_t off_hidden = off_scale + ALIGN_FLOATS (max_c);
  size_t off_logits = off_hidden + ALIGN_FLOATS ((size_t) model->hidden.cout);
  size_t off_scratch = off_logits + ALIGN_FLOATS ((size_t) info->num_classes);
  /* one fused-block scratch per chunk; chunks <= threads */
  size_t total = off_scratch + ALIGN_FLOATS (max_scratch * threads);
  gboolean emulate = model->act_quant &&
      !(options && options->float_activations);
  size_t off_qin = total;       /* the rounded input, emulation only */
  if (emulate)
    total += ALIGN_FLOATS (n_in);

  Mnv3Graph *g = g_new0 (Mnv3Graph, 1);
  g->model = model;
  g->k = k;
  g->arena = g_aligned_alloc0 (total, sizeof (float), 64);
  float *A = g->arena;
  g->input = A + off_in;
  g->logits = A + off_logits;
  Builder bld = { g_array_new (FALSE, TRUE, sizeof (Step)), threads,
    g_ptr_array_new_with_free_func (g_aligned_free)
  };
  NetBuffers nb = { g->input, A + off_qin, A + off_x, A + off_y, A + off_e,
    A + off_d, A + off_pool, A + off_sq, A + off_scale, A + off_hidden,
    g->logits, A + off_scratch
  };
  if (emulate)                  /* TFLite's rounding: a step list of its own */
    add_quant_network (&bld, model, &nb);
  else
    add_float_network (&bld, model, fuse, &nb);

  g->n_steps = (int) bld.steps->len;
  g->steps = (Step *) g_array_free (bld.steps, FALSE);
  g->prof_step_ms = g_new0 (double, g->n_steps);
  g->prof_step_min = g_new0 (double, g->n_steps);
  g->packed = bld.packed;
  g->pool = mnv3_pool_new (threads);
  g->n_chunks = mnv3_pool_get_threads (g->pool) > 1 ?
      mnv3_pool_get_threads (g->pool) : 1;
  g_assert (g->n_chunks <= threads);
  g->part_ms = g_new0 (double, (size_t) g->n_chunks * N_PARTS);
  g_debug ("graph: %d steps, arena %.1f MiB, kernels %s, %d threads%s",
      g->n_steps, total * 4.0 / (1 << 20), k->name,
      mnv3_pool_get_threads (g->pool),
      emulate ? ", TFLite activation rounding" : "");
  return g;
}

void
mnv3_graph_free (Mnv3Graph * g)
{
  if (!g)
    return;
  mnv3_pool_free (g->pool);
  g_aligned_free (g->arena);
  g_free (g->steps);
  g_free (g->prof_step_ms);
  g_free (g->prof_step_min);
  g_free (g->part_ms);
  if (g->packed)
    g_ptr_array_free (g->packed, TRUE);
  g_free (g);
}

const char *
mnv3_graph_get_kernels (const Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  return g->k->name;
}

int
mnv3_graph_get_threads (const Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, 0);
  return mnv3_pool_get_threads (g->pool);
}

float *
mnv3_graph_get_input (Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  return g->input;
}

void
mnv3_graph_set_profiling (Mnv3Graph * g, gboolean enable)
{
  g_return_if_fail (g != NULL);
  g->profiling = enable;
  memset (g->prof_ms, 0, sizeof g->prof_ms);
  memset (g->prof_step_ms, 0, g->n_steps * sizeof *g->prof_step_ms);
  memset (g->prof_step_min, 0, g->n_steps * sizeof *g->prof_step_min);
  g->prof_runs = 0;
}

char *
mnv3_graph_get_profile (const Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  GString *str = g_string_new ("");
  double total = 0;
  for (int i = 0; i < N_PROF; i++)
    total += g->prof_ms[i];
  double runs = g->prof_runs ? (double) g->prof_runs : 1.0;
  for (int i = 0; i < g->n_steps; i++) {
    const Step *s = &g->steps[i];
    double ms = g->prof_step_ms[i] / runs, min = g->prof_step_min[i];
    /* min: the step's fastest run, steadier than the mean on a busy machine */
    g_string_append_printf (str, "profile step=%d op=%s %s ms=%.4f "
        "gflops=%.1f min_ms=%.4f min_gflops=%.1f\n", i,
        s->kind == STEP_BLOCK ? "fused-block" : prof_names[s->prof], s->desc,
        ms, ms > 0 ? 2.0 * s->macs / (ms * 1e6) : 0.0, min,
        min > 0 ? 2.0 * s->macs / (min * 1e6) : 0.0);
  }
  for (int i = 0; i < N_PROF; i++)
    g_string_append_printf (str, "profile op=%s ms=%.4f share=%.1f%%\n",
        prof_names[i], g->prof_ms[i] / runs,
        total > 0 ? 100.0 * g->prof_ms[i] / total : 0.0);
  g_string_append_printf (str, "profile op=total ms=%.4f\n", total / runs);
  return g_string_free (str, FALSE);
}
