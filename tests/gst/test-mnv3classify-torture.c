/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Torture tests of mnv3classify (issue 7): random state changes while
 * buffers flow, property changes from another thread while PLAYING, caps
 * changes every 10 frames over all formats, flushing-seek storms and EOS at
 * random points. They check that nothing crashes, hangs or posts an error;
 * every wait has a timeout that fails the test.
 *
 * The random sequences use fixed seeds, printed so a failure can be
 * replayed. MNV3_TORTURE_DIVISOR=N divides the iteration counts by N (the
 * counts are also divided by 10 when running under valgrind).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>

#include "mnv3-test.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H 1
#endif
#endif

/* the smallest fixture: 12 classes, input 64x64 */
#define FIXTURE_MODEL "small-min-tfsame-labels.safetensors"

/* how long any single wait may take before the test calls it a hang */
#define HANG_TIMEOUT (20 * GST_SECOND)

static guint
scaled (guint n)
{
  const gchar *env = g_getenv ("MNV3_TORTURE_DIVISOR");
  guint div = 1;

  if (env != NULL && *env != '\0')
    div = MAX (1, (guint) g_ascii_strtoull (env, NULL, 10));
#ifdef HAVE_VALGRIND_H
  else if (RUNNING_ON_VALGRIND)
    div = 10;
#endif
  return MAX (1, n / div);
}

static GstElement *
pipeline_new (const gchar * fmt, ...)
G_GNUC_PRINTF (1, 2);

     static GstElement *pipeline_new (const gchar * fmt, ...)
{
  GError *err = NULL;
  GstElement *pipeline;
  gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
  gchar *tail, *desc;
  va_list args;

  va_start (args, fmt);
  tail = g_strdup_vprintf (fmt, args);
  va_end (args);
  /* the pipeline description has a %M placeholder for the model path */
  desc = g_strdup (tail);
  {
    gchar **parts = g_strsplit (tail, "%M", -1);
    gchar *quoted = g_strdup_printf ("\"%s\"", model);

    g_free (desc);
    desc = g_strjoinv (quoted, parts);
    g_free (quoted);
    g_strfreev (parts);
  }
  pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "?");
  g_free (desc);
  g_free (tail);
  g_free (model);
  return pipeline;
}

/* Fails on an ERROR message waiting on the bus. */
static void
check_no_error (GstBus * bus, const gchar * where)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (msg != NULL) {
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    fail ("%s: error from %s: %s (%s)", where, GST_OBJECT_NAME (msg->src),
        err->message, dbg ? dbg : "");
  }
}

/* Sets the state and waits for it; a change still pending after
 * HANG_TIMEOUT is a hang. */
static void
change_state (GstElement * pipeline, GstState want, const gchar * where)
{
  GstStateChangeReturn ret;

  ret = gst_element_set_state (pipeline, want);
  fail_unless (ret != GST_STATE_CHANGE_FAILURE, "%s: set_state (%s) failed",
      where, gst_element_state_get_name (want));
  ret = gst_element_get_state (pipeline, NULL, NULL, HANG_TIMEOUT);
  fail_unless (ret != GST_STATE_CHANGE_FAILURE, "%s: state change to %s "
      "failed", where, gst_element_state_get_name (want));
  fail_unless (ret != GST_STATE_CHANGE_ASYNC, "%s: state change to %s hung "
      "(still ASYNC after %" GST_TIME_FORMAT ")", where,
      gst_element_state_get_name (want), GST_TIME_ARGS (HANG_TIMEOUT));
}

static void
pipeline_free (GstElement * pipeline, GstBus * bus, const gchar * where)
{
  change_state (pipeline, GST_STATE_NULL, where);
  check_no_error (bus, where);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

/* Counts buffers at a pad and remembers the newest PTS, for tests that wait
 * for the stream to move on. */
typedef struct
{
  GMutex lock;
  GCond cond;
  guint64 buffers;
  GstClockTime last_pts;
  /* caps test: buffers since the caps matched the wanted ones */
  gchar *want_format;
  gint want_w, want_h;
  gboolean caps_match;
  guint matching;
} Counter;

static void
counter_init (Counter * c)
{
  memset (c, 0, sizeof (*c));
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->last_pts = GST_CLOCK_TIME_NONE;
}

static void
counter_clear (Counter * c)
{
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c->want_format);
}

