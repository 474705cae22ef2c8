/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The async worker: one thread, its own graph, four jobs (filling, pending,
 * running, done) and a one-slot mailbox where the newest frame wins.
 *
 * Threads: the streaming thread acquires a free job, fills it and submits
 * it; the worker thread runs the pending job; the streaming thread takes
 * the finished one. gst_mnv3_worker_discard () may come from any thread
 * (FLUSH_START). start, stop, drain: the streaming thread or with streaming
 * stopped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "gstmnv3worker.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_worker_debug);
#define GST_CAT_DEFAULT gst_mnv3_worker_debug

/* the async worker's nice value: the video path goes first */
#define WORKER_NICE 10
#define N_JOBS 4                /* filling, pending, running, done */

struct _GstMnv3Worker
{
  GstObject *owner;             /* for the log only; not a reference */

  /* set by start () before the thread runs, read-only while it runs */
  Mnv3Model *model;
  Mnv3GraphOptions options;
  guint64 delay_us;
  GstMnv3WorkerRanFunc ran;
  gpointer ran_data;
  GThread *thread;              /* the streaming thread's: start/stop */

  GMutex lock;                  /* protects everything below */
  GCond cond;                   /* any change of the fields below */
  gboolean ready;               /* the thread has made its graph (or failed) */
  Mnv3Graph *graph;             /* made and freed by the thread */
  GError *error;                /* why it could not make it */
  gboolean quit;
  GstMnv3Job jobs[N_JOBS];
  GstMnv3Job *free_jobs[N_JOBS];
  guint n_free;
  GstMnv3Job *pending;          /* the mailbox: newest frame, not started */
  GstMnv3Job *busy;             /* being classified */
  GstMnv3Job *done;             /* finished, not picked up yet */
  guint64 generation;           /* bumped by discard and stop */
};

/**
 * gst_mnv3_worker_new:
 * @owner: (nullable): the object the worker logs for (not referenced)
 *
 * Returns: a stopped worker; its lock lives until gst_mnv3_worker_free ().
 */
GstMnv3Worker *
gst_mnv3_worker_new (GstObject * owner)
{
  GstMnv3Worker *w = g_new0 (GstMnv3Worker, 1);
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_worker_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
  w->owner = owner;
  g_mutex_init (&w->lock);
  g_cond_init (&w->cond);
  return w;
}

void
gst_mnv3_worker_free (GstMnv3Worker * w)
{
  if (w == NULL)
    return;
  gst_mnv3_worker_stop (w);
  g_mutex_clear (&w->lock);
  g_cond_clear (&w->cond);
  g_free (w);
}

/* The worker gives way to the streaming thread: it runs at a lower
 * priority (Linux: nice +10 for the thread, inherited by the pool threads its
 * graph starts), and with threads=0 its graph leaves one core to the video
 * path. */
static void
gst_mnv3_worker_lower_priority (GstMnv3Worker * w)
{
#ifdef __linux__
  if (setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), WORKER_NICE) != 0)
    GST_DEBUG_OBJECT (w->owner, "could not lower the worker's priority");
#endif
}

/* Puts a job back on the free list (lock held). */
static void
gst_mnv3_worker_put_free (GstMnv3Worker * w, GstMnv3Job * job)
{
  g_assert (w->n_free < N_JOBS);
  w->free_jobs[w->n_free++] = job;
}

/* Runs one job (lock not held) and hands it over (lock held again). */
static void
gst_mnv3_worker_run_one (GstMnv3Worker * w, GstMnv3Job * job)
{
  gint64 t_start = g_get_monotonic_time ();

  gst_mnv3_job_run (job, w->graph, NULL, NULL, FALSE, w->delay_us);
  job->inference_us += g_get_monotonic_time () - t_start;
  if (job->n_rois > 0 && w->ran)
    w->ran (job->inference_us, w->ran_data);

  g_mutex_lock (&w->lock);
  w->busy = NULL;
  if (job->generation == w->generation) {
    if (w->done)
      gst_mnv3_worker_put_free (w, w->done);
    w->done = job;
  } else {
    gst_mnv3_worker_put_free (w, job);
  }
  g_cond_broadcast (&w->cond);
}

static gpointer
gst_mnv3_worker_func (gpointer data)
{
  GstMnv3Worker *w = data;
  Mnv3GraphOptions options = w->options;
  Mnv3Graph *graph;

  gst_mnv3_worker_lower_priority (w);
  if (options.threads == 0)
    options.threads = MAX (1, (gint) g_get_num_processors () - 1);
  graph = mnv3_graph_new (w->model, &options, &w->error);

  g_mutex_lock (&w->lock);
  w->graph = graph;
  w->ready = TRUE;
  g_cond_broadcast (&w->cond);
  if (graph == NULL) {
    g_mutex_unlock (&w->lock);
    return NULL;
  }
  for (;;) {
    GstMnv3Job *job;

    while (!w->quit && w->pending == NULL)
      g_cond_wait (&w->cond, &w->lock);
    if (w->quit)
      break;
    job = w->pending;
    w->pending = NULL;
    w->busy = job;
    g_mutex_unlock (&w->lock);
    gst_mnv3_worker_run_one (w, job);   /* returns with the lock held */
  }
  w->graph = NULL;
  g_mutex_unlock (&w->lock);
  mnv3_graph_free (graph);
  return NULL;
}

/**
 * gst_mnv3_worker_start:
 * @options: the graph options; threads = 0 means one fewer than there are
 *     cores (the video path keeps one)
 * @delay_us: tests only, see gst_mnv3_job_run ()
 * @ran: (nullable): called after each job (statistics)
 *
 * Starts the thread and waits until it has made its graph.
 *
 * Returns: %FALSE with @error set when the thread or its graph failed.
 */
