/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The element's status and timing (see gstmnv3stats.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmnv3stats.h"

/* sync mode reports this many times the average inference time as latency,
 * and asks for a new LATENCY query when the estimate drifts by this share */
#define LATENCY_MARGIN 1.5
#define LATENCY_DRIFT 0.2

struct _GstMnv3Stats
{
  GMutex lock;                  /* protects everything below */

  /* status: what gst_mnv3_stats_get () returns (avg_inference_us is
   * computed from total_inference_us there) */
  GstMnv3StatsSnapshot st;
  gint64 total_inference_us;

  /* latency of sync mode */
  gboolean lat_cold_seen;       /* the first inference was left out */
  gboolean lat_valid;
  gdouble lat_avg_us;           /* running average of sync inferences */
  GstClockTime lat_reported;    /* what the last LATENCY query got from us */
  gboolean lat_msg_posted;      /* LATENCY message asked for, no query since */

  /* QoS */
  GstClockTime earliest_time;   /* skip inference on frames before */
};

GstMnv3Stats *
gst_mnv3_stats_new (void)
{
  GstMnv3Stats *s = g_new0 (GstMnv3Stats, 1);

  g_mutex_init (&s->lock);
  gst_mnv3_stats_reset (s);
  return s;
}

void
gst_mnv3_stats_free (GstMnv3Stats * s)
{
  if (s == NULL)
    return;
  g_mutex_clear (&s->lock);
  g_free (s);
}

/* Everything back to zero (start) but the current label, which
 * gst_mnv3_stats_set_current () clears. */
void
gst_mnv3_stats_reset (GstMnv3Stats * s)
{
  g_mutex_lock (&s->lock);
  s->st.frames_processed = 0;
  s->st.frames_inferred = 0;
  s->st.inferences_skipped = 0;
  s->st.inferences_replaced = 0;
  s->st.last_inference_us = 0;
  s->total_inference_us = 0;
  s->lat_cold_seen = FALSE;
  s->lat_valid = FALSE;
  s->lat_avg_us = 0.0;
  s->lat_reported = 0;
  s->lat_msg_posted = FALSE;
  s->earliest_time = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&s->lock);
}

void
gst_mnv3_stats_get (GstMnv3Stats * s, GstMnv3StatsSnapshot * out)
{
  g_mutex_lock (&s->lock);
  *out = s->st;
  out->avg_inference_us = s->st.frames_inferred ?
      (gdouble) s->total_inference_us / s->st.frames_inferred : 0.0;
  g_mutex_unlock (&s->lock);
}

/**
 * gst_mnv3_stats_inferred:
 * @us: the classification's wall time
 * @sync: it ran in the streaming thread (the latency estimate counts it)
 *
 * Counts one classification (any thread).
 *
 * Returns: %TRUE when the latency estimate drifted by more than 20 % from
 * the last LATENCY answer: the caller posts a LATENCY message (once until
 * the next query).
 */
gboolean
gst_mnv3_stats_inferred (GstMnv3Stats * s, gint64 us, gboolean sync)
{
  gboolean post = FALSE;

  g_mutex_lock (&s->lock);
  s->st.frames_inferred++;
  s->st.last_inference_us = us;
  s->total_inference_us += us;
  if (sync && !s->lat_cold_seen) {
    /* the first inference after start pays one-time costs (the arena's page
     * faults, the pool's threads starting): not a latency estimate */
    s->lat_cold_seen = TRUE;
  } else if (sync) {
    /* the running average the LATENCY answer is based on */
    if (s->lat_valid)
      s->lat_avg_us += 0.1 * ((gdouble) us - s->lat_avg_us);
    else
      s->lat_avg_us = us;
    s->lat_valid = TRUE;
    if (!s->lat_msg_posted) {
      gdouble est = LATENCY_MARGIN * s->lat_avg_us * GST_USECOND;
      gdouble rep = s->lat_reported;

      if (ABS (est - rep) > LATENCY_DRIFT * rep) {
        post = TRUE;
        s->lat_msg_posted = TRUE;
      }
    }
  }
  g_mutex_unlock (&s->lock);
  return post;
}

/* One frame passed; @skipped: its inference was skipped (QoS). */
void
gst_mnv3_stats_frame (GstMnv3Stats * s, gboolean skipped)
{
  g_mutex_lock (&s->lock);
  s->st.frames_processed++;
  if (skipped)
    s->st.inferences_skipped++;
  g_mutex_unlock (&s->lock);
}

/* A newer frame replaced one in the worker's mailbox. */
void
gst_mnv3_stats_replaced (GstMnv3Stats * s)
{
  g_mutex_lock (&s->lock);
  s->st.inferences_replaced++;
  g_mutex_unlock (&s->lock);
}

/* The current top-1 (NULL, 0: none); @label must outlive its use. */
void
gst_mnv3_stats_set_current (GstMnv3Stats * s, const gchar * label,
    gdouble confidence)
{
  g_mutex_lock (&s->lock);
  s->st.current_label = label;
  s->st.current_confidence = confidence;
  g_mutex_unlock (&s->lock);
}

/**
 * gst_mnv3_stats_latency:
 * @sync: the element runs sync (async adds nothing)
 *
 * The LATENCY query: 1.5 times the running average of the inference time
 * (0 before the first counted one). Remembered as the answer the drift is
 * measured against.
 */
GstClockTime
gst_mnv3_stats_latency (GstMnv3Stats * s, gboolean sync)
{
  GstClockTime ours = 0;

  g_mutex_lock (&s->lock);
  if (sync && s->lat_valid)
    ours = LATENCY_MARGIN * s->lat_avg_us * GST_USECOND;
  s->lat_reported = ours;
  s->lat_msg_posted = FALSE;
  g_mutex_unlock (&s->lock);
  return ours;
}

/**
 * gst_mnv3_stats_qos:
 *
 * A QOS event. As videodecoder does: when late, aim past the lateness plus
 * one more inference so that skipping lets the pipeline catch up.
 *
 * Returns: the new deadline (running time before which inference is
 * skipped), GST_CLOCK_TIME_NONE for none.
 */
GstClockTime
gst_mnv3_stats_qos (GstMnv3Stats * s, GstClockTime timestamp,
    GstClockTimeDiff diff)
{
  GstClockTime earliest;

  g_mutex_lock (&s->lock);
  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    s->earliest_time = GST_CLOCK_TIME_NONE;
  else if (diff > 0)
    s->earliest_time = timestamp + 2 * diff +
        (s->lat_valid ? s->lat_avg_us * GST_USECOND : 0);
  else if ((GstClockTimeDiff) timestamp + diff > 0)
    s->earliest_time = timestamp + diff;
  else
    s->earliest_time = GST_CLOCK_TIME_NONE;
  earliest = s->earliest_time;
  g_mutex_unlock (&s->lock);
  return earliest;
}

/* Forgets the QoS deadline (flush, caps change). */
void
gst_mnv3_stats_clear_qos (GstMnv3Stats * s)
{
  g_mutex_lock (&s->lock);
  s->earliest_time = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&s->lock);
}

/* TRUE when a frame at @running_time is late by the last QOS event. */
gboolean
gst_mnv3_stats_is_late (GstMnv3Stats * s, GstClockTime running_time)
{
  GstClockTime earliest;

  g_mutex_lock (&s->lock);
  earliest = s->earliest_time;
  g_mutex_unlock (&s->lock);
  return GST_CLOCK_TIME_IS_VALID (running_time)
      && GST_CLOCK_TIME_IS_VALID (earliest) && running_time <= earliest;
}