static GstPadProbeReturn
counter_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counter *c = user_data;

  g_mutex_lock (&c->lock);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

    c->buffers++;
    c->last_pts = GST_BUFFER_PTS (buf);
    if (c->caps_match)
      c->matching++;
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS && c->want_format != NULL) {
      GstCaps *caps;
      GstStructure *s;
      gint w = 0, h = 0;

      gst_event_parse_caps (ev, &caps);
      s = gst_caps_get_structure (caps, 0);
      gst_structure_get_int (s, "width", &w);
      gst_structure_get_int (s, "height", &h);
      c->caps_match = w == c->want_w && h == c->want_h
          && g_strcmp0 (gst_structure_get_string (s, "format"),
          c->want_format) == 0;
    }
  }
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
  return GST_PAD_PROBE_OK;
}

static void
counter_attach (Counter * c, GstElement * pipeline, const gchar * name,
    const gchar * pad_name)
{
  GstElement *el = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad;

  fail_unless (el != NULL, "no element %s", name);
  pad = gst_element_get_static_pad (el, pad_name);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, counter_probe, c, NULL);
  gst_object_unref (pad);
  gst_object_unref (el);
}

/* ---- (a) random state changes while buffers flow ---- */

GST_START_TEST (test_random_state_changes)
{
  static const GstState states[] = { GST_STATE_NULL, GST_STATE_READY,
    GST_STATE_PAUSED, GST_STATE_PLAYING
  };
  const guint32 seed = 20261128;
  GRand *rand = g_rand_new_with_seed (seed);
  guint per_round = scaled (250);
  guint round, total = 0;

  g_print ("random state changes: seed %u, %u per round, 4 rounds\n", seed,
      per_round);
  for (round = 0; round < 4; round++) {
    gboolean live = round & 1;
    const gchar *mode = (round & 2) ? "async" : "sync";
    GstElement *pipeline = pipeline_new ("videotestsrc is-live=%s "
        "pattern=ball ! video/x-raw,format=RGB,width=80,height=60,"
        "framerate=60/1 ! mnv3classify name=c mode=%s model-file=%%M ! "
        "fakesink sync=%s", live ? "true" : "false", mode,
        live ? "true" : "false");
    GstBus *bus = gst_element_get_bus (pipeline);
    Counter count;
    guint i;

    counter_init (&count);
    counter_attach (&count, pipeline, "c", "src");
    for (i = 0; i < per_round; i++) {
      GstState want = states[g_rand_int_range (rand, 0, 4)];
      gchar *where = g_strdup_printf ("seed %u round %u (live %d, %s) step "
          "%u", seed, round, live, mode, i);

      change_state (pipeline, want, where);
      /* let buffers flow (or not) for 0 to 10 ms */
      g_usleep (g_rand_int_range (rand, 0, 10000));
      check_no_error (bus, where);
      g_free (where);
      total++;
    }
    /* it still works: PLAYING again and buffers come out */
    {
      guint64 before;
      gint64 end = g_get_monotonic_time () + HANG_TIMEOUT / GST_USECOND;

      change_state (pipeline, GST_STATE_PLAYING, "final PLAYING");
      g_mutex_lock (&count.lock);
      before = count.buffers;
      while (count.buffers < before + 5)
        fail_unless (g_cond_wait_until (&count.cond, &count.lock, end),
            "round %u: no buffers after the final PLAYING", round);
      g_mutex_unlock (&count.lock);
    }
    g_print ("  round %u (live %d, %s): %" G_GUINT64_FORMAT " buffers out\n",
        round, live, mode, count.buffers);
    pipeline_free (pipeline, bus, "random state changes");
    counter_clear (&count);
  }
  fail_unless_equals_int (total, 4 * per_round);
  g_rand_free (rand);
}

GST_END_TEST;

/* ---- (b) property changes from another thread while PLAYING ---- */

typedef struct
{
  GstElement *el;
  volatile gint stop;
  guint32 seed;
  guint sets;
} PropThread;