gboolean
gst_mnv3_worker_start (GstMnv3Worker * w, Mnv3Model * model,
    const Mnv3GraphOptions * options, guint num_classes, gsize input_len,
    guint64 delay_us, GstMnv3WorkerRanFunc ran, gpointer user_data,
    GError ** error)
{
  guint i;

  g_return_val_if_fail (w->thread == NULL, FALSE);
  w->model = model;
  w->options = *options;
  w->delay_us = delay_us;
  w->ran = ran;
  w->ran_data = user_data;
  for (i = 0; i < N_JOBS; i++) {
    gst_mnv3_job_init (&w->jobs[i], num_classes, input_len);
    w->free_jobs[i] = &w->jobs[i];
  }
  w->n_free = N_JOBS;
  w->pending = w->busy = w->done = NULL;
  w->quit = FALSE;
  w->ready = FALSE;
  w->thread = g_thread_try_new ("mnv3classify", gst_mnv3_worker_func, w, error);
  if (w->thread == NULL)
    return FALSE;

  g_mutex_lock (&w->lock);
  while (!w->ready)
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  if (w->graph == NULL) {
    g_thread_join (w->thread);
    w->thread = NULL;
    g_propagate_error (error, w->error);
    w->error = NULL;
    return FALSE;
  }
  GST_DEBUG_OBJECT (w->owner, "async worker started");
  return TRUE;
}

/**
 * gst_mnv3_worker_stop:
 *
 * Joins the thread (it finishes the inference it is running, at most one)
 * and frees its graph and jobs. Nothing when not running.
 */
void
gst_mnv3_worker_stop (GstMnv3Worker * w)
{
  guint i;

  if (w->thread == NULL)
    return;
  g_mutex_lock (&w->lock);
  w->quit = TRUE;
  w->generation++;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  g_thread_join (w->thread);
  w->thread = NULL;
  GST_DEBUG_OBJECT (w->owner, "async worker joined");

  g_mutex_lock (&w->lock);
  for (i = 0; i < N_JOBS; i++)
    gst_mnv3_job_clear (&w->jobs[i]);
  w->n_free = 0;
  w->pending = w->busy = w->done = NULL;
  g_mutex_unlock (&w->lock);
}

/* TRUE between a successful start and stop (the streaming thread's view). */
gboolean
gst_mnv3_worker_is_running (GstMnv3Worker * w)
{
  return w->thread != NULL;
}

/**
 * gst_mnv3_worker_acquire:
 *
 * Returns: a free job for the streaming thread to fill, stamped with the
 * current generation. There is always one: of the four, at most one is
 * pending, one running and one done.
 */
GstMnv3Job *
gst_mnv3_worker_acquire (GstMnv3Worker * w)
{
  GstMnv3Job *job;

  g_mutex_lock (&w->lock);
  g_assert (w->n_free > 0);
  job = w->free_jobs[--w->n_free];
  job->generation = w->generation;
  g_mutex_unlock (&w->lock);
  return job;
}

/**
 * gst_mnv3_worker_submit:
 *
 * Puts @job in the mailbox. A pending job not started yet is replaced: the
 * mailbox holds one frame, the newest.
 *
 * Returns: %TRUE when a pending job was replaced.
 */
gboolean
gst_mnv3_worker_submit (GstMnv3Worker * w, GstMnv3Job * job)
{
  gboolean replaced = FALSE;

  g_mutex_lock (&w->lock);
  if (w->pending) {
    gst_mnv3_worker_put_free (w, w->pending);
    replaced = TRUE;
  }
  w->pending = job;
  g_cond_broadcast (&w->cond);
  g_mutex_unlock (&w->lock);
  return replaced;
}

/**
 * gst_mnv3_worker_take:
 *
 * Returns: (nullable): the newest finished job, for the caller until it
 * gives it back with gst_mnv3_worker_release ().
 */
GstMnv3Job *
gst_mnv3_worker_take (GstMnv3Worker * w)
{
  GstMnv3Job *job;

  if (w->thread == NULL)
    return NULL;
  g_mutex_lock (&w->lock);
  job = w->done;
  w->done = NULL;
  g_mutex_unlock (&w->lock);
  return job;
}

void
gst_mnv3_worker_release (GstMnv3Worker * w, GstMnv3Job * job)
{
  g_mutex_lock (&w->lock);
  gst_mnv3_worker_put_free (w, job);
  g_mutex_unlock (&w->lock);
}

/**
 * gst_mnv3_worker_discard:
 *
 * Drops the pending and the finished-but-not-taken jobs, and makes the
 * running one stale: after a flush, a caps change or at stop, their results
 * belong to frames that no longer exist. Any thread.
 */
void
gst_mnv3_worker_discard (GstMnv3Worker * w)
{
  g_mutex_lock (&w->lock);
  w->generation++;
  if (w->pending) {
    gst_mnv3_worker_put_free (w, w->pending);
    w->pending = NULL;
  }
  if (w->done) {
    gst_mnv3_worker_put_free (w, w->done);
    w->done = NULL;
  }
  g_mutex_unlock (&w->lock);
}

/**
 * gst_mnv3_worker_drain:
 *
 * Waits until the worker has run the pending job, if any (EOS: at most one
 * inference). The result is then there for gst_mnv3_worker_take ().
 */
void
gst_mnv3_worker_drain (GstMnv3Worker * w)
{
  if (w->thread == NULL)
    return;
  g_mutex_lock (&w->lock);
  while (!w->quit && (w->pending != NULL || w->busy != NULL))
    g_cond_wait (&w->cond, &w->lock);
  g_mutex_unlock (&w->lock);
  GST_DEBUG_OBJECT (w->owner, "drained");
}
