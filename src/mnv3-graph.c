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
#include "mnv3-graph-build.h"

static const char *const prof_names[N_PROF] = {
  "stem", "expand1x1", "dwconv", "se", "project1x1", "head1x1", "pool",
  "classifier"
};

struct _Mnv3Graph
{
  const Mnv3Model *model;
  const struct mnv3_kernels *k;
  Mnv3Pool *pool;
  float *arena;
  float *input;
  float *logits;
  float *pooled, *pre_logits;   /* mnv3_graph_get_embedding () */
  Step *steps;
  int n_steps;
  int n_chunks;                 /* per step: one per thread, claimed dynamically */
  const char *engine;           /* mnv3_graph_get_engine () */
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
void
mnv3_split_range (size_t n, int i, int parts, size_t align, size_t *b,
    size_t *e)
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
  mnv3_split_range (f->dw.oh, i, n, 1, &b, &e);
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
      mnv3_split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->conv (s->in, s->out, &p);
      break;
    }
    case STEP_DWCONV:{
      struct mnv3_dwconv_params p = s->p.dw;
      mnv3_split_range (p.oh, i, n, 1, &b, &e);
      p.oy0 = b;
      p.oy1 = e;
      if (b < e)
        k->dwconv (s->in, s->out, &p);
      break;
    }
    case STEP_GAP:{
      struct mnv3_gap_params p = s->p.gap;
      mnv3_split_range (p.c, i, n, 16, &b, &e);
      p.c0 = b;
      p.c1 = e;
      if (b < e)
        k->gap (s->in, s->out, &p);
      break;
    }
    case STEP_CONV1X1:{
      struct mnv3_conv1x1_params p = s->p.c1;
      if (s->split_n) {
        mnv3_split_range (p.n, i, n, MNV3_CONV1X1_PANEL, &b, &e);
        if (b >= e)
          break;
        p.n = e - b;
        p.w += b / MNV3_CONV1X1_PANEL * p.w_panel;
        p.bias += b;
        if (p.residual)
          p.residual += b;
        k->conv1x1 (s->in, s->out + b, &p);
      } else {
        mnv3_split_range (p.m, i, n, 1, &b, &e);
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
      mnv3_split_range (p.n, i, n, 16, &b, &e);
      p.n = e - b;
      if (b < e)
        k->quant (s->in + b, s->out + b, &p);
      break;
    }
    case STEP_ADD:{
      struct mnv3_add_params p = s->p.add;
      mnv3_split_range (p.n, i, n, 16, &b, &e);
      p.n = e - b;
      if (b < e)
        k->add (s->in + b, s->in2 + b, s->out + b, &p);
      break;
    }
    case STEP_CSCALE:{
      struct mnv3_cscale_params p = s->p.cscale;
      mnv3_split_range (p.m, i, n, 1, &b, &e);
      p.m = e - b;
      if (b < e)
        k->cscale (s->in + b * p.c, s->out + b * p.c, &p);
      break;
    }
    case STEP_QGAP:{
      struct mnv3_qgap_params p = s->p.qgap;
      mnv3_split_range (p.c, i, n, 16, &b, &e);
      p.c0 = b;
      p.c1 = e;
      if (b < e)
        k->qgap (s->in, s->out, &p);
      break;
    }
    default:
      mnv3_quant_run_part (k, s, i, n);
      break;
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

const float *
mnv3_graph_get_embedding (Mnv3Graph * g, Mnv3EmbeddingKind kind, int *n)
{
  int len = 0;
  const float *v = NULL;
  g_return_val_if_fail (g != NULL, NULL);
  if (strcmp (g->engine, "integer") == 0) {
    /* its pooled vector is uint8 on the file's grid: not offered */
    if (n)
      *n = 0;
    return NULL;
  }
  if (kind == MNV3_EMBEDDING_POOLED) {
    len = g->model->info.embedding_size;
    v = g->pooled;
  } else if (kind == MNV3_EMBEDDING_PRE_LOGITS) {
    len = g->model->info.pre_logits_size;
    v = len > 0 ? g->pre_logits : NULL;
  }
  if (n)
    *n = len;
  return v;
}

typedef struct
{
  Mnv3Graph *const *graphs;
  int n;                        /* images */
  int parts;                    /* chunks per image */
  int step;
} BatchCtx;

/* A step's weights in the L2 cache at once while the batch's images pass
 * (a slice of the output channels per chunk). */
#define BATCH_SLICE_BYTES (96 * 1024)

/* Chunk @c of a batched step: slice c / n of the output channels of image
 * c % n, so that the images' chunks of one weight slice follow each other
 * (a thread that claims them in a row finds the slice in its cache). */
static void
run_batch_part (void *data, int c, int n_chunks)
{
  BatchCtx *bc = data;
  const Mnv3Graph *g = bc->graphs[c % bc->n];
  Step s = g->steps[bc->step];
  RunCtx rc = { g, &s };
  s.split_n = TRUE;
  run_step_part (&rc, c / bc->n, bc->parts);
}

/* Slices of output channels step @s is batched in, or 0 when it is not
 * worth batching: a 1x1 conv whose weights outweigh its activations (small
 * maps, the squeeze-excite and classifier GEMVs), whose weights then come
 * from memory once for the batch instead of once per image. Other steps
 * run image by image, each image's activations staying in cache. */
static int
batch_slices (const Step * s, int n_chunks)
{
  size_t m, k, n, wsize, panel;
  if (s->kind == STEP_CONV1X1) {
    m = s->p.c1.m;
    k = s->p.c1.k;
    n = s->p.c1.n;
    wsize = sizeof (float);
    panel = MNV3_CONV1X1_PANEL;
  } else if (s->kind == STEP_ICONV1X1) {
    m = s->p.ic1.m;
    k = s->p.ic1.k;
    n = s->p.ic1.n;
    wsize = sizeof (int16_t);
    panel = 16;
  } else {
    return 0;
  }
  if (m * (k + n) >= k * n)
    return 0;
  size_t slices = (k * n * wsize + BATCH_SLICE_BYTES - 1) / BATCH_SLICE_BYTES;
  slices = MAX (slices, (size_t) n_chunks);
  slices = MIN (slices, (n + panel - 1) / panel);
  return (int) CLAMP (slices, 1, 64);
}

static gboolean
same_plan (const Mnv3Graph * a, const Mnv3Graph * b)
{
  if (a->model != b->model || a->k != b->k || a->n_steps != b->n_steps
      || a->n_chunks != b->n_chunks || a->pool != b->pool
      || strcmp (a->engine, b->engine) != 0)
    return FALSE;
  for (int i = 0; i < a->n_steps; i++)
    if (a->steps[i].kind != b->steps[i].kind
        || a->steps[i].macs != b->steps[i].macs)
      return FALSE;
  return TRUE;
}

/* Steps [@from, @to) of graph @g, as mnv3_graph_run () runs them. */
static void
run_steps (Mnv3Graph * g, int from, int to)
{
  for (int i = from; i < to; i++) {
    RunCtx rc = { g, &g->steps[i] };
    int chunks = g->steps[i].macs < SMALL_STEP_MACS ? 1 : g->n_chunks;
    mnv3_pool_run (g->pool, run_step_part, &rc, chunks);
  }
}

void
mnv3_graph_run_batch (Mnv3Graph * const *graphs, int n)
{
  g_return_if_fail (n >= 0 && (n == 0 || graphs != NULL));
  if (n > 256) {                /* the pool's job word: < 0xffff chunks */
    mnv3_graph_run_batch (graphs, 256);
    mnv3_graph_run_batch (graphs + 256, n - 256);
    return;
  }
  int same = n > 0;
  for (int j = 1; j < n && same; j++)
    same = same_plan (graphs[0], graphs[j]);
  if (!same || n == 1) {
    for (int j = 0; j < n; j++)
      mnv3_graph_run (graphs[j]);
    return;
  }
  const Mnv3Graph *g0 = graphs[0];
  for (int i = 0; i < g0->n_steps;) {
    int slices = batch_slices (&g0->steps[i], g0->n_chunks);
    if (slices > 0) {
      BatchCtx bc = { graphs, n, slices, i };
      mnv3_pool_run (g0->pool, run_batch_part, &bc, slices * n);
      i++;
      continue;
    }
    /* the run of steps up to the next batched one, image by image */
    int end = i + 1;
    while (end < g0->n_steps && batch_slices (&g0->steps[end],
            g0->n_chunks) == 0)
      end++;
    for (int j = 0; j < n; j++)
      run_steps (graphs[j], i, end);
    i = end;
  }
}

const float *
mnv3_graph_get_logits (const Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  return g->logits;
}

int
mnv3_get_pool_threads (void)
{
  return mnv3_pool_threads_started ();
}

/* Building the step list. */

/* Graph building: one at a time in the process, so that the first graph of
 * a model fills its shared buffers and the others find them filled. */
static GMutex build_lock;

gpointer
mnv3_build_shared (Builder * bld, const char *key, size_t bytes,
    gboolean * fill)
{
  Mnv3Model *model = bld->model;
  gpointer p;

  if (!model->shared)
    model->shared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_aligned_free);
  p = g_hash_table_lookup (model->shared, key);
  *fill = p == NULL;
  if (p)
    return p;
  p = g_aligned_alloc0 (bytes ? bytes : 1, 1, 64);
  g_hash_table_insert (model->shared, g_strdup (key), p);
  model->shared_bytes += bytes;
  return p;
}

