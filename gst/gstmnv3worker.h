/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The async worker: its own graph, fed through a one-slot mailbox where
 * the newest frame wins, served by the process-wide scheduler.
 */
#ifndef __GST_MNV3_WORKER_H__
#define __GST_MNV3_WORKER_H__

#include <gst/gst.h>

#include "mnv3.h"
#include "gstmnv3job.h"

G_BEGIN_DECLS

/**
 * GstMnv3WorkerRanFunc:
 * @inference_us: preprocessing (in the streaming thread) + forward passes
 * @user_data: as given to gst_mnv3_worker_start ()
 *
 * Called in the worker thread after each job with at least one region, with
 * no lock of the worker held.
 */
typedef void (*GstMnv3WorkerRanFunc) (gint64 inference_us, gpointer user_data);

typedef struct _GstMnv3Worker GstMnv3Worker;

GstMnv3Worker *gst_mnv3_worker_new        (GstObject * owner);
void           gst_mnv3_worker_free       (GstMnv3Worker * w);

gboolean       gst_mnv3_worker_start      (GstMnv3Worker * w,
                                           Mnv3Model * model,
                                           const Mnv3GraphOptions * options,
                                           guint num_classes,
                                           gsize input_len,
                                           guint64 delay_us,
                                           GstMnv3WorkerRanFunc ran,
                                           gpointer user_data,
                                           GError ** error);
void           gst_mnv3_worker_stop       (GstMnv3Worker * w);
gboolean       gst_mnv3_worker_is_running (GstMnv3Worker * w);

GstMnv3Job    *gst_mnv3_worker_acquire    (GstMnv3Worker * w);
gboolean       gst_mnv3_worker_submit     (GstMnv3Worker * w, GstMnv3Job * job);
GstMnv3Job    *gst_mnv3_worker_take       (GstMnv3Worker * w);
void           gst_mnv3_worker_release    (GstMnv3Worker * w, GstMnv3Job * job);

void           gst_mnv3_worker_discard    (GstMnv3Worker * w);
void           gst_mnv3_worker_drain      (GstMnv3Worker * w);

void           gst_mnv3_worker_set_batch_timeout (GstMnv3Worker * w,
                                                  guint64 timeout_us);

/* the process-wide scheduler */
gint           gst_mnv3_sched_next        (const gboolean * ready, guint n,
                                           guint cursor);
guint          gst_mnv3_worker_sched_threads (void);
/* tests */
guint64        gst_mnv3_worker_get_served (GstMnv3Worker * w);
void           gst_mnv3_worker_sched_hold (gboolean hold);

G_END_DECLS

#endif /* __GST_MNV3_WORKER_H__ */
