/* libmnv3: internal structures shared by the model loader and the graph
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __MNV3_PRIVATE_H__
#define __MNV3_PRIVATE_H__

#include "mnv3.h"
#include "kernels.h"

G_BEGIN_DECLS

/* The library's log (mnv3-util.c): through mnv3_set_log_func()'s callback,
 * by default g_log under G_LOG_DOMAIN ("mnv3"). Use these, never g_debug. */
void mnv3_log (GLogLevelFlags level, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
#define MNV3_DEBUG(...) mnv3_log (G_LOG_LEVEL_DEBUG, __VA_ARGS__)
#define MNV3_WARNING(...) mnv3_log (G_LOG_LEVEL_WARNING, __VA_ARGS__)

/* One row of the paper's Tables 1 and 2 (DESIGN.md 3a), before the width
 * multiplier. */
typedef struct {
  int k, exp, out;
  gboolean se, hswish;
  int stride;
} Mnv3BlockSpec;

/* Returns the block table of @arch and its length; minimalistic variants
 * have k = 3, no SE and ReLU already applied. */
const Mnv3BlockSpec *mnv3_arch_blocks (Mnv3Arch arch, int *n_blocks);
gboolean mnv3_arch_from_string (const char *s, Mnv3Arch * arch);
const char *mnv3_arch_to_string (Mnv3Arch arch);

/* A convolution after BatchNorm folding, packed for the kernels:
 * - full conv (stem): w is k x k x cin x cout
 * - depthwise: w is k*k x c (tap-major)
 * - 1x1 / linear: w is cin x cout (row-major, "K x N")
 * bias always present (cout values). */
typedef struct {
  int cin, cout, k, stride;
  enum mnv3_act act;
  float *w;
  float *b;
} Mnv3Conv;

typedef struct {
  int cin, cexp, cout, k, stride, csq;
  gboolean has_expand, has_se, residual;
  Mnv3Conv expand;              /* 1x1 cin -> cexp (if has_expand) */
  Mnv3Conv dw;                  /* depthwise k x k, stride */
  Mnv3Conv fc1, fc2;            /* SE: cexp -> csq (ReLU), csq -> cexp (h-sigmoid) */
  Mnv3Conv project;             /* 1x1 cexp -> cout, no activation */
} Mnv3Block;

/* mnv3.act_quant (models/FORMAT.md section 2a): the grids TensorFlow Lite
 * rounds activations to. A grid with scale 0 is absent (e.g. .act of a
 * ReLU unit, whose activation is fused into its conv output). */
typedef struct {
  struct mnv3_qgrid out;        /* conv output (after ReLU for ReLU units) */
  struct mnv3_qgrid act;        /* after h-swish (h-swish units only) */
} Mnv3UnitQuant;

typedef struct {
  Mnv3UnitQuant expand, dw, project;
  /* SE: pool, fc1 (ReLU), fc2 (linear), fc2 + se_add (clamped by its grid
   * to 0..6), that * se_mul (the gate, 0..1), the map times the gate. */
  struct mnv3_qgrid se_pool, se_fc1, se_fc2, se_relu6, se_hsigmoid,
      se_scale;
  float se_add, se_mul;
  struct mnv3_qgrid add;        /* residual sum */
} Mnv3BlockQuant;

typedef struct {
  struct mnv3_qgrid input;
  Mnv3UnitQuant stem, head, hidden, classifier;
  struct mnv3_qgrid pool;       /* global pool after the head */
  Mnv3BlockQuant *blocks;       /* n_blocks */
} Mnv3ActQuant;

/* An integer tensor of a mnv3.int_quant file, in the file's layout
 * (models/FORMAT.md 2b): n values, n_scale (1, or one per output channel)
 * scales and zero points. */
typedef struct {
  int32_t *v;
  size_t n;
  int n_scale;
  float *scale;
  int32_t *zero_point;
} Mnv3QTensor;

struct _Mnv3Model {
  Mnv3ModelInfo info;
  char *name;                   /* file name for messages */
  char *arch_name;
  char *source;
  char **labels;                /* NULL-terminated or NULL */
  Mnv3Conv stem;                /* 3x3/2, 3 -> c0 */
  int n_blocks;
  Mnv3Block *blocks;
  Mnv3Conv head;                /* 1x1 last -> head_c, then global pool */
  Mnv3Conv hidden;              /* classifier.0: head_c -> hidden */
  Mnv3Conv classifier;          /* classifier.3: hidden -> classes */
  Mnv3ActQuant *act_quant;      /* NULL unless the file has mnv3.act_quant */
  GHashTable *qtensors;         /* name -> Mnv3QTensor (mnv3.int_quant) or NULL */
  char *int_quant;              /* the mnv3.int_quant text, or NULL */
  float *weights;               /* one allocation holding every w/b */
  size_t n_weights;
  /* Buffers derived from the weights (packed panels, integer weights),
   * built by the first graph that needs them and shared by every graph of
   * the model; key string -> 64-byte aligned buffer. Under the graph
   * builder's lock (mnv3-graph.c); freed with the model. */
  GHashTable *shared;
  size_t shared_bytes;
};

/* mnv3-graph.c: frees the model's shared buffers (mnv3_model_free ()). */
void mnv3_model_clear_shared (Mnv3Model * model);

/* Padding of a k x k, stride s conv on an input of @in pixels. */
void mnv3_conv_padding (Mnv3Padding padding, int in, int k, int stride,
                        int *out, int *pad_before);

/* Thread pool: mnv3_pool_run() calls fn (ctx, i, n_chunks) once for every
 * chunk i in [0, n_chunks), spread over the pool's threads and the caller,
 * and returns when all are done. */
typedef struct _Mnv3Pool Mnv3Pool;
typedef void (*Mnv3PoolFn) (void *ctx, int i, int n);
Mnv3Pool *mnv3_pool_new (int threads);
/* The process-wide pool of @threads threads (one per distinct count, made
 * on first use, reference counted): every graph asking for the same count
 * shares it. mnv3_pool_run () on a pool another caller is running runs the
 * chunks in the caller alone instead of waiting. */
Mnv3Pool *mnv3_pool_shared_ref (int threads);
void mnv3_pool_shared_unref (Mnv3Pool * pool);
/* Threads all pools of the process have started (tests, the CLI). */
int mnv3_pool_threads_started (void);
int mnv3_pool_get_threads (const Mnv3Pool * pool);
void mnv3_pool_run (Mnv3Pool * pool, Mnv3PoolFn fn, void *ctx,
                    int n_chunks);
void mnv3_pool_free (Mnv3Pool * pool);

G_END_DECLS

#endif /* __MNV3_PRIVATE_H__ */
