/* libmnv3: MobileNetV3 inference in plain C11
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The public API of libmnv3, the only header gst/ includes.
 */
#ifndef __MNV3_H__
#define __MNV3_H__

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/**
 * MNV3_ERROR:
 *
 * Error domain of libmnv3. Codes are #Mnv3Error.
 */
#define MNV3_ERROR (mnv3_error_quark ())
GQuark mnv3_error_quark (void);

typedef enum {
  MNV3_ERROR_IO,                /* file cannot be opened or mapped */
  MNV3_ERROR_TRUNCATED,         /* file shorter than its header says */
  MNV3_ERROR_HEADER,            /* safetensors header not valid JSON / fields */
  MNV3_ERROR_OFFSET,            /* tensor data offsets out of range or overlapping */
  MNV3_ERROR_DTYPE,             /* unsupported dtype */
  MNV3_ERROR_MISSING,           /* a tensor the architecture needs is absent */
  MNV3_ERROR_SHAPE,             /* a tensor has the wrong shape */
  MNV3_ERROR_METADATA,          /* mnv3.* metadata missing or invalid */
  MNV3_ERROR_VALUE,             /* non-finite weights, bad numbers */
  MNV3_ERROR_INVALID_ARGUMENT,  /* bad argument to an API call */
  MNV3_ERROR_IMAGE,             /* input image cannot be read */
  MNV3_ERROR_NOT_FOUND,         /* the file does not exist */
  MNV3_ERROR_FORMAT,            /* another model format (.tflite, .onnx, .pth, .h5, .keras): convert it */
} Mnv3Error;

typedef enum {
  MNV3_ARCH_LARGE,
  MNV3_ARCH_SMALL,
  MNV3_ARCH_LARGE_MINIMALISTIC,
  MNV3_ARCH_SMALL_MINIMALISTIC,
} Mnv3Arch;

/* mnv3.hard_sigmoid: which h-sigmoid the SE gates and h-swish use. */
typedef enum {
  MNV3_HARD_SIGMOID_RELU6,      /* relu6 (x + 3) / 6: paper, torchvision, Keras 3 */
  MNV3_HARD_SIGMOID_KERAS2,     /* clip (0.2 x + 0.5, 0, 1): Keras 2's hard_sigmoid */
} Mnv3HardSigmoid;

typedef enum {
  MNV3_PADDING_SYMMETRIC,       /* torchvision: k/2 on every side */
  MNV3_PADDING_TF_SAME,         /* TensorFlow SAME: extra row/col at bottom/right */
} Mnv3Padding;

/**
 * Mnv3ModelInfo:
 *
 * Read-only description of a loaded model. Strings belong to the model.
 * @num_classes is 0 for an embedding-only model (converted from Keras'
 * include_top=False: no classifier tensors); mnv3_graph_run() then
 * computes the features only, see mnv3_graph_get_embedding().
 * @labels is %NULL-terminated, or %NULL when the file embeds none;
 * @n_labels counts it (it may differ from @num_classes; the caller decides
 * how to map, see the element's label-offset property).
 */
typedef struct {
  Mnv3Arch arch;
  const char *arch_name;        /* "large", "small", ... */
  double width;
  int input_size;               /* square side, 16..2048 (any size; 224 typical) */
  Mnv3Padding padding;
  float mean[3];                /* in 0..1 units, RGB */
  float std[3];
  int num_classes;
  const char *source;           /* free text, may be "" */
  const char *const *labels;
  int n_labels;
  uint64_t params;              /* parameters after BN folding */
  uint64_t macs;                /* multiply-accumulates per inference */
  gboolean act_quant;           /* carries mnv3.act_quant (TFLite uint8 grids) */
  Mnv3HardSigmoid hard_sigmoid; /* mnv3.hard_sigmoid */
  int embedding_size;           /* pooled last-conv features (960 / 576 at width 1) */
  int pre_logits_size;          /* classifier.0 outputs (1280 / 1024), 0 if none */
} Mnv3ModelInfo;

typedef struct _Mnv3Model Mnv3Model;
typedef struct _Mnv3Graph Mnv3Graph;

/**
 * mnv3_model_load:
 * @path: a safetensors file (format: models/FORMAT.md)
 * @error: return location for a #MNV3_ERROR
 *
 * Reads (only a regular file of at most 1 GiB; a file that changes while it
 * is read is refused) and validates @path, checks every tensor against the
 * architecture in its metadata and folds BatchNorm into the convolutions.
 *
 * Returns: (transfer full): the model, or %NULL with @error set naming the
 * file and, where there is one, the tensor. Free with mnv3_model_free().
 */
Mnv3Model *mnv3_model_load (const char *path, GError ** error);