static gpointer
prop_thread_func (gpointer data)
{
  PropThread *pt = data;
  GRand *rand = g_rand_new_with_seed (pt->seed);

  while (!g_atomic_int_get (&pt->stop)) {
    switch (g_rand_int_range (rand, 0, 7)) {
      case 0:
        g_object_set (pt->el, "top-k", g_rand_int_range (rand, 1, 20), NULL);
        break;
      case 1:
        g_object_set (pt->el, "threshold", (gfloat) g_rand_double (rand), NULL);
        break;
      case 2:
        g_object_set (pt->el, "overlay", g_rand_boolean (rand), NULL);
        break;
      case 3:
        g_object_set (pt->el, "inference-interval",
            g_rand_int_range (rand, 1, 6), NULL);
        break;
      case 4:
        gst_util_set_object_arg (G_OBJECT (pt->el), "smoothing",
            g_rand_boolean (rand) ? "ema" : "none");
        break;
      case 5:
        g_object_set (pt->el, "smoothing-time",
            g_rand_double_range (rand, 0.001, 2.0), NULL);
        break;
      default:{
        gchar *label = NULL;
        guint64 frames;

        g_object_get (pt->el, "current-label", &label, "frames-processed",
            &frames, NULL);
        g_free (label);
        break;
      }
    }
    pt->sets++;
    g_usleep (g_rand_int_range (rand, 0, 2000));
  }
  g_rand_free (rand);
  return NULL;
}

GST_START_TEST (test_property_changes_playing)
{
  const guint32 seed = 7007;
  guint round;

  g_print ("property changes while PLAYING: seed %u\n", seed);
  for (round = 0; round < 2; round++) {
    const gchar *mode = round ? "async" : "sync";
    GstElement *pipeline = pipeline_new ("videotestsrc is-live=true "
        "pattern=smpte ! video/x-raw,format=RGBA,width=96,height=72,"
        "framerate=60/1 ! mnv3classify name=c mode=%s message=on-change "
        "model-file=%%M ! fakesink sync=true", mode);
    GstBus *bus = gst_element_get_bus (pipeline);
    PropThread pt = { 0, };
    GThread *threads[2];
    guint64 frames = 0;
    guint t;

    pt.el = gst_bin_get_by_name (GST_BIN (pipeline), "c");
    pt.seed = seed + round;
    change_state (pipeline, GST_STATE_PLAYING, "property test PLAYING");
    /* two setter threads, plus the main thread reading */
    threads[0] = g_thread_new ("props0", prop_thread_func, &pt);
    {
      PropThread *pt2 = g_new0 (PropThread, 1);

      *pt2 = pt;
      pt2->seed = seed + 100 + round;
      threads[1] = g_thread_new ("props1", prop_thread_func, pt2);
      g_usleep (G_USEC_PER_SEC);
      g_atomic_int_set (&pt.stop, 1);
      g_atomic_int_set (&pt2->stop, 1);
      for (t = 0; t < 2; t++)
        g_thread_join (threads[t]);
      pt.sets += pt2->sets;
      g_free (pt2);
    }
    check_no_error (bus, "property changes");
    g_object_get (pt.el, "frames-processed", &frames, NULL);
    g_print ("  %s: %u property operations, %" G_GUINT64_FORMAT
        " frames processed\n", mode, pt.sets, frames);
    fail_unless (frames > 0, "%s: no frames processed", mode);
    fail_unless (pt.sets > 10);
    gst_object_unref (pt.el);
    pipeline_free (pipeline, bus, "property changes");
  }
}

GST_END_TEST;

/* ---- (c) caps changes every 10 frames over all formats ---- */

