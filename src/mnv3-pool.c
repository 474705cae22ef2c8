/* libmnv3: persistent fork/join thread pool
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A network runs ~60 parallel steps of 20-500 us each, so the fork/join
 * must cost a few microseconds, not the tens a condition-variable wakeup
 * costs. Workers therefore spin on a generation counter for a while after
 * each job (a short pause instruction per poll) and only then sleep on a
 * condition variable; the caller runs share 0 itself and spins until the
 * others are done. Between inferences (idle for more than the spin budget)
 * workers sleep, so an idle pool costs no CPU.
 */
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

/* About 100-200 us of polling before a worker sleeps. */
#define SPIN_POLLS 20000

struct _Mnv3Pool {
  int threads;
  pthread_t *workers;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  atomic_uint generation;       /* bumped for every job */
  atomic_int pending;           /* workers still running the current job */
  atomic_int sleepers;
  atomic_bool quit;
  Mnv3PoolFn fn;
  void *ctx;
};

typedef struct {
  Mnv3Pool *pool;
  int index;
} WorkerArg;

static void *
worker_main (void *data)
{
  WorkerArg *arg = data;
  Mnv3Pool *pool = arg->pool;
  int index = arg->index;
  unsigned seen = 0;
  g_free (arg);

  for (;;) {
    unsigned gen;
    int polls = 0;
    while ((gen = atomic_load_explicit (&pool->generation,
                memory_order_acquire)) == seen &&
        !atomic_load_explicit (&pool->quit, memory_order_acquire)) {
      if (++polls < SPIN_POLLS) {
        CPU_RELAX ();
        continue;
      }
      pthread_mutex_lock (&pool->lock);
      atomic_fetch_add (&pool->sleepers, 1);
      while (atomic_load (&pool->generation) == seen &&
          !atomic_load (&pool->quit))
        pthread_cond_wait (&pool->wake, &pool->lock);
      atomic_fetch_sub (&pool->sleepers, 1);
      pthread_mutex_unlock (&pool->lock);
      polls = 0;
    }
    if (atomic_load_explicit (&pool->quit, memory_order_acquire))
      break;
    seen = gen;
    pool->fn (pool->ctx, index, pool->threads);
    atomic_fetch_sub_explicit (&pool->pending, 1, memory_order_release);
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
  atomic_init (&pool->generation, 0);
  atomic_init (&pool->pending, 0);
  atomic_init (&pool->sleepers, 0);
  atomic_init (&pool->quit, false);
  pool->workers = g_new0 (pthread_t, threads);
  for (int i = 1; i < threads; i++) {
    WorkerArg *arg = g_new (WorkerArg, 1);
    arg->pool = pool;
    arg->index = i;
    if (pthread_create (&pool->workers[i], NULL, worker_main, arg) != 0) {
      /* Run with the threads we got. */
      g_free (arg);
      g_warning ("could not start worker thread %d; using %d threads", i, i);
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
mnv3_pool_run (Mnv3Pool * pool, Mnv3PoolFn fn, void *ctx)
{
  if (pool->threads == 1) {
    fn (ctx, 0, 1);
    return;
  }
  pool->fn = fn;
  pool->ctx = ctx;
  atomic_store_explicit (&pool->pending, pool->threads - 1,
      memory_order_relaxed);
  atomic_fetch_add_explicit (&pool->generation, 1, memory_order_release);
  if (atomic_load (&pool->sleepers) > 0) {
    pthread_mutex_lock (&pool->lock);
    pthread_cond_broadcast (&pool->wake);
    pthread_mutex_unlock (&pool->lock);
  }
  fn (ctx, 0, pool->threads);
  while (atomic_load_explicit (&pool->pending, memory_order_acquire) > 0)
    CPU_RELAX ();
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
  for (int i = 1; i < pool->threads; i++)
    pthread_join (pool->workers[i], NULL);
  pthread_mutex_destroy (&pool->lock);
  pthread_cond_destroy (&pool->wake);
  g_free (pool->workers);
  g_free (pool);
}