/**
 * mnv3_model_load_from_data:
 * @data: the whole file contents (copied or referenced only during the call)
 * @size: bytes in @data
 * @name: name used in error messages
 *
 * As mnv3_model_load(), from memory (used by the fuzzer and tests).
 */
Mnv3Model *mnv3_model_load_from_data (const void *data, size_t size,
                                      const char *name, GError ** error);

void mnv3_model_free (Mnv3Model * model);

const Mnv3ModelInfo *mnv3_model_get_info (const Mnv3Model * model);

/* Bytes of the buffers the model's graphs share (packed 1x1 panels, the
 * integer engine's weights): made by the first graph that needs them,
 * reused by the others, freed with the model. Thread-safe. */
size_t mnv3_model_get_shared_bytes (const Mnv3Model * model);

/**
 * Mnv3Fuse:
 * @MNV3_FUSE_AUTO: fuse the blocks whose expanded map outgrows the L2 cache
 *   (the default)
 * @MNV3_FUSE_OFF: run every block as separate steps
 * @MNV3_FUSE_ALL: fuse every block that can be, one output row per band
 *   (for tests: the fixtures are too small for @MNV3_FUSE_AUTO to fuse)
 */
typedef enum {
  MNV3_FUSE_AUTO = 0,
  MNV3_FUSE_OFF,
  MNV3_FUSE_ALL,
} Mnv3Fuse;

/* "off" and "all" (the MNV3_FUSE environment variable's values), anything
 * else (NULL too) is MNV3_FUSE_AUTO. */
Mnv3Fuse mnv3_fuse_from_string (const char *s);

/**
 * Mnv3GraphOptions:
 * @threads: worker threads including the caller; 0 = number of cores
 * @kernels: kernel set: %NULL or "auto" = best the CPU has (or the
 *   MNV3_KERNELS environment variable), "ref", "avx2", "avx512"
 * @float_activations: for a model that carries activation quantization
 *   (mnv3.act_quant, converted from a uint8 TFLite file): %FALSE (default)
 *   computes as TensorFlow Lite does, with the integer engine when the file
 *   keeps its quantized weights (mnv3.int_quant), else by rounding every
 *   activation to TFLite's uint8 grid; %TRUE computes in plain float (the
 *   network the quantized weights encode). No effect on other models.
 * @fuse: which inverted-residual blocks run fused (see #Mnv3Fuse); the
 *   library reads no environment for it: callers (the CLI, the element) map
 *   MNV3_FUSE with mnv3_fuse_from_string()
 */
typedef struct {
  int threads;
  const char *kernels;
  gboolean float_activations;
  Mnv3Fuse fuse;
} Mnv3GraphOptions;

/**
 * mnv3_graph_new:
 * @model: a loaded model; it must outlive the graph
 * @options: (nullable): %NULL for defaults
 *
 * Plans the activation arena (all allocation happens here) and starts the
 * thread pool. A graph is used by one thread at a time; several graphs may
 * share one model.
 *
 * Returns: (transfer full): the graph, or %NULL with @error set (e.g. a
 * kernel set the CPU lacks). Free with mnv3_graph_free().
 */
Mnv3Graph *mnv3_graph_new (const Mnv3Model * model,
                           const Mnv3GraphOptions * options, GError ** error);

void mnv3_graph_free (Mnv3Graph * graph);

/* The name of the kernel set in use ("ref", "avx2", "avx512"). */
const char *mnv3_graph_get_kernels (const Mnv3Graph * graph);
int mnv3_graph_get_threads (const Mnv3Graph * graph);

/* How the graph computes: "float" (float kernels), "integer" (the integer
 * engine: a quantized TFLite file converted with its quantized weights,
 * TFLite's integer arithmetic), "float-rounded" (a quantized file without
 * them: float kernels rounding activations to TFLite's grids). */
const char *mnv3_graph_get_engine (const Mnv3Graph * graph);

/**
 * mnv3_graph_get_input:
 *
 * Returns: (transfer none): the input tensor, NHWC
 * input_size x input_size x 3 floats, already normalized (the caller applies
 * mean/std). 64-byte aligned.
 */
float *mnv3_graph_get_input (Mnv3Graph * graph);

/**
 * mnv3_graph_run:
 *
 * Runs the network on the input tensor. No allocation.
 *
 * Returns: (transfer none): num_classes logits (before softmax), valid until
 * the next run or mnv3_graph_free(); for an embedding-only model
 * (num_classes 0) a pointer to no values.
 */
const float *mnv3_graph_run (Mnv3Graph * graph);