GST_START_TEST (test_caps_changes_all_formats)
{
  static const gchar *formats[] = { "RGB", "BGR", "RGBx", "BGRx", "xRGB",
    "xBGR", "RGBA", "BGRA", "ARGB", "ABGR", "I420", "YV12", "NV12", "NV21",
    "YUY2", "UYVY", "GRAY8"
  };
  static const gint sizes[][2] = { {64, 48}, {33, 25}, {200, 150}, {8, 6} };
  const guint n_formats = G_N_ELEMENTS (formats);
  const guint n_sizes = G_N_ELEMENTS (sizes);
  guint n_steps = MAX (n_formats, scaled (n_formats * n_sizes));
  guint round;

  g_print ("caps changes: %u formats x %u sizes, %u steps of 10 frames\n",
      n_formats, n_sizes, n_steps);
  for (round = 0; round < 2; round++) {
    const gchar *mode = round ? "async" : "sync";
    GstElement *pipeline = pipeline_new ("videotestsrc is-live=false "
        "pattern=snow ! video/x-raw,framerate=30/1 ! videoconvert ! "
        "videoscale ! capsfilter name=cf caps=video/x-raw,format=RGB,"
        "width=16,height=16 ! mnv3classify name=c mode=%s model-file=%%M ! "
        "fakesink sync=false", mode);
    GstElement *cf = gst_bin_get_by_name (GST_BIN (pipeline), "cf");
    GstBus *bus = gst_element_get_bus (pipeline);
    Counter count;
    guint i;

    counter_init (&count);
    counter_attach (&count, pipeline, "c", "sink");
    change_state (pipeline, GST_STATE_PLAYING, "caps test PLAYING");
    for (i = 0; i < n_steps; i++) {
      const gchar *fmt = formats[i % n_formats];
      gint w = sizes[i % n_sizes][0], h = sizes[i % n_sizes][1];
      gint64 end = g_get_monotonic_time () + HANG_TIMEOUT / GST_USECOND;
      GstCaps *caps = gst_caps_new_simple ("video/x-raw",
          "format", G_TYPE_STRING, fmt, "width", G_TYPE_INT, w,
          "height", G_TYPE_INT, h, NULL);

      g_mutex_lock (&count.lock);
      g_free (count.want_format);
      count.want_format = g_strdup (fmt);
      count.want_w = w;
      count.want_h = h;
      count.caps_match = FALSE;
      count.matching = 0;
      g_mutex_unlock (&count.lock);
      g_object_set (cf, "caps", caps, NULL);
      gst_caps_unref (caps);

      g_mutex_lock (&count.lock);
      while (count.matching < 10) {
        if (!g_cond_wait_until (&count.cond, &count.lock, end)) {
          g_mutex_unlock (&count.lock);
          check_no_error (bus, fmt);
          fail ("%s step %u: no 10 frames of %s %dx%d within %"
              GST_TIME_FORMAT, mode, i, fmt, w, h,
              GST_TIME_ARGS (HANG_TIMEOUT));
        }
      }
      g_mutex_unlock (&count.lock);
      check_no_error (bus, fmt);
    }
    g_print ("  %s: %" G_GUINT64_FORMAT " frames over %u caps\n", mode,
        count.buffers, n_steps);
    gst_object_unref (cf);
    pipeline_free (pipeline, bus, "caps changes");
    counter_clear (&count);
  }
}

GST_END_TEST;

/* ---- (d) flushing-seek storm on a non-live pipeline ---- */

GST_START_TEST (test_seek_storm)
{
  const guint32 seed = 5050;
  GRand *rand = g_rand_new_with_seed (seed);
  guint n = scaled (50);
  guint round;

  g_print ("seek storm: seed %u, %u flushing seeks per mode\n", seed, n);
  for (round = 0; round < 2; round++) {
    const gchar *mode = round ? "async" : "sync";
    GstElement *pipeline = pipeline_new ("videotestsrc is-live=false ! "
        "video/x-raw,format=I420,width=80,height=60,framerate=30/1 ! "
        "mnv3classify name=c mode=%s model-file=%%M ! fakesink name=sink "
        "sync=false", mode);
    GstBus *bus = gst_element_get_bus (pipeline);
    GstClockTime target = 0;
    Counter count;
    guint i;

    counter_init (&count);
    counter_attach (&count, pipeline, "sink", "sink");
    change_state (pipeline, round ? GST_STATE_PAUSED : GST_STATE_PLAYING,
        "seek test start");
    for (i = 0; i < n; i++) {
      GstSeekFlags flags = GST_SEEK_FLAG_FLUSH;

      target = g_rand_int_range (rand, 0, 600) * (GST_SECOND / 10);
      if (g_rand_boolean (rand))
        flags |= GST_SEEK_FLAG_ACCURATE;
      fail_unless (gst_element_seek_simple (pipeline, GST_FORMAT_TIME, flags,
              target), "%s seek %u to %" GST_TIME_FORMAT " refused", mode, i,
          GST_TIME_ARGS (target));
      /* sometimes wait for the flush to settle, mostly not */
      if (g_rand_int_range (rand, 0, 4) == 0)
        change_state (pipeline, GST_STATE_PLAYING, "seek storm");
      else
        g_usleep (g_rand_int_range (rand, 0, 5000));
      check_no_error (bus, "seek storm");
    }
    /* after the storm the stream continues from the last target */
    change_state (pipeline, GST_STATE_PLAYING, "after the seek storm");
    {
      gint64 end = g_get_monotonic_time () + HANG_TIMEOUT / GST_USECOND;

      g_mutex_lock (&count.lock);
      while (!GST_CLOCK_TIME_IS_VALID (count.last_pts)
          || count.last_pts < target + GST_SECOND)
        fail_unless (g_cond_wait_until (&count.cond, &count.lock, end),
            "%s: the stream did not continue after the last seek to %"
            GST_TIME_FORMAT " (last PTS %" GST_TIME_FORMAT ")", mode,
            GST_TIME_ARGS (target), GST_TIME_ARGS (count.last_pts));
      g_mutex_unlock (&count.lock);
    }
    g_print ("  %s: %" G_GUINT64_FORMAT " buffers\n", mode, count.buffers);
    pipeline_free (pipeline, bus, "seek storm");
    counter_clear (&count);
  }
  g_rand_free (rand);
}

