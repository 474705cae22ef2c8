/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The async worker: per element, its own graph, four jobs (filling,
 * pending, running, done) and a one-slot mailbox where the newest frame
 * wins; per process, one scheduler: GST_MNV3_SCHED_THREADS threads (default
 * 1) that serve every element's mailbox, so that N elements never start N
 * threads.
 *
 * The scheduler takes the elements round-robin from where it last served
 * (no stream starves: a stream with a pending job waits for at most one job
 * of every other stream). With the job it picks it takes every other
 * pending full-frame job of elements whose graphs run the same model the
 * same way, up to GST_MNV3_BATCH_MAX (default 1: off), and runs them as one batch
 * (mnv3_graph_run_batch ()); with a batch-timeout it first waits up to that
 * long, from the picked job's submission, for the other streams' frames.
 *
 * Threads: the streaming thread acquires a free job, fills it and submits
 * it; a scheduler thread runs the pending job; the streaming thread takes
 * the finished one. gst_mnv3_worker_discard () may come from any thread
 * (FLUSH_START). start, stop, drain: the streaming thread or with streaming
 * stopped. One lock (the scheduler's) protects every worker's hand-over.
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

/* the scheduler threads' nice value: the video path goes first */
#define WORKER_NICE 10
#define N_JOBS 4                /* filling, pending, running, done */
#define MAX_BATCH 64

struct _GstMnv3Worker
{
  GstObject *owner;             /* for the log only; not a reference */

  /* set by start (), read-only while running */
  Mnv3Model *model;
  Mnv3GraphOptions options;
  guint64 delay_us;
  GstMnv3WorkerRanFunc ran;
  gpointer ran_data;
  Mnv3Graph *graph;             /* NULL: not running */
  guint64 batch_timeout_us;

  /* under the scheduler's lock */
  gboolean quit;
  GstMnv3Job jobs[N_JOBS];
  GstMnv3Job *free_jobs[N_JOBS];
  guint n_free;
  GstMnv3Job *pending;          /* the mailbox: newest frame, not started */
  gint64 pending_since;         /* monotonic us of its submission */
  GstMnv3Job *busy;             /* being classified */
  GstMnv3Job *done;             /* finished, not picked up yet */
  guint64 generation;           /* bumped by discard and stop */
  guint64 served;               /* jobs run (tests: fairness) */
};

/* The process-wide scheduler. */
static struct
{
  GMutex lock;
  GCond cond;                   /* any change of a worker or of the list */
  GPtrArray *workers;           /* the running ones */
  guint cursor;                 /* round-robin: where the next search starts */
  GThread **threads;
  guint n_threads;
  guint users;                  /* running workers: threads live while > 0 */
  gboolean quit;
  gboolean stopping;            /* the last worker is joining the threads */
  gboolean hold;                /* tests: pick nothing */
  guint batch_max;
} sched;

/**
 * gst_mnv3_sched_next:
 * @ready: @n flags, TRUE where a worker has a job to run
 * @cursor: where the search starts
 *
 * The round-robin policy: the first ready index at or after @cursor
 * (wrapping), or -1. The caller then sets the cursor after it.
 */
gint
gst_mnv3_sched_next (const gboolean * ready, guint n, guint cursor)
{
  guint i;

  for (i = 0; i < n; i++) {
    guint j = (cursor + i) % n;
    if (ready[j])
      return (gint) j;
  }
  return -1;
}

static void
gst_mnv3_worker_debug_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_INIT (gst_mnv3_worker_debug, "mnv3classify", 0,
        "MobileNetV3 classification element");
    g_once_init_leave (&done, 1);
  }
}

/**
 * gst_mnv3_worker_new:
 * @owner: (nullable): the object the worker logs for (not referenced)
 *
 * Returns: a stopped worker.
 */
GstMnv3Worker *
gst_mnv3_worker_new (GstObject * owner)
{
  GstMnv3Worker *w = g_new0 (GstMnv3Worker, 1);

  gst_mnv3_worker_debug_init ();
  w->owner = owner;
  return w;
}

void
gst_mnv3_worker_free (GstMnv3Worker * w)
{
  if (w == NULL)
    return;
  gst_mnv3_worker_stop (w);
  g_free (w);
}

/* The scheduler threads give way to the streaming threads (Linux: nice
 * +10 for the thread, GST_MNV3_SCHED_NICE to change it: on a machine that
 * other processes load, nice +10 leaves inference little CPU). */
static void
gst_mnv3_worker_lower_priority (void)
{
#ifdef __linux__
  const gchar *env = g_getenv ("GST_MNV3_SCHED_NICE");
  int nice = env ? (int) CLAMP (g_ascii_strtoll (env, NULL, 10), 0, 19) :
      WORKER_NICE;

  if (nice != 0
      && setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), nice) != 0)
    GST_DEBUG ("could not lower the scheduler's priority");