/**
 * Mnv3EmbeddingKind:
 * @MNV3_EMBEDDING_POOLED: the global average of the last convolution's map
 *   (after its activation): Mnv3ModelInfo.embedding_size values, 960 for
 *   Large / 576 for Small at width 1. What Keras' include_top=False model
 *   gives with pooling='avg'. Every model has it.
 * @MNV3_EMBEDDING_PRE_LOGITS: the output of classifier.0 after its
 *   activation (1280 / 1024 at width 1), the classifier's input.
 *   Mnv3ModelInfo.pre_logits_size values; absent (0) in embedding-only models.
 *
 * The feature vectors mnv3_graph_get_embedding() returns. A consumer that
 * needs unit vectors (cosine similarity) normalizes them itself
 * (`mnv3 embed --l2` does).
 */
typedef enum {
  MNV3_EMBEDDING_POOLED,
  MNV3_EMBEDDING_PRE_LOGITS,
} Mnv3EmbeddingKind;

/**
 * mnv3_graph_get_embedding:
 * @graph: a graph that has run at least once
 * @kind: which vector
 * @n: (out) (optional): number of floats, 0 when the model has none
 *
 * The feature vectors of the last mnv3_graph_run(), computed by every run
 * anyway (no extra cost, no allocation). This is the API an element
 * `output=embedding|both` mode reads the vector with: copy it before the
 * next run, e.g. into the buffer's meta as @n little-endian float32.
 *
 * Returns: (transfer none): @n floats valid until the next run or
 * mnv3_graph_free(), or %NULL (and @n 0) when the model has no such
 * vector.
 */
const float *mnv3_graph_get_embedding (Mnv3Graph * graph,
                                       Mnv3EmbeddingKind kind, int *n);

/**
 * mnv3_graph_run_batch:
 * @graphs: @n graphs of one model made with the same options, each with
 *   its input filled; none used by another thread meanwhile
 *
 * Runs the @n graphs as one batch: step by step, each step of every image
 * in one fork/join of the thread pool, the chunks that read the same slice
 * of the weights next to each other, so a step's weights are fetched once
 * from memory for the @n images while they stay in cache. Each graph's
 * logits (mnv3_graph_run()'s) are exactly what a run of it alone gives.
 * Graphs that differ (model, options) are run one after the other.
 */
void mnv3_graph_run_batch (Mnv3Graph * const *graphs, int n);

/* The logits of the graph's last run (mnv3_graph_run() or
 * mnv3_graph_run_batch()). */
const float *mnv3_graph_get_logits (const Mnv3Graph * graph);

/* Threads the library's thread pools have started in the process: graphs
 * asking for the same thread count share one pool, so this stays within
 * the largest count whatever the number of graphs. */
int mnv3_get_pool_threads (void);

/* Per-op-type profiling: enable, then read accumulated ms per op type. */
void mnv3_graph_set_profiling (Mnv3Graph * graph, gboolean enable);
/* Returns a newly allocated text table "op ms_per_run share" (g_free). */
char *mnv3_graph_get_profile (const Mnv3Graph * graph);

/* Helpers. */

/**
 * Mnv3LogFunc:
 * @level: G_LOG_LEVEL_DEBUG, _INFO or _WARNING
 * @message: the message, without a trailing newline
 * @user_data: as given to mnv3_set_log_func()
 *
 * Receives the library's log messages. May be called from any thread that
 * calls into the library (the thread pool's threads included).
 */
typedef void (*Mnv3LogFunc) (GLogLevelFlags level, const char *message,
                             void *user_data);

/* Routes the library's messages to @func (NULL: back to the default,
 * g_log under the "mnv3" log domain). Thread-safe. */
void mnv3_set_log_func (Mnv3LogFunc func, void *user_data);

/* Softmax of @n values, in place is allowed. */
void mnv3_softmax (const float *logits, float *probs, int n);

/* Indices of the @k largest values, best first (ties: lower index first).
 * Returns the number written (min (k, n)). */
int mnv3_top_k (const float *values, int n, int k, int *indices);

/* make_divisible (v, 8) of torchvision / the paper's reference code. */
int mnv3_make_divisible (double v, int divisor);

/* Reads a binary PPM (P6) or PGM (P5), 8-bit, into a newly allocated RGB
 * buffer (g_free). */
guint8 *mnv3_image_load_pnm (const char *path, int *width, int *height,
                             GError ** error);

/* Area-average (box filter) resize of an RGB8 image to @out_size square and
 * normalize with @mean/@std (0..1 units) into NHWC floats. The same mapping
 * the element uses for crop-mode=stretch. */
void mnv3_image_to_input (const guint8 * rgb, int width, int height,
                          int stride, int out_size, const float mean[3],
                          const float std[3], float *out);

G_END_DECLS

#endif /* __MNV3_H__ */
