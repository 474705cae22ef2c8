/* libmnv3: the step list a graph runs, shared by the builders
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal to libmnv3: mnv3-graph.c builds the float network and runs every
 * step list; mnv3-quant.c builds the quantized ones. mnv3_net_walk () is
 * the one place that encodes the MobileNetV3 block order.
 */
#ifndef __MNV3_GRAPH_BUILD_H__
#define __MNV3_GRAPH_BUILD_H__

#include "mnv3-private.h"

G_BEGIN_DECLS

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
  /* integer engine (mnv3-quant.c): uint8 buffers behind the float pointers */
  STEP_IQUANT,                  /* float input -> uint8 */
  STEP_ICONV,
  STEP_ICONV1X1,
  STEP_IDWCONV,
  STEP_ILUT,
  STEP_IGAP,
  STEP_ICMUL,
  STEP_IADD,
  STEP_IDEQUANT,                /* uint8 logits -> float */
} StepKind;

/* Op types for the profile. */
typedef enum
{
  PROF_STEM, PROF_EXPAND, PROF_DWCONV, PROF_SE, PROF_PROJECT, PROF_HEAD,
  PROF_POOL, PROF_CLASSIFIER, N_PROF
} ProfType;

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
    struct mnv3_qconv1x1_params ic1;
    struct mnv3_qdwconv_params idw;
    struct mnv3_qconv_params iconv;
    struct mnv3_qlut_params ilut;
    struct mnv3_qgap_u8_params igap;
    struct mnv3_qcmul_params icmul;
    struct mnv3_qadd_params iadd;
    struct
    {
      size_t n;
      float scale;
      int32_t zp;
    } iq;                       /* STEP_IQUANT, STEP_IDEQUANT */
  } p;
  const float *in2;             /* STEP_ADD: second operand */
  gboolean split_n;             /* conv1x1: split columns, not rows */
  uint64_t macs;                /* work, to decide whether to split */
  char desc[40];                /* shape, for the per-step profile */
} Step;

typedef struct
{
  GArray *steps;
  int threads;
  GPtrArray *packed;            /* the graph's own buffers */
  Mnv3Model *model;             /* its shared buffers (the builder's lock) */
} Builder;

/* The model's buffer stored under @key (a string naming what it is derived
 * from), or a new one of @bytes (64-byte aligned, zeroed) stored there and
 * *@fill set: the caller then fills it. Shared by every graph of the model,
 * so it must hold only what the model determines (never activations). */
gpointer mnv3_build_shared (Builder * bld, const char *key, size_t bytes,
    gboolean * fill);
/* Forgets the buffer of @key (its filling failed). */
void mnv3_build_shared_drop (Builder * bld, const char *key);

/* Buffers of mnv3_graph_new (): qin the rounded input (emulation only),
 * x/y ping-pong block inputs and outputs, e expanded, d depthwise, p/q/sc SE
 * vectors, h hidden, scr the fused blocks' per-chunk scratch. */
typedef struct
{
  const float *input;
  float *qin, *x, *y, *e, *d, *p, *q, *sc, *h, *logits, *scr;
} NetBuffers;

#define ALIGN_FLOATS(n) (((n) + 15) & ~(size_t) 15)

/* Appends a 1x1 conv (GEMM) step with packed weights (mnv3-graph.c). */
void mnv3_build_conv1x1 (Builder * bld, ProfType prof, const Mnv3Conv * c,
    const float *in, float *out, size_t m, const float *kscale,
    const float *residual);

/* The MobileNetV3 order, once: the stem (3x3/2 conv on the hw x hw input,
 * ohw x ohw output, @pad rows/columns of padding before), each bneck block
 * in turn (its input map hw x hw, output ohw x ohw, depthwise padding
 * @pad), then the head (on the last block's hw x hw map: 1x1 conv, global
 * pool, classifier). Builders and the buffer planning keep their own state
 * in @ctx. */
typedef struct
{
  void (*stem) (void *ctx, int hw, int ohw, int pad);
  void (*block) (void *ctx, int i, const Mnv3Block * b, int hw, int ohw,
      int pad);
  void (*head) (void *ctx, int hw);
} Mnv3NetWalk;

void mnv3_net_walk (const Mnv3Model * model, const Mnv3NetWalk * walk,
    void *ctx);

/* mnv3-quant.c: the activation-quantization emulation (mnv3.act_quant). */
void mnv3_quant_build_emulation (Builder * bld, const Mnv3Model * model,
    const NetBuffers * buf);

/* mnv3-quant.c: the integer engine, for files with mnv3.int_quant. Returns
 * FALSE with @why set (a static string) when the file's quantization is not
 * one it runs (the caller then uses the emulation). */
gboolean mnv3_quant_build_integer (Builder * bld, const Mnv3Model * model,
    const NetBuffers * buf, const char **why);

/* Chunk @i of @n of an integer step (STEP_I*). */
void mnv3_quant_run_part (const struct mnv3_kernels *k, const Step * s,
    int i, int n);

/* Splits [0, n) into @parts chunks, multiples of @align except the last. */
void mnv3_split_range (size_t n, int i, int parts, size_t align, size_t *b,
    size_t *e);

G_END_DECLS

#endif /* __MNV3_GRAPH_BUILD_H__ */