GST_END_TEST;

/* ---- (e) EOS at random points ---- */

GST_START_TEST (test_eos_random_points)
{
  const guint32 seed = 4242;
  GRand *rand = g_rand_new_with_seed (seed);
  guint n = MAX (4, scaled (24));
  guint i;

  g_print ("EOS at random points: seed %u, %u pipelines\n", seed, n);
  for (i = 0; i < n; i++) {
    gboolean live = i & 1;
    const gchar *mode = (i & 2) ? "async" : "sync";
    guint wait_us = g_rand_int_range (rand, 0, 4) == 0 ? 0 :
        g_rand_int_range (rand, 0, 300000);
    /* half the pipelines end by themselves after a random number of
     * buffers, while the state change may still be going on */
    gint num_buffers = g_rand_boolean (rand) ? g_rand_int_range (rand, 1, 40)
        : -1;
    GstElement *pipeline = pipeline_new ("videotestsrc is-live=%s "
        "num-buffers=%d ! video/x-raw,format=NV12,width=96,height=64,"
        "framerate=30/1 ! mnv3classify mode=%s inference-interval=%u "
        "model-file=%%M ! fakesink sync=%s", live ? "true" : "false",
        num_buffers, mode, g_rand_int_range (rand, 1, 3),
        live ? "true" : "false");
    GstBus *bus = gst_element_get_bus (pipeline);
    gchar *where = g_strdup_printf ("seed %u pipeline %u (live %d, %s, "
        "EOS %s %d)", seed, i, live, mode,
        num_buffers > 0 ? "from the source after buffers" :
        "sent after us", num_buffers > 0 ? num_buffers : (gint) wait_us);
    GstMessage *msg;

    fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE, "%s: PLAYING failed", where);
    if (num_buffers < 0) {
      /* gst_element_send_event () on a bin takes its state lock: sending
       * it while an asynchronous state change is pending can deadlock in
       * GStreamer itself (the bin's async-done handler waits for that lock
       * while the source waits for preroll), so the app sends EOS only
       * once the pipeline is PLAYING, at a random point after that */
      change_state (pipeline, GST_STATE_PLAYING, where);
      g_usleep (wait_us);
      fail_unless (gst_element_send_event (pipeline, gst_event_new_eos ()),
          "%s: EOS event refused", where);
    }
    msg = gst_bus_timed_pop_filtered (bus, HANG_TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "%s: no EOS message within %" GST_TIME_FORMAT,
        where, GST_TIME_ARGS (HANG_TIMEOUT));
    fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS, "%s: %"
        GST_PTR_FORMAT, where, msg);
    gst_message_unref (msg);
    pipeline_free (pipeline, bus, where);
    g_free (where);
  }
  g_rand_free (rand);
}

GST_END_TEST;

static Suite *
mnv3classify_torture_suite (void)
{
  Suite *s = suite_create ("mnv3classify-torture");
  TCase *tc = tcase_create ("torture");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_random_state_changes);
  tcase_add_test (tc, test_property_changes_playing);
  tcase_add_test (tc, test_caps_changes_all_formats);
  tcase_add_test (tc, test_seek_storm);
  tcase_add_test (tc, test_eos_random_points);
  return s;
}

GST_CHECK_MAIN (mnv3classify_torture);
