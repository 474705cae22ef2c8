/* libmnv3: persistent fork/join thread pool with dynamic chunk claiming
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A network runs ~60 parallel steps of 20-500 us each, so the fork/join
 * must cost a few microseconds, not the tens a condition-variable wakeup
 * costs. Workers therefore spin on the job word for a while after each job
 * (a pause instruction per poll) and only then sleep on a condition
 * variable, so an idle pool costs no CPU.
 *
 * Each step is cut into more chunks than threads and every thread,
 * the caller included, claims chunks from one atomic word until none are
 * left. A worker that is descheduled (the other core busy with video
 * decoding, say) therefore never holds the step up by more than the one
 * chunk it already claimed: the caller runs the rest itself. The job word
 * packs generation, chunk count and next chunk so that a late worker can
 * never claim a chunk of a job it did not see published.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <pthread.h>
#include "mnv3-private.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause ()
#else
#define CPU_RELAX() do { } while (0)
#endif

/* About 100-200 us of polling before an idle worker sleeps. */
#define SPIN_POLLS 20000
/* Polls before a waiting caller starts yielding its core. */
#define WAIT_POLLS 2000

/* job word: generation (32 bits) | n chunks (16) | next chunk (16) */
#define JOB(gen, n, next) (((uint64_t) (gen) << 32) | ((uint64_t) (n) << 16) \
    | (uint64_t) (next))
#define JOB_GEN(j) ((uint32_t) ((j) >> 32))
#define JOB_N(j) ((int) (((j) >> 16) & 0xffff))
#define JOB_NEXT(j) ((int) ((j) & 0xffff))

static atomic_int threads_started;

struct _Mnv3Pool
{
  int threads;
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  _Atomic uint64_t job;
  atomic_int done;              /* chunks finished in the current job */
  atomic_int sleepers;
  atomic_bool quit;
  atomic_bool running;          /* a caller is in mnv3_pool_run () */
  int shared_refs;              /* mnv3_pool_shared_ref (), under shared_lock */
  Mnv3PoolFn fn;
  void *ctx;
};

/* Claims and runs chunks of generation @gen until none are left. */
static void
run_chunks (Mnv3Pool * pool, uint32_t gen)
{
  for (;;) {
    uint64_t j = atomic_load_explicit (&pool->job, memory_order_acquire);
    if (JOB_GEN (j) != gen || JOB_NEXT (j) >= JOB_N (j))
      return;
    if (!atomic_compare_exchange_weak_explicit (&pool->job, &j, j + 1,
            memory_order_acq_rel, memory_order_acquire))
      continue;
    pool->fn (pool->ctx, JOB_NEXT (j), JOB_N (j));
    atomic_fetch_add_explicit (&pool->done, 1, memory_order_release);
  }
}

static void *
worker_main (void *data)
{
  Mnv3Pool *pool = data;
  uint32_t seen = 0;

  for (;;) {
    uint32_t gen;
    int polls = 0;
    while ((gen = JOB_GEN (atomic_load_explicit (&pool->job,
                    memory_order_acquire))) == seen &&
        !atomic_load_explicit (&pool->quit, memory_order_acquire)) {
      if (++polls < SPIN_POLLS) {
        CPU_RELAX ();
        continue;
      }
      pthread_mutex_lock (&pool->lock);
      atomic_fetch_add (&pool->sleepers, 1);
      while (JOB_GEN (atomic_load (&pool->job)) == seen &&
          !atomic_load (&pool->quit))
        pthread_cond_wait (&pool->wake, &pool->lock);
      atomic_fetch_sub (&pool->sleepers, 1);
      pthread_mutex_unlock (&pool->lock);
      polls = 0;
    }
    if (atomic_load_explicit (&pool->quit, memory_order_acquire))
      break;
    seen = gen;
    run_chunks (pool, gen);
  }
  return NULL;
}