#endif
}

/* Puts a job back on the free list (lock held). */
static void
gst_mnv3_worker_put_free (GstMnv3Worker * w, GstMnv3Job * job)
{
  g_assert (w->n_free < N_JOBS);
  w->free_jobs[w->n_free++] = job;
}

/* A job that can join a batch of @a's: one full-frame region, a graph
 * that runs the same model the same way. */
static gboolean
gst_mnv3_worker_batchable (GstMnv3Worker * a, GstMnv3Worker * b)
{
  return a->model == b->model && a->options.threads == b->options.threads
      && a->options.fuse == b->options.fuse
      && a->options.float_activations == b->options.float_activations
      && g_strcmp0 (a->options.kernels, b->options.kernels) == 0
      && a->delay_us == 0 && b->delay_us == 0
      && b->pending && b->pending->n_rois == 1 && b->busy == NULL && !b->quit;
}

/* The next worker to serve (lock held), or NULL. */
static GstMnv3Worker *
gst_mnv3_sched_pick (void)
{
  guint n = sched.workers->len, i;
  gboolean ready[256];
  gint j;

  if (sched.hold || n == 0)
    return NULL;
  n = MIN (n, G_N_ELEMENTS (ready));
  for (i = 0; i < n; i++) {
    GstMnv3Worker *w = g_ptr_array_index (sched.workers, i);
    ready[i] = w->pending != NULL && w->busy == NULL && !w->quit;
  }
  j = gst_mnv3_sched_next (ready, n, sched.cursor % n);
  if (j < 0)
    return NULL;
  sched.cursor = (guint) j + 1;
  return g_ptr_array_index (sched.workers, j);
}

/* Moves @w's pending job to busy (lock held). */
static GstMnv3Job *
gst_mnv3_sched_take_pending (GstMnv3Worker * w)
{
  GstMnv3Job *job = w->pending;

  w->pending = NULL;
  w->busy = job;
  return job;
}

/* Hands a finished job over (lock held). */
static void
gst_mnv3_sched_finish (GstMnv3Worker * w, GstMnv3Job * job)
{
  w->busy = NULL;
  w->served++;
  if (job->generation == w->generation) {
    if (w->done)
      gst_mnv3_worker_put_free (w, w->done);
    w->done = job;
  } else {
    gst_mnv3_worker_put_free (w, job);
  }
}

static gpointer
gst_mnv3_sched_func (gpointer data)
{
  GstMnv3Worker *batch[MAX_BATCH];
  GstMnv3Job *jobs[MAX_BATCH];
  Mnv3Graph *graphs[MAX_BATCH];

  gst_mnv3_worker_lower_priority ();
  g_mutex_lock (&sched.lock);
  while (!sched.quit) {
    GstMnv3Worker *w = gst_mnv3_sched_pick ();
    guint n = 0, i;
    gint64 t_start;

    if (w == NULL) {
      g_cond_wait (&sched.cond, &sched.lock);
      continue;
    }
    batch[n++] = w;
    jobs[0] = gst_mnv3_sched_take_pending (w);
    if (jobs[0]->n_rois == 1 && w->delay_us == 0 && sched.batch_max > 1) {
      gint64 deadline = w->pending_since + (gint64) w->batch_timeout_us;
      for (;;) {
        /* the others, round-robin from the picked one */
        guint len = sched.workers->len;
        for (i = 1; i < len && n < sched.batch_max; i++) {
          GstMnv3Worker *o = g_ptr_array_index (sched.workers,
              (sched.cursor - 1 + i) % len);
          if (o != w && gst_mnv3_worker_batchable (w, o)) {
            batch[n] = o;
            jobs[n++] = gst_mnv3_sched_take_pending (o);
          }
        }
        if (n >= sched.batch_max || w->batch_timeout_us == 0 || w->quit
            || sched.quit || !g_cond_wait_until (&sched.cond, &sched.lock,
                deadline))
          break;
      }
    }
    g_mutex_unlock (&sched.lock);

    t_start = g_get_monotonic_time ();
    if (n == 1) {
      gst_mnv3_job_run (jobs[0], w->graph, NULL, NULL, FALSE, w->delay_us);
    } else {
      for (i = 0; i < n; i++)
        graphs[i] = batch[i]->graph;
      gst_mnv3_job_run_batch (jobs, graphs, n);
    }
    for (i = 0; i < n; i++) {
      jobs[i]->inference_us += g_get_monotonic_time () - t_start;
      if (jobs[i]->n_rois > 0 && batch[i]->ran)
        batch[i]->ran (jobs[i]->inference_us, batch[i]->ran_data);
    }
    if (n > 1)
      GST_LOG ("ran a batch of %u", n);

    g_mutex_lock (&sched.lock);
    for (i = 0; i < n; i++)
      gst_mnv3_sched_finish (batch[i], jobs[i]);
    g_cond_broadcast (&sched.cond);
  }
  g_mutex_unlock (&sched.lock);
  return NULL;
}