void
mnv3_build_shared_drop (Builder * bld, const char *key)
{
  if (bld->model->shared)
    g_hash_table_remove (bld->model->shared, key);
}

void
mnv3_model_clear_shared (Mnv3Model * model)
{
  g_clear_pointer (&model->shared, g_hash_table_destroy);
  model->shared_bytes = 0;
}

size_t
mnv3_model_get_shared_bytes (const Mnv3Model * model)
{
  size_t bytes;
  g_return_val_if_fail (model != NULL, 0);
  g_mutex_lock (&build_lock);
  bytes = model->shared_bytes;
  g_mutex_unlock (&build_lock);
  return bytes;
}

/* The K x N weights @w in panels of MNV3_CONV1X1_PANEL columns
 * (kernels.h), shared by the model's graphs. */
static const float *
pack_conv1x1 (Builder * bld, const float *w, size_t k, size_t n)
{
  const size_t P = MNV3_CONV1X1_PANEL, panels = (n + P - 1) / P;
  char key[64];
  gboolean fill;
  g_snprintf (key, sizeof key, "f32-panels/%p/%zu/%zu", (const void *) w, k, n);
  float *dst = mnv3_build_shared (bld, key, panels * k * P * sizeof (float),
      &fill);
  if (fill)
    for (size_t j = 0; j < panels; j++)
      for (size_t r = 0; r < k; r++)
        for (size_t c = j * P; c < MIN (n, (j + 1) * P); c++)
          dst[j * k * P + r * P + c - j * P] = w[r * n + c];
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

void
mnv3_build_conv1x1 (Builder * bld, ProfType prof, const Mnv3Conv * c,
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


/* Fusing a block (FusedBlock) pays where the map the depthwise conv reads
 * outgrows L2 (1 MiB here; the 640 KiB threshold leaves room for weights
 * and outputs); a band's expanded rows get about 160 KiB. */
#define FUSE_MIN_BYTES (640 * 1024)
#define FUSE_SCRATCH_BYTES (160 * 1024)

/* The caller's Mnv3GraphOptions.fuse (the library reads no MNV3_FUSE):
 * "off" never fuses, "all" fuses every block it can with one output row per
 * band (for tests), else the sizes above. */
typedef enum
{ FUSE_AUTO, FUSE_OFF, FUSE_ALL } FuseMode;

static FuseMode
fuse_mode (const Mnv3GraphOptions * options)
{
  switch (options ? options->fuse : MNV3_FUSE_AUTO) {
    case MNV3_FUSE_OFF:
      return FUSE_OFF;
    case MNV3_FUSE_ALL:
      return FUSE_ALL;
    default:
      return FUSE_AUTO;
  }
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

/* The one encoding of the block order (mnv3-graph-build.h). */
void
mnv3_net_walk (const Mnv3Model * model, const Mnv3NetWalk * walk, void *ctx)
{
  const Mnv3ModelInfo *info = &model->info;
  int pad, hw = info->input_size, ohw;

  /* Stem: conv 3x3/2 (DESIGN 3a), h-swish (ReLU when minimalistic). */
  mnv3_conv_padding (info->padding, hw, 3, 2, &ohw, &pad);
  if (walk->stem)
    walk->stem (ctx, hw, ohw, pad);
  hw = ohw;
  /* bneck: [1x1 expand, act] -> kxk depthwise/stride, act -> [SE] ->
   * 1x1 project (linear) [+ input when stride 1 and cin == cout]. */
  for (int i = 0; i < model->n_blocks; i++) {
    const Mnv3Block *b = &model->blocks[i];
    mnv3_conv_padding (info->padding, hw, b->k, b->stride, &ohw, &pad);
    if (walk->block)
      walk->block (ctx, i, b, hw, ohw, pad);
    hw = ohw;
  }
  /* Head: 1x1 conv, act -> global pool -> classifier.0 act ->
   * classifier.3 (dropout is identity at inference). */
  if (walk->head)
    walk->head (ctx, hw);
}

/* The float builder's state between mnv3_net_walk () callbacks. */
typedef struct
{
  Builder *bld;
  const Mnv3Model *model;
  FuseMode fuse;
  const NetBuffers *buf;
  float *cur, *other;           /* block input, the other ping-pong buffer */
} FloatCtx;

static void
float_stem (void *data, int hw, int ohw, int pad)
{
  FloatCtx *f = data;
  const Mnv3Model *model = f->model;
  Step s;

  memset (&s, 0, sizeof s);
  s.kind = STEP_CONV;
  s.prof = PROF_STEM;
  s.in = f->buf->input;
  s.out = f->buf->x;
  s.p.conv = (struct mnv3_conv_params) {
    .ih = hw,.iw = hw,.cin = 3,.oh = ohw,.ow = ohw,.cout = model->stem.cout,
    .k = 3,.stride = 2,.pad_top = pad,.pad_left = pad,.w = model->stem.w,
    .bias = model->stem.b,.act = model->stem.act
  };
  s.macs = (uint64_t) ohw *ohw * model->stem.cout * 27;
  g_snprintf (s.desc, sizeof s.desc, "%dx%dx3->%d", hw, hw, model->stem.cout);
  g_array_append_val (f->bld->steps, s);
  f->cur = f->buf->x;
  f->other = f->buf->y;
}

/* A bneck block, fused where fused_band () says so. */
static void
float_block (void *data, int i, const Mnv3Block * b, int hw, int ohw, int pad)
{
  FloatCtx *fc = data;
  Builder *bld = fc->bld;
  const NetBuffers *buf = fc->buf;
  float *cur = fc->cur, *other = fc->other;
  size_t m_in = (size_t) hw * hw, scratch_floats;
  size_t band = fused_band (fc->fuse, b, hw, ohw, &scratch_floats);
  struct mnv3_dwconv_params dwp = {
    .ih = hw,.iw = hw,.c = b->cexp,.oh = ohw,.ow = ohw,.k = b->k,
    .stride = b->stride,.pad_top = pad,.pad_left = pad,.w = b->dw.w,
    .bias = b->dw.b,.act = b->dw.act
  };
  uint64_t dw_macs = (uint64_t) ohw * ohw * b->cexp * b->k * b->k;
  Step s;

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
      mnv3_build_conv1x1 (bld, PROF_EXPAND, &b->expand, cur, buf->e, m_in,
          NULL, NULL);
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
  size_t m_out = (size_t) ohw * ohw;

  if (band && !b->has_se) {
    fc->cur = other;            /* the fused step projected into other */
    fc->other = cur;
    return;
  }
  const float *kscale = NULL;
  if (b->has_se) {
    /* Squeeze-excite: pool -> fc1 ReLU -> fc2 h-sigmoid; the channel
     * scale is applied inside the projection GEMM (kscale). */
    add_gap (bld, PROF_SE, buf->d, buf->p, m_out, b->cexp);
    mnv3_build_conv1x1 (bld, PROF_SE, &b->fc1, buf->p, buf->q, 1, NULL, NULL);
    mnv3_build_conv1x1 (bld, PROF_SE, &b->fc2, buf->q, buf->sc, 1, NULL, NULL);
    kscale = buf->sc;
  }
  if (b->residual) {
    /* In place: each output element reads its residual first. */
    mnv3_build_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, cur, m_out,
        kscale, cur);
  } else {
    mnv3_build_conv1x1 (bld, PROF_PROJECT, &b->project, buf->d, other, m_out,
        kscale, NULL);
    fc->cur = other;
    fc->other = cur;
  }
}

static void
float_head (void *data, int hw)
{
  FloatCtx *f = data;
  Builder *bld = f->bld;
  const NetBuffers *buf = f->buf;
  const Mnv3Model *model = f->model;

  mnv3_build_conv1x1 (bld, PROF_HEAD, &model->head, f->cur, buf->e,
      (size_t) hw * hw, NULL, NULL);
  add_gap (bld, PROF_POOL, buf->e, buf->p, (size_t) hw * hw, model->head.cout);
  if (model->info.num_classes == 0)     /* embedding-only */
    return;
  mnv3_build_conv1x1 (bld, PROF_CLASSIFIER, &model->hidden, buf->p, buf->h, 1,
      NULL, NULL);
  mnv3_build_conv1x1 (bld, PROF_CLASSIFIER, &model->classifier, buf->h,
      buf->logits, 1, NULL, NULL);
}

/* The largest activation of each role (see mnv3_graph_new ()). */
typedef struct
{
  FuseMode fuse;
  size_t max_xy, max_e, max_d, max_c, max_scratch;
  const Mnv3Model *model;
} Plan;

static void
plan_stem (void *data, int hw, int ohw, int pad)
{
  Plan *p = data;
  p->max_xy = (size_t) ohw *ohw * p->model->stem.cout;
}

static void
plan_block (void *data, int i, const Mnv3Block * b, int hw, int ohw, int pad)
{
  Plan *p = data;
  size_t scratch;
  p->max_e = MAX (p->max_e, (size_t) hw * hw * b->cexp);
  if (fused_band (p->fuse, b, hw, ohw, &scratch))
    p->max_scratch = MAX (p->max_scratch, scratch);
  p->max_d = MAX (p->max_d, (size_t) ohw * ohw * b->cexp);
  p->max_xy = MAX (p->max_xy, (size_t) ohw * ohw * b->cout);
  p->max_c = MAX (p->max_c, (size_t) b->cexp);
}

static void
plan_head (void *data, int hw)
{
  Plan *p = data;
  p->max_e = MAX (p->max_e, (size_t) hw * hw * p->model->head.cout);
  p->max_c = MAX (p->max_c, (size_t) p->model->head.cout);
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

  /* Plan: find the largest activation of each role. Buffers: X / Y hold
   * block inputs and outputs (ping-pong), E the expanded map, D the
   * depthwise output; small vectors for SE, pooling and the classifier. */
  static const Mnv3NetWalk plan_walk = { plan_stem, plan_block, plan_head };
  const FuseMode fuse = fuse_mode (options);
  Plan plan = { fuse, 0, 0, 0, 0, 0, model };
  mnv3_net_walk (model, &plan_walk, &plan);
  size_t max_xy = plan.max_xy, max_e = plan.max_e, max_d = plan.max_d;
  size_t max_c = plan.max_c, max_scratch = plan.max_scratch;
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
  size_t off_qin = total;       /* the rounded input, quantized models only */
  if (emulate)
    total += ALIGN_FLOATS (n_in);

  Mnv3Graph *g = g_new0 (Mnv3Graph, 1);
  g->model = model;
  g->k = k;
  g->arena = g_aligned_alloc0 (total, sizeof (float), 64);
  float *A = g->arena;
  g->input = A + off_in;
  g->logits = A + off_logits;
  g->pooled = A + off_pool;
  g->pre_logits = A + off_hidden;
  Builder bld = { g_array_new (FALSE, TRUE, sizeof (Step)), threads,
    g_ptr_array_new_with_free_func (g_aligned_free), (Mnv3Model *) model
  };
  NetBuffers nb = { g->input, A + off_qin, A + off_x, A + off_y, A + off_e,
    A + off_d, A + off_pool, A + off_sq, A + off_scale, A + off_hidden,
    g->logits, A + off_scratch
  };
  const char *why = "no mnv3.int_quant";
  g->engine = "float";
  g_mutex_lock (&build_lock);
  if (emulate && model->int_quant
      && mnv3_quant_build_integer (&bld, model, &nb, &why)) {
    g->engine = "integer";
  } else if (emulate) {         /* TFLite's rounding: a step list of its own */
    g_array_set_size (bld.steps, 0);
    MNV3_DEBUG ("%s: no integer engine (%s): float with TFLite's rounding",
        model->name, why);
    mnv3_quant_build_emulation (&bld, model, &nb);
    g->engine = "float-rounded";
  } else {
    static const Mnv3NetWalk float_walk = { float_stem, float_block,
      float_head
    };
    FloatCtx fc = { &bld, model, fuse, &nb, NULL, NULL };
    mnv3_net_walk (model, &float_walk, &fc);
  }
  g_mutex_unlock (&build_lock);

  g->n_steps = (int) bld.steps->len;
  g->steps = (Step *) g_array_free (bld.steps, FALSE);
  g->prof_step_ms = g_new0 (double, g->n_steps);
  g->prof_step_min = g_new0 (double, g->n_steps);
  g->packed = bld.packed;
  g->pool = mnv3_pool_shared_ref (threads);
  g->n_chunks = mnv3_pool_get_threads (g->pool) > 1 ?
      mnv3_pool_get_threads (g->pool) : 1;
  g_assert (g->n_chunks <= threads);
  g->part_ms = g_new0 (double, (size_t) g->n_chunks * N_PARTS);
  MNV3_DEBUG ("graph: %d steps, arena %.1f MiB, kernels %s, %d threads, "
      "engine %s", g->n_steps, total * 4.0 / (1 << 20), k->name,
      mnv3_pool_get_threads (g->pool), g->engine);
  return g;
}

void
mnv3_graph_free (Mnv3Graph * g)
{
  if (!g)
    return;
  mnv3_pool_shared_unref (g->pool);
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

const char *
mnv3_graph_get_engine (const Mnv3Graph * g)
{
  g_return_val_if_fail (g != NULL, NULL);
  return g->engine;
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