Mnv3Pool *
mnv3_pool_new (int threads)
{
  Mnv3Pool *pool = g_new0 (Mnv3Pool, 1);
  if (threads < 1)
    threads = 1;
  pool->threads = threads;
  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->wake, NULL);
  atomic_init (&pool->job, 0);
  atomic_init (&pool->done, 0);
  atomic_init (&pool->sleepers, 0);
  atomic_init (&pool->quit, false);
  atomic_init (&pool->running, false);
  pool->workers = g_new0 (pthread_t, threads);
  for (int i = 1; i < threads; i++) {
    if (pthread_create (&pool->workers[i], NULL, worker_main, pool) == 0) {
      atomic_fetch_add (&threads_started, 1);
    } else {
      /* Run with the threads we got. */
      MNV3_WARNING ("could not start worker thread %d; using %d threads", i, i);
      pool->threads = i;
      break;
    }
  }
  return pool;
}

int
mnv3_pool_get_threads (const Mnv3Pool * pool)
{
  return pool->threads;
}

void
mnv3_pool_run (Mnv3Pool * pool, Mnv3PoolFn fn, void *ctx, int n_chunks)
{
  g_assert (n_chunks >= 1 && n_chunks < 0xffff);
  bool idle = false;
  /* A pool shared by several graphs runs one caller's step at a time; the
   * others run theirs alone rather than wait (the chunks are independent). */
  if (pool->threads == 1 || n_chunks == 1
      || !atomic_compare_exchange_strong (&pool->running, &idle, true)) {
    for (int i = 0; i < n_chunks; i++)
      fn (ctx, i, n_chunks);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  atomic_store_explicit (&pool->done, 0, memory_order_relaxed);
  uint32_t gen = JOB_GEN (atomic_load (&pool->job)) + 1;
  atomic_store_explicit (&pool->job, JOB (gen, n_chunks, 0),
      memory_order_seq_cst);
  if (atomic_load (&pool->sleepers) > 0) {
    pthread_mutex_lock (&pool->lock);
    pthread_cond_broadcast (&pool->wake);
    pthread_mutex_unlock (&pool->lock);
  }
  run_chunks (pool, gen);
  /* Only chunks a worker already claimed are left; if that worker lost its
   * core, yield ours so it can finish. */
  for (int polls = 0; atomic_load_explicit (&pool->done,
          memory_order_acquire) < n_chunks; polls++) {
    if (polls < WAIT_POLLS)
      CPU_RELAX ();
    else
      sched_yield ();
  }
  atomic_store_explicit (&pool->running, false, memory_order_release);
}

void
mnv3_pool_free (Mnv3Pool * pool)
{
  if (!pool)
    return;
  pthread_mutex_lock (&pool->lock);
  atomic_store (&pool->quit, true);
  pthread_cond_broadcast (&pool->wake);
  pthread_mutex_unlock (&pool->lock);
  for (int i = 1; i < pool->threads; i++) {
    pthread_join (pool->workers[i], NULL);
    atomic_fetch_sub (&threads_started, 1);
  }
  pthread_mutex_destroy (&pool->lock);
  pthread_cond_destroy (&pool->wake);
  g_free (pool->workers);
  g_free (pool);
}

/* The shared pools, by thread count. */
#define MAX_SHARED_THREADS 64
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static Mnv3Pool *shared_pools[MAX_SHARED_THREADS + 1];

Mnv3Pool *
mnv3_pool_shared_ref (int threads)
{
  threads = CLAMP (threads, 1, MAX_SHARED_THREADS);
  pthread_mutex_lock (&shared_lock);
  Mnv3Pool *pool = shared_pools[threads];
  if (!pool)
    pool = shared_pools[threads] = mnv3_pool_new (threads);
  pool->shared_refs++;
  pthread_mutex_unlock (&shared_lock);
  return pool;
}

void
mnv3_pool_shared_unref (Mnv3Pool * pool)
{
  if (!pool)
    return;
  pthread_mutex_lock (&shared_lock);
  g_assert (pool->shared_refs > 0);
  if (--pool->shared_refs == 0) {
    for (int i = 0; i <= MAX_SHARED_THREADS; i++)
      if (shared_pools[i] == pool)
        shared_pools[i] = NULL;
  } else {
    pool = NULL;
  }
  pthread_mutex_unlock (&shared_lock);
  mnv3_pool_free (pool);
}

int
mnv3_pool_threads_started (void)
{
  return atomic_load (&threads_started);
}