/* Adds @w to the scheduler, starting its threads with the first worker
 * (lock held). */
static gboolean
gst_mnv3_sched_add (GstMnv3Worker * w, GError ** error)
{
  if (sched.workers == NULL)
    sched.workers = g_ptr_array_new ();
  /* threads of a scheduler that is stopping must be gone before new ones
   * start (they would see quit cleared) */
  while (sched.stopping)
    g_cond_wait (&sched.cond, &sched.lock);
  if (sched.users == 0) {
    const gchar *env = g_getenv ("GST_MNV3_SCHED_THREADS");
    const gchar *bmax = g_getenv ("GST_MNV3_BATCH_MAX");
    guint n = env ? (guint) CLAMP (g_ascii_strtoll (env, NULL, 10), 1, 64) : 1;
    guint i;

    sched.batch_max = bmax ? (guint) CLAMP (g_ascii_strtoll (bmax, NULL, 10),
        1, MAX_BATCH) : 1;
    sched.quit = FALSE;
    sched.threads = g_new0 (GThread *, n);
    for (i = 0; i < n; i++) {
      sched.threads[i] = g_thread_try_new ("mnv3sched", gst_mnv3_sched_func,
          NULL, i == 0 ? error : NULL);
      if (sched.threads[i] == NULL)
        break;
    }
    sched.n_threads = i;
    if (i == 0) {
      g_clear_pointer (&sched.threads, g_free);
      return FALSE;
    }
    GST_DEBUG ("scheduler: %u threads, batches up to %u", i, sched.batch_max);
  }
  sched.users++;
  g_ptr_array_add (sched.workers, w);
  return TRUE;
}

/* Removes @w; the last worker stops the threads (lock held on entry and
 * return; released while joining). */
