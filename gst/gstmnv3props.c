/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Installs the properties of mnv3classify, each with its documentation
 * (meaning, range, unit, default, Since). The values live in the element
 * (gstmnv3classify.c: set_property / get_property).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "gstmnv3props.h"

void
gst_mnv3_classify_install_properties (GObjectClass * gobject_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  /**
   * GstMnv3Classify:model-file:
   *
   * Path of the MobileNetV3 model, a safetensors file written by the
   * converters in `models/` (format: `models/FORMAT.md`). When unset, the
   * element looks for `mnv3-default.safetensors` in `$MNV3_MODEL_DIR`, the
   * installed data folder and the build tree's `models/`. A missing or
   * invalid file posts an ERROR naming the file and the reason, and the
   * READY to PAUSED state change fails. Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_FILE,
      g_param_spec_string ("model-file", "Model file",
          "Path of the safetensors MobileNetV3 model to run; it is loaded "
          "when the element goes from READY to PAUSED.",
          DEFAULT_PROP_MODEL_FILE, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:labels-file:
   *
   * Text file with one label per line, line N naming class N (after
   * #GstMnv3Classify:label-offset is applied). When unset, the labels
   * embedded in the model are used, else class numbers ("class 17"). A list
   * of the wrong length posts a WARNING; outputs without a label are then
   * named by their class number and extra lines are ignored. An unreadable
   * file is an ERROR. Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "Path of a text file with one class label per line; when unset the "
          "labels embedded in the model are used, else class numbers.",
          DEFAULT_PROP_LABELS_FILE, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:label-offset:
   *
   * How the label list lines up with the model's outputs. `auto` skips
   * output 0 ("background") when the model has exactly one output more than
   * there are labels (TensorFlow's 1001-class models with a 1000-line list)
   * and says so once in the debug log; `none` maps label N to output N;
   * `skip-background` always names output 0 "background" and label N output
   * N+1. Class ids in the results always index the model's outputs.
   * Default: `auto`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LABEL_OFFSET,
      g_param_spec_enum ("label-offset", "Label offset",
          "How label lines map to model outputs: auto skips output 0 "
          "(background) when the model has one output more than there are "
          "labels.", GST_TYPE_MNV3_LABEL_OFFSET, DEFAULT_PROP_LABEL_OFFSET,
          rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:top-k:
   *
   * Number of results kept per frame, best first (1 to any number; values
   * above the model's number of classes keep all of them). Default: 5.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_uint ("top-k", "Top K",
          "Number of best results kept per frame, best first.",
          1, G_MAXINT, DEFAULT_PROP_TOP_K, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:threshold:
   *
   * Minimum softmax probability (0 to 1) a result needs to be kept. Results
   * below it are dropped; when none is left, an empty result is still
   * attached (top-class-id -1). Default: 0 (keep all top-k).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Minimum probability (0 to 1) a result needs to be kept; an empty "
          "result is still attached when none passes.",
          0.0f, 1.0f, DEFAULT_PROP_THRESHOLD, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:crop-mode:
   *
   * Which part of the frame feeds the model's square input: `center-crop`
   * the largest centred square (aspect kept, sides cut), `stretch` the whole
   * frame resized to a square (aspect distorted, as TensorFlow's reference
   * evaluations do), `letterbox` the whole frame fitted inside the square and
   * padded with black. The region used is reported as the
   * meta's `roi`. Default: `center-crop`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CROP_MODE,
      g_param_spec_enum ("crop-mode", "Crop mode",
          "Which part of the frame is fed to the model: the centred square, "
          "the whole frame stretched, or the whole frame letterboxed.",
          GST_TYPE_MNV3_CROP_MODE, DEFAULT_PROP_CROP_MODE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:inference-interval:
   *
   * Run the model on every Nth frame only (N >= 1, in frames). The frames in
   * between carry the last result with `fresh` = %FALSE and `age-frames` = the
   * number of frames since the frame it was computed on. Default: 1 (every
   * frame).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run the model on every Nth frame; frames in between carry the last "
          "result, marked as not fresh.", 1, G_MAXINT,
          DEFAULT_PROP_INFERENCE_INTERVAL, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:threads:
   *
   * Number of threads one inference uses, including the streaming thread
   * (0 to 256; 0 = one per CPU core). Read when the model is loaded (READY
   * to PAUSED). In async mode (#GstMnv3Classify:mode) the worker's
   * inference uses this many threads, and with 0 one per core but one, so
   * that the video path keeps a core. Default: 0.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Number of threads an inference uses, 0 for one per CPU core; read "
          "when the model is loaded.", 0, MAX_THREADS, DEFAULT_PROP_THREADS,
          rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:qos:
   *
   * Whether the element skips inference on frames that downstream QoS
   * events say will be late; the frame itself always passes, carrying the
   * last result (`fresh` = %FALSE, `age-frames` growing). A QOS event with
   * lateness `diff` > 0 at `timestamp` skips inference on frames whose
   * running time is up to `timestamp + 2 * diff + one average inference`, as
   * GstVideoDecoder does; an on-time QOS event ends the skipping. Counted in
   * #GstMnv3Classify:inferences-skipped. This property shadows
   * #GstBaseTransform:qos, whose frame dropping the element never enables.
   * Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_boolean ("qos", "QoS",
          "Whether inference is skipped on frames downstream QoS says are "
          "late; frames themselves are never dropped.",
          DEFAULT_PROP_QOS, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:overlay:
   *
   * Whether to draw the top labels and scores on the video, with a built-in
   * font scaled with the frame height. The drawing is attached as a
   * #GstVideoOverlayCompositionMeta when downstream accepts one (checked with
   * an allocation query after each caps change), else blended into the
   * frame. With %FALSE the pixels are left untouched. Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OVERLAY,
      g_param_spec_boolean ("overlay", "Overlay",
          "Whether to draw the top labels and scores on the video; when off, "
          "pixels are left untouched.", DEFAULT_PROP_OVERLAY,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:message:
   *
   * When to post the "mnv3classify" element message (fields `timestamp`,
   * `running-time` (both #GstClockTime), `labels`, `class-ids`, `scores`
   * (#GstValueArray, best first) and `inference-us`): `none`, `on-change`
   * (after an inference whose top-1 class differs from the last posted one)
   * or `every-result` (after every inference). Default: `on-change`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MESSAGE,
      g_param_spec_enum ("message", "Message",
          "When to post mnv3classify element messages on the bus: never, "
          "when the top-1 class changes, or after every inference.",
          GST_TYPE_MNV3_MESSAGE_MODE, DEFAULT_PROP_MESSAGE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:mode:
   *
   * Where inference runs. `sync`: in the streaming thread, on every
   * #GstMnv3Classify:inference-interval th frame (deterministic; the frame
   * waits for its result, and the LATENCY query reports the inference time).
   * `async`: one worker thread classifies the newest frame; the streaming
   * thread only preprocesses (well under a millisecond) into a one-slot
   * mailbox, replacing a pending frame that has not started (counted in
   * #GstMnv3Classify:inferences-replaced), and frames pass at once carrying
   * the most recent finished result with `fresh` = %FALSE, `age-frames` =
   * frames since its source frame and `source-pts` = that frame's PTS. The
   * worker gives way to the video path: on Linux it runs at nice +10, and
   * with #GstMnv3Classify:threads = 0 its inference uses one thread fewer
   * than there are cores.
   * Before the first result, buffers carry an empty result (no labels,
   * `source-pts` = GST_CLOCK_TIME_NONE). `auto`: async when the upstream
   * LATENCY query says live, else sync. Flushes, seeks and caps changes drop
   * the queued frame and ignore the running one; EOS waits for the running
   * one (at most one inference) and posts its result on the bus; stopping
   * joins the worker. May be changed while playing. Default: `auto`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Where inference runs: inline (sync), in a worker thread that "
          "classifies the newest frame while frames pass (async), or async "
          "when upstream is live (auto).", GST_TYPE_MNV3_MODE,
          DEFAULT_PROP_MODE, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:smoothing:
   *
   * Temporal smoothing of the scores before top-k, the threshold, the
   * overlay and `on-change` messages. `ema`: an exponential moving average
   * of the probability vector with time constant
   * #GstMnv3Classify:smoothing-time. Reported scores are then the smoothed
   * ones. Applies with #GstMnv3Classify:roi-source=full-frame only (regions
   * from a detector have no identity across frames). The average restarts
   * after a flush, a seek or a caps change. Default: `none`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_enum ("smoothing", "Smoothing",
          "Temporal smoothing of the scores for a stable label: none, or an "
          "exponential moving average (see smoothing-time).",
          GST_TYPE_MNV3_SMOOTHING, DEFAULT_PROP_SMOOTHING,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:smoothing-time:
   *
   * Time constant tau of `smoothing=ema`, in seconds of stream time (0.001
   * to 3600). A new result whose source frame comes dt after the previous
   * result's gets the weight 1 - exp (-dt / tau): at 30 fps, tau = 0.5 s
   * gives each frame 6.5 % and a change of scene takes over the label after
   * about 0.35 s (ln 2 tau). dt comes from the PTS, else the caps framerate,
   * else 1/30 s, so the smoothing does not depend on the inference rate.
   * Default: 0.5.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SMOOTHING_TIME,
      g_param_spec_double ("smoothing-time", "Smoothing time",
          "Time constant of the exponential moving average in seconds of "
          "stream time.", 0.001, 3600.0, DEFAULT_PROP_SMOOTHING_TIME,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:hysteresis:
   *
   * Score margin (0 to 1) another class must beat the current top-1 by to
   * replace it, applied after smoothing and before top-k and `on-change`
   * messages. While the current top-1 is held it stays first in the results,
   * so its score may be below the second one's by less than the margin.
   * Full-frame only, like smoothing. Default: 0 (the best score wins).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_HYSTERESIS,
      g_param_spec_double ("hysteresis", "Hysteresis",
          "Score margin another class must beat the current top-1 label by "
          "to replace it.", 0.0, 1.0, DEFAULT_PROP_HYSTERESIS,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:roi-source:
   *
   * What is classified. `full-frame`: the frame (see
   * #GstMnv3Classify:crop-mode); the element adds its own
   * #GstVideoRegionOfInterestMeta. `roi-meta`: each upstream
   * #GstVideoRegionOfInterestMeta (e.g. from a detector) accepted by
   * #GstMnv3Classify:object-class and #GstMnv3Classify:min-roi-size, with
   * #GstMnv3Classify:crop-mode applied inside its box. Each classified ROI
   * meta gets a "classification" param (`label`, `label_id`, `confidence`,
   * top-k arrays; its roi_type is left alone), and the buffer gets one
   * "Mnv3Classification" custom meta per classified ROI, whose `roi` is the
   * ROI's box and `roi-id` the ROI meta's id. The overlay draws each top-1
   * label at its box's top-left corner. Frames without accepted ROIs get no
   * classification. In async mode a frame's ROI gets the result of the
   * classified region (of the newest finished frame) that overlaps it with
   * an intersection over union of at least 0.5. Messages: one per region,
   * with `roi`, `roi-index` and `n-rois`; `on-change` posts when the list of
   * top-1 classes changes. Default: `full-frame`.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ROI_SOURCE,
      g_param_spec_enum ("roi-source", "ROI source",
          "What is classified: the frame, or each upstream region of "
          "interest meta.", GST_TYPE_MNV3_ROI_SOURCE, DEFAULT_PROP_ROI_SOURCE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:object-class:
   *
   * With `roi-source=roi-meta`: comma-separated list of ROI types (the
   * roi_type of #GstVideoRegionOfInterestMeta, e.g. "person,car") to
   * classify; other ROIs are left alone. %NULL or "" classifies all.
   * Default: %NULL.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_OBJECT_CLASS,
      g_param_spec_string ("object-class", "Object class",
          "Comma-separated ROI types to classify with roi-source=roi-meta; "
          "empty for all.", DEFAULT_PROP_OBJECT_CLASS,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:min-roi-size:
   *
   * With `roi-source=roi-meta`: ROIs narrower or lower than this many
   * pixels are not classified (0 to any; 0 = no minimum). Default: 0.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MIN_ROI_SIZE,
      g_param_spec_uint ("min-roi-size", "Minimum ROI size",
          "Width and height in pixels an ROI needs to be classified with "
          "roi-source=roi-meta.", 0, G_MAXINT, DEFAULT_PROP_MIN_ROI_SIZE,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:model-instance-id:
   *
   * Elements of one process share one loaded model (its weights, packed
   * weights and labels; each keeps only its own activations) when they
   * load the same file (same device, inode, size and modification time)
   * with the same labels-file and label-offset, or when they name the same
   * model-instance-id (then the first element's file is used). Loaded
   * models are reference counted: the last element that stops frees it,
   * and changing model-file on one element never disturbs another.
   * Default: %NULL (the file's identity decides).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id",
          "Elements naming the same id share one loaded model (else the "
          "same file is shared); read when the model is loaded.",
          DEFAULT_PROP_MODEL_INSTANCE_ID, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:batch-timeout:
   *
   * Async mode: how long, in microseconds, a frame may wait for frames of
   * other elements sharing its model so that they run as one batch
   * (mnv3_graph_run_batch ()). 0 batches only what is already waiting and
   * never delays a frame. Read when the model is loaded.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT,
      g_param_spec_uint ("batch-timeout", "Batch timeout",
          "Async mode: microseconds a frame may wait for other streams' "
          "frames to batch with (0: never wait).", 0, 1000000,
          DEFAULT_PROP_BATCH_TIMEOUT, rw | GST_PARAM_MUTABLE_READY));

  /**
   * GstMnv3Classify:max-rois:
   *
   * With `roi-source=roi-meta`: at most this many accepted ROIs of a frame
   * are classified, in the order of their metas; the rest are counted in
   * #GstMnv3Classify:rois-skipped and get no result. Each ROI costs one
   * forward pass and (async) one input tensor (0.6 MB at 224x224), so this
   * bounds time and memory whatever upstream sends. 0: no limit.
   * Default: 16.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_ROIS,
      g_param_spec_uint ("max-rois", "Maximum ROIs",
          "At most this many ROIs per frame are classified with "
          "roi-source=roi-meta, the rest are skipped and counted in "
          "rois-skipped (0 = no limit).", 0, G_MAXUINT, DEFAULT_PROP_MAX_ROIS,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:rois-skipped:
   *
   * ROIs that `roi-source=roi-meta` accepted but did not classify because
   * their frame had more than #GstMnv3Classify:max-rois. Read-only.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ROIS_SKIPPED,
      g_param_spec_uint64 ("rois-skipped", "ROIs skipped",
          "Number of ROIs not classified because their frame had more than "
          "max-rois.", 0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:rois-outside:
   *
   * ROIs not classified because they lie entirely outside the frame (ROIs
   * partly outside are clipped to it). Read-only.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ROIS_OUTSIDE,
      g_param_spec_uint64 ("rois-outside", "ROIs outside",
          "Number of ROIs not classified because they lie entirely outside "
          "the frame.", 0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:overlay-top-k:
   *
   * Full frame: how many of the top-k results the overlay draws (0: all of
   * #GstMnv3Classify:top-k). ROI boxes always show their top-1. Default: 0.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_OVERLAY_TOP_K,
      g_param_spec_uint ("overlay-top-k", "Overlay top-k",
          "Number of results the full-frame overlay draws (0 = all of top-k).",
          0, G_MAXINT, DEFAULT_PROP_OVERLAY_TOP_K,
          rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:inferences-skipped:
   *
   * Inferences that were due (see #GstMnv3Classify:inference-interval) but
   * skipped because downstream QoS said the frame was late
   * (#GstMnv3Classify:qos). The frames passed anyway. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCES_SKIPPED,
      g_param_spec_uint64 ("inferences-skipped", "Inferences skipped",
          "Number of inferences skipped because QoS said the frame was late.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:inferences-replaced:
   *
   * Async mode: frames handed to the worker that a newer frame replaced in
   * the mailbox before the worker got to them. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCES_REPLACED,
      g_param_spec_uint64 ("inferences-replaced", "Inferences replaced",
          "Number of frames a newer frame replaced before the async worker "
          "classified them.", 0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:current-label:
   *
   * Top-1 label of the last inference, %NULL before the first one or when no
   * result passed the threshold. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CURRENT_LABEL,
      g_param_spec_string ("current-label", "Current label",
          "Top-1 label of the last inference, or NULL when there is none.",
          NULL, ro));

  /**
   * GstMnv3Classify:current-confidence:
   *
   * Softmax probability (0 to 1) of #GstMnv3Classify:current-label, 0 when
   * there is none. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CURRENT_CONFIDENCE,
      g_param_spec_double ("current-confidence", "Current confidence",
          "Probability (0 to 1) of the current top-1 label, 0 when there is "
          "none.", 0.0, 1.0, 0.0, ro));

  /**
   * GstMnv3Classify:frames-processed:
   *
   * Frames that went through the element since it was started. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_PROCESSED,
      g_param_spec_uint64 ("frames-processed", "Frames processed",
          "Number of frames that passed through the element since it started.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:frames-inferred:
   *
   * Frames the model ran on since the element was started. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FRAMES_INFERRED,
      g_param_spec_uint64 ("frames-inferred", "Frames inferred",
          "Number of frames the model ran on since the element started.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Classify:last-inference-us:
   *
   * Wall time of the last classification in microseconds: preprocessing,
   * forward pass, softmax and top-k. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LAST_INFERENCE_US,
      g_param_spec_int64 ("last-inference-us", "Last inference time",
          "Wall time of the last classification (preprocessing and forward "
          "pass) in microseconds.", 0, G_MAXINT64, 0, ro));

  /**
   * GstMnv3Classify:avg-inference-us:
   *
   * Mean of #GstMnv3Classify:last-inference-us over all inferences since the
   * element was started, in microseconds. Read-only.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AVG_INFERENCE_US,
      g_param_spec_double ("avg-inference-us", "Average inference time",
          "Mean wall time of a classification since the element started, in "
          "microseconds.", 0.0, G_MAXDOUBLE, 0.0, ro));

  /**
   * GstMnv3Classify:attribute-name:
   *
   * What this classifier's results are called, so that cascaded
   * classifiers (e.g. `attribute-name=color` and `attribute-name=make` on
   * the same car boxes) coexist: the name of the param structure added to
   * the #GstVideoRegionOfInterestMeta and the `attribute` field of the
   * "Mnv3Classification" custom meta (read one with
   * gst_mnv3_classification_get_by_attribute()). A valid #GstStructure name
   * (a letter, then letters, digits or "/-_.:+"); "" or %NULL restores the
   * default. Default: "classification".
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ATTRIBUTE_NAME,
      g_param_spec_string ("attribute-name", "Attribute name",
          "Name of the ROI meta's param structure and the custom meta's "
          "attribute field, to tell cascaded classifiers apart.",
          DEFAULT_PROP_ATTRIBUTE_NAME, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Classify:full-frame-roi:
   *
   * With `roi-source=full-frame`: whether the element adds its own
   * #GstVideoRegionOfInterestMeta over the classified area (with the
   * classification param). %FALSE: only the "Mnv3Classification" custom
   * meta is added, with `roi-id` -1, e.g. so that a second full-frame
   * classifier or a detector downstream does not see a box. Default: %TRUE.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FULL_FRAME_ROI,
      g_param_spec_boolean ("full-frame-roi", "Full-frame ROI",
          "Whether roi-source=full-frame adds a region of interest meta over "
          "the classified area.", DEFAULT_PROP_FULL_FRAME_ROI,
          rw | GST_PARAM_MUTABLE_PLAYING));
}
