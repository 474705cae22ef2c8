/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The element's status and timing: counters and the current label (read
 * back as properties), the latency estimate of sync mode, and the QoS
 * deadline. Its own lock: the streaming thread, the worker thread and the
 * application all touch it.
 */
#ifndef __GST_MNV3_STATS_H__
#define __GST_MNV3_STATS_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstMnv3StatsSnapshot:
 *
 * The status properties at one moment (gst_mnv3_stats_get ()).
 */
typedef struct {
  const gchar *current_label;   /* borrowed from the model's labels */
  gdouble current_confidence;
  guint64 frames_processed;
  guint64 frames_inferred;
  guint64 inferences_skipped;
  guint64 inferences_replaced;
  gint64 last_inference_us;
  gdouble avg_inference_us;
} GstMnv3StatsSnapshot;

typedef struct _GstMnv3Stats GstMnv3Stats;

GstMnv3Stats *gst_mnv3_stats_new          (void);
void          gst_mnv3_stats_free         (GstMnv3Stats * s);
void          gst_mnv3_stats_reset        (GstMnv3Stats * s);
void          gst_mnv3_stats_get          (GstMnv3Stats * s,
                                           GstMnv3StatsSnapshot * out);

gboolean      gst_mnv3_stats_inferred     (GstMnv3Stats * s, gint64 us,
                                           gboolean sync);
void          gst_mnv3_stats_frame        (GstMnv3Stats * s, gboolean skipped);
void          gst_mnv3_stats_replaced     (GstMnv3Stats * s);
void          gst_mnv3_stats_set_current  (GstMnv3Stats * s,
                                           const gchar * label,
                                           gdouble confidence);

GstClockTime  gst_mnv3_stats_latency      (GstMnv3Stats * s, gboolean sync);

GstClockTime  gst_mnv3_stats_qos          (GstMnv3Stats * s,
                                           GstClockTime timestamp,
                                           GstClockTimeDiff diff);
void          gst_mnv3_stats_clear_qos    (GstMnv3Stats * s);
gboolean      gst_mnv3_stats_is_late      (GstMnv3Stats * s,
                                           GstClockTime running_time);

G_END_DECLS

#endif /* __GST_MNV3_STATS_H__ */