static void
gst_mnv3_sched_remove (GstMnv3Worker * w)
{
  GThread **threads;
  guint n, i;

  g_ptr_array_remove (sched.workers, w);
  if (--sched.users > 0)
    return;
  sched.quit = TRUE;
  sched.stopping = TRUE;
  g_cond_broadcast (&sched.cond);
  threads = sched.threads;
  n = sched.n_threads;
  sched.threads = NULL;
  sched.n_threads = 0;
  g_mutex_unlock (&sched.lock);
  for (i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_free (threads);
  g_mutex_lock (&sched.lock);
  sched.stopping = FALSE;
  g_cond_broadcast (&sched.cond);
}

/**
 * gst_mnv3_worker_start:
 * @options: the graph options; threads = 0 means one fewer than there are
 *     cores (the video path keeps one)
 * @delay_us: tests only, see gst_mnv3_job_run ()
 * @ran: (nullable): called after each job (statistics), in a scheduler
 *     thread, no lock held
 *
 * Makes the worker's graph (here, in the caller's thread) and hands the
 * worker to the process's scheduler.
 *
 * Returns: %FALSE with @error set when the graph or the scheduler failed.
 */
gboolean
gst_mnv3_worker_start (GstMnv3Worker * w, Mnv3Model * model,
    const Mnv3GraphOptions * options, guint num_classes, gsize input_len,
    guint64 delay_us, GstMnv3WorkerRanFunc ran, gpointer user_data,
    GError ** error)
{
  Mnv3Graph *graph;
  guint i;

  g_return_val_if_fail (w->graph == NULL, FALSE);
  w->model = model;
  w->options = *options;
  if (w->options.threads == 0)
    w->options.threads = MAX (1, (gint) g_get_num_processors () - 1);
  w->delay_us = delay_us;
  w->ran = ran;
  w->ran_data = user_data;
  graph = mnv3_graph_new (model, &w->options, error);
  if (graph == NULL)
    return FALSE;

  g_mutex_lock (&sched.lock);
  for (i = 0; i < N_JOBS; i++) {
    gst_mnv3_job_init (&w->jobs[i], num_classes, input_len);
    w->free_jobs[i] = &w->jobs[i];
  }
  w->n_free = N_JOBS;
  w->pending = w->busy = w->done = NULL;
  w->quit = FALSE;
  w->served = 0;
  w->graph = graph;
  if (!gst_mnv3_sched_add (w, error)) {
    w->graph = NULL;
    for (i = 0; i < N_JOBS; i++)
      gst_mnv3_job_clear (&w->jobs[i]);
    g_mutex_unlock (&sched.lock);
    mnv3_graph_free (graph);
    return FALSE;
  }
  g_mutex_unlock (&sched.lock);
  GST_DEBUG_OBJECT (w->owner, "async worker started");
  return TRUE;
}

/**
 * gst_mnv3_worker_set_batch_timeout:
 *
 * How long the scheduler may hold this worker's job to batch it with other
 * streams' (0: never waits). Before start.
 */
void
gst_mnv3_worker_set_batch_timeout (GstMnv3Worker * w, guint64 timeout_us)
{
  w->batch_timeout_us = timeout_us;
}

/**
 * gst_mnv3_worker_stop:
 *
 * Waits for the job the scheduler is running for it (at most one, or one
 * batch), leaves the scheduler and frees the graph and jobs. Nothing when
 * not running.
 */
void
gst_mnv3_worker_stop (GstMnv3Worker * w)
{
  Mnv3Graph *graph;
  guint i;

  if (w->graph == NULL)
    return;
  g_mutex_lock (&sched.lock);
  w->quit = TRUE;
  w->generation++;
  g_cond_broadcast (&sched.cond);
  while (w->busy != NULL)
    g_cond_wait (&sched.cond, &sched.lock);
  gst_mnv3_sched_remove (w);
  for (i = 0; i < N_JOBS; i++)
    gst_mnv3_job_clear (&w->jobs[i]);
  w->n_free = 0;
  w->pending = w->busy = w->done = NULL;
  graph = w->graph;
  w->graph = NULL;
  g_mutex_unlock (&sched.lock);
  mnv3_graph_free (graph);
  GST_DEBUG_OBJECT (w->owner, "async worker stopped");
}

/* TRUE between a successful start and stop (the streaming thread's view). */
gboolean
gst_mnv3_worker_is_running (GstMnv3Worker * w)
{
  return w->graph != NULL;
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

  g_mutex_lock (&sched.lock);
  g_assert (w->n_free > 0);
  job = w->free_jobs[--w->n_free];
  job->generation = w->generation;
  g_mutex_unlock (&sched.lock);
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

  g_mutex_lock (&sched.lock);
  if (w->pending) {
    gst_mnv3_worker_put_free (w, w->pending);
    replaced = TRUE;
  } else {
    w->pending_since = g_get_monotonic_time ();
  }
  w->pending = job;
  g_cond_broadcast (&sched.cond);
  g_mutex_unlock (&sched.lock);
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

  if (w->graph == NULL)
    return NULL;
  g_mutex_lock (&sched.lock);
  job = w->done;
  w->done = NULL;
  g_mutex_unlock (&sched.lock);
  return job;
}

void
gst_mnv3_worker_release (GstMnv3Worker * w, GstMnv3Job * job)
{
  g_mutex_lock (&sched.lock);
  gst_mnv3_worker_put_free (w, job);
  g_mutex_unlock (&sched.lock);
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
  g_mutex_lock (&sched.lock);
  w->generation++;
  if (w->pending) {
    gst_mnv3_worker_put_free (w, w->pending);
    w->pending = NULL;
  }
  if (w->done) {
    gst_mnv3_worker_put_free (w, w->done);
    w->done = NULL;
  }
  g_mutex_unlock (&sched.lock);
}

/**
 * gst_mnv3_worker_drain:
 *
 * Waits until the scheduler has run the pending job, if any (EOS: at most
 * one inference of this element). The result is then there for
 * gst_mnv3_worker_take ().
 */
void
gst_mnv3_worker_drain (GstMnv3Worker * w)
{
  if (w->graph == NULL)
    return;
  g_mutex_lock (&sched.lock);
  while (!w->quit && !sched.hold && (w->pending != NULL || w->busy != NULL))
    g_cond_wait (&sched.cond, &sched.lock);
  g_mutex_unlock (&sched.lock);
  GST_DEBUG_OBJECT (w->owner, "drained");
}

/* Tests: the jobs the scheduler has run for @w since its start. */
guint64
gst_mnv3_worker_get_served (GstMnv3Worker * w)
{
  guint64 n;

  g_mutex_lock (&sched.lock);
  n = w->served;
  g_mutex_unlock (&sched.lock);
  return n;
}

/* Tests: while @hold, the scheduler starts no job. */
void
gst_mnv3_worker_sched_hold (gboolean hold)
{
  g_mutex_lock (&sched.lock);
  sched.hold = hold;
  g_cond_broadcast (&sched.cond);
  g_mutex_unlock (&sched.lock);
}

/* Threads the scheduler runs (0 when no worker runs). */
guint
gst_mnv3_worker_sched_threads (void)
{
  guint n;

  g_mutex_lock (&sched.lock);
  n = sched.n_threads;
  g_mutex_unlock (&sched.lock);
  return n;
}
