/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The helpers every test suite shares, in one file (header only, so that a
 * test links nothing more). The environment they read is set once, in
 * tests/meson.build: MNV3_FIXTURES (tests/data), MNV3_SHARED_DATA_DEFAULT
 * (the real data folder; MNV3_SHARED_DATA overrides it), MNV3_BUILD_ROOT and
 * MNV3_SOURCE_ROOT.
 *
 * GStreamer helpers are there when <gst/check/gstharness.h> is included
 * first.
 */
#ifndef __MNV3_TEST_H__
#define __MNV3_TEST_H__

#include <glib.h>

/* The folder of the committed fixtures (tests/data/fixtures); aborts when
 * the test was not started by meson. Free with g_free (). */
static inline gchar *
mnv3_test_fixtures_dir (void)
{
  const gchar *dir = g_getenv ("MNV3_FIXTURES");

  if (dir == NULL)
    g_error ("MNV3_FIXTURES is not set (run the test through meson)");
  return g_build_filename (dir, "fixtures", NULL);
}

/* The path of fixture @name. Free with g_free (). */
static inline gchar *
mnv3_test_fixture_path (const gchar * name)
{
  gchar *dir = mnv3_test_fixtures_dir ();
  gchar *path = g_build_filename (dir, name, NULL);

  g_free (dir);
  return path;
}

/* The real data folder: MNV3_SHARED_DATA, else the one meson configured.
 * NULL when neither is set. */
static inline const gchar *
mnv3_test_shared_data (void)
{
  const gchar *d = g_getenv ("MNV3_SHARED_DATA");

  if (d == NULL || d[0] == '\0')
    d = g_getenv ("MNV3_SHARED_DATA_DEFAULT");
  return d;
}

#ifdef __GST_HARNESS_H__
/* The element of the launch line @desc in a harness (sink and src pads),
 * with its own bus in @bus when given. */
static inline GstHarness *
mnv3_test_harness_new (const gchar * desc, GstBus ** bus)
{
  GError *err = NULL;
  GstElement *el;
  GstHarness *h;

  el = gst_parse_launch (desc, &err);
  if (el == NULL)
    g_error ("%s: %s", desc, err ? err->message : "?");
  if (bus) {
    *bus = gst_bus_new ();
    gst_element_set_bus (el, *bus);
  }
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  return h;
}

/* Tears down a harness made with a bus: the queued messages hold references
 * to the element, which holds the bus, so flush them first. */
static inline void
mnv3_test_harness_teardown_bus (GstHarness * h, GstBus * bus)
{
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}
#endif /* __GST_HARNESS_H__ */

#endif /* __MNV3_TEST_H__ */
