/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GstHarness tests of the mnv3classify element with the committed fixture
 * models: caps, metas, messages, overlay, errors and odd streams.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "mnv3classify-meta.h"
#include "mnv3-test.h"

/* 10 classes, input 100x100, no embedded labels */
#define FIXTURE_MODEL "large-sym-f32.safetensors"
#define FIXTURE_CLASSES 10
/* 12 classes with embedded labels, the first one "background" */
#define FIXTURE_LABELS_MODEL "small-min-tfsame-labels.safetensors"

static const gchar *formats[] = {
  "RGB", "BGR", "RGBx", "BGRx", "xRGB", "xBGR", "RGBA", "BGRA", "ARGB",
  "ABGR", "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8",
};

/* A frame of @format filled with reproducible noise (seed printed on
 * failure by the caller's messages). */
static GstBuffer *
make_frame (const gchar * format, gint width, gint height, guint32 seed,
    GstClockTime pts)
{
  GstVideoInfo info;
  GstBuffer *buf;
  GstMapInfo map;
  GRand *rand = g_rand_new_with_seed (seed);
  gsize i;

  fail_unless (gst_video_info_set_format (&info,
          gst_video_format_from_string (format), width, height));
  buf = gst_buffer_new_and_alloc (GST_VIDEO_INFO_SIZE (&info));
  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = g_rand_int_range (rand, 0, 256);
  gst_buffer_unmap (buf, &map);
  g_rand_free (rand);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static gchar *
caps_string (const gchar * format, gint width, gint height)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1", format, width, height);
}

/* The element on its own, with @props (gst-launch syntax), a bus to watch,
 * inside a harness. The harness answers LATENCY queries as a live source
 * would, so mode=auto would run async: these tests ask for the
 * deterministic sync mode unless @props names a mode. */
static GstHarness *
harness_new (const gchar * model, const gchar * props, GstBus ** bus)
{
  gchar *path = mnv3_test_fixture_path (model);
  gchar *desc = g_strdup_printf ("mnv3classify model-file=\"%s\" %s %s",
      path, props && (g_str_has_prefix (props, "mode=")
          || strstr (props, " mode=")) ? "" : "mode=sync",
      props ? props : "");
  GstHarness *h = mnv3_test_harness_new (desc, bus);

  g_free (desc);
  g_free (path);
  return h;
}

static void
harness_set_caps (GstHarness * h, const gchar * format, gint w, gint height)
{
  gchar *caps = caps_string (format, w, height);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
}

/* The events the harness receives before the first buffer: stream-start,
 * caps, segment. Returns the caps (owned by the caller). */
static GstCaps *
pull_preamble (GstHarness * h)
{
  GstCaps *caps = NULL;
  GstEvent *ev;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_CAPS) {
      GstCaps *c;

      gst_event_parse_caps (ev, &c);
      gst_caps_replace (&caps, c);
    }
    gst_event_unref (ev);
  }
  return caps;
}

/* Checks every field and type of the custom meta against the DESIGN
 * contract and that the ROI meta tells the same; returns the structure. */
static const GstStructure *
check_metas (GstBuffer * buf, guint expect_n, gint width, gint height)
{
  GstCustomMeta *meta = gst_mnv3_classification_get (buf);
  GstVideoRegionOfInterestMeta *roi;
  const GstStructure *s, *param;
  const GValue *labels, *ids, *scores, *rect;
  const gchar *const *strv;
  const gchar *top_label;
  gint top_id, id, x, y, w, hh;
  gdouble top_score, score, conf;
  guint i, n;

  fail_unless (meta != NULL, "no Mnv3Classification meta");
  s = gst_custom_meta_get_structure (meta);
  fail_unless (gst_structure_has_name (s, GST_MNV3_CLASSIFICATION_NAME));

  labels = gst_structure_get_value (s, GST_MNV3_FIELD_LABELS);
  ids = gst_structure_get_value (s, GST_MNV3_FIELD_CLASS_IDS);
  scores = gst_structure_get_value (s, GST_MNV3_FIELD_SCORES);
  fail_unless (labels && G_VALUE_HOLDS (labels, G_TYPE_STRV));
  fail_unless (ids && GST_VALUE_HOLDS_ARRAY (ids));
  fail_unless (scores && GST_VALUE_HOLDS_ARRAY (scores));
  strv = g_value_get_boxed (labels);
  n = gst_value_array_get_size (scores);
  fail_unless_equals_int (n, expect_n);
  fail_unless_equals_int (gst_value_array_get_size (ids), n);
  fail_unless_equals_int (g_strv_length ((gchar **) strv), n);
  fail_unless_equals_int (gst_mnv3_classification_get_n_results (meta), n);

  for (i = 0; i < n; i++) {
    score = g_value_get_double (gst_value_array_get_value (scores, i));
    id = g_value_get_int (gst_value_array_get_value (ids, i));
    fail_unless (score >= 0.0 && score <= 1.0);
    if (i > 0)
      fail_unless (score <= g_value_get_double (gst_value_array_get_value
              (scores, i - 1)), "scores not best first");
    fail_unless_equals_float (gst_mnv3_classification_get_score (meta, i),
        score);
    fail_unless_equals_int (gst_mnv3_classification_get_class_id (meta, i), id);
    fail_unless_equals_string (gst_mnv3_classification_get_label (meta, i),
        strv[i]);
  }

  fail_unless (gst_structure_get (s, GST_MNV3_FIELD_TOP_LABEL, G_TYPE_STRING,
          &top_label, NULL));
  g_free ((gchar *) top_label);
  top_label = gst_structure_get_string (s, GST_MNV3_FIELD_TOP_LABEL);
  fail_unless (gst_structure_get_int (s, GST_MNV3_FIELD_TOP_CLASS_ID, &top_id));
  fail_unless (gst_structure_get_double (s, GST_MNV3_FIELD_TOP_SCORE,
          &top_score));
  if (n > 0) {
    fail_unless_equals_string (top_label, strv[0]);
    fail_unless_equals_int (top_id,
        g_value_get_int (gst_value_array_get_value (ids, 0)));
    fail_unless_equals_float (top_score,
        g_value_get_double (gst_value_array_get_value (scores, 0)));
  } else {
    fail_unless_equals_string (top_label, "");
    fail_unless_equals_int (top_id, -1);
  }
  fail_unless (gst_structure_has_field_typed (s, GST_MNV3_FIELD_FRESH,
          G_TYPE_BOOLEAN));
  fail_unless (gst_structure_has_field_typed (s, GST_MNV3_FIELD_AGE_FRAMES,
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, GST_MNV3_FIELD_SOURCE_PTS,
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (s, GST_MNV3_FIELD_INFERENCE_US,
          G_TYPE_INT64));
  fail_unless (gst_structure_has_field_typed (s, GST_MNV3_FIELD_MODEL,
          G_TYPE_STRING));
  rect = gst_structure_get_value (s, GST_MNV3_FIELD_ROI);
  fail_unless (rect && GST_VALUE_HOLDS_ARRAY (rect));
  fail_unless_equals_int (gst_value_array_get_size (rect), 4);
  x = g_value_get_int (gst_value_array_get_value (rect, 0));
  y = g_value_get_int (gst_value_array_get_value (rect, 1));
  w = g_value_get_int (gst_value_array_get_value (rect, 2));
  hh = g_value_get_int (gst_value_array_get_value (rect, 3));
  fail_unless (x >= 0 && y >= 0 && w >= 1 && hh >= 1);
  fail_unless (x + w <= width && y + hh <= height,
      "roi %d,%d %dx%d outside %dx%d", x, y, w, hh, width, height);

  /* the ROI meta says the same thing */
  roi = gst_buffer_get_video_region_of_interest_meta_id (buf, 0);
  fail_unless (roi != NULL, "no GstVideoRegionOfInterestMeta");
  fail_unless_equals_int (roi->x, x);
  fail_unless_equals_int (roi->y, y);
  fail_unless_equals_int (roi->w, w);
  fail_unless_equals_int (roi->h, hh);
  fail_unless_equals_string (g_quark_to_string (roi->roi_type),
      n > 0 ? top_label : "unknown");
  param =
      gst_video_region_of_interest_meta_get_param (roi,
      GST_MNV3_ROI_PARAM_NAME);
  fail_unless (param != NULL);
  fail_unless_equals_string (gst_structure_get_string (param,
          GST_MNV3_ROI_PARAM_LABEL), top_label);
  fail_unless (gst_structure_get_int (param, GST_MNV3_ROI_PARAM_LABEL_ID, &id));
  fail_unless_equals_int (id, top_id);
  fail_unless (gst_structure_get_double (param, GST_MNV3_ROI_PARAM_CONFIDENCE,
          &conf));
  fail_unless_equals_float (conf, top_score);
  fail_unless (gst_value_compare (gst_structure_get_value (param,
              GST_MNV3_FIELD_SCORES), scores) == GST_VALUE_EQUAL);
  fail_unless (gst_value_compare (gst_structure_get_value (param,
              GST_MNV3_FIELD_CLASS_IDS), ids) == GST_VALUE_EQUAL);

  return s;
}

static gboolean
buffers_equal (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;
  gboolean eq;

  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  eq = ma.size == mb.size && memcmp (ma.data, mb.data, ma.size) == 0;
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  return eq;
}

GST_START_TEST (test_caps_every_format)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstHarness *h = harness_new (FIXTURE_MODEL, "overlay=false", NULL);
    gchar *in = caps_string (formats[i], 33, 17);
    GstCaps *incaps = gst_caps_from_string (in), *outcaps;
    GstBuffer *buf;

    GST_INFO ("format %s", formats[i]);
    gst_harness_set_src_caps (h, gst_caps_ref (incaps));
    buf = gst_harness_push_and_pull (h, make_frame (formats[i], 33, 17, i, 0));
    fail_unless (buf != NULL, "%s: no buffer", formats[i]);
    outcaps = pull_preamble (h);
    fail_unless (outcaps != NULL, "%s: no caps downstream", formats[i]);
    fail_unless (gst_caps_is_equal (incaps, outcaps), "%s: %" GST_PTR_FORMAT
        " became %" GST_PTR_FORMAT, formats[i], incaps, outcaps);
    check_metas (buf, 5, 33, 17);

    gst_buffer_unref (buf);
    gst_caps_unref (incaps);
    gst_caps_unref (outcaps);
    g_free (in);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_overlay_false_keeps_pixels)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstHarness *h = harness_new (FIXTURE_MODEL, "overlay=false", NULL);
    GstBuffer *in = make_frame (formats[i], 320, 240, 100 + i, 0);
    GstBuffer *copy = gst_buffer_copy_deep (in);
    GstBuffer *out;

    harness_set_caps (h, formats[i], 320, 240);
    out = gst_harness_push_and_pull (h, in);
    fail_unless (buffers_equal (out, copy), "%s: pixels changed", formats[i]);
    fail_unless (gst_buffer_get_video_overlay_composition_meta (out) == NULL);
    gst_buffer_unref (out);
    gst_buffer_unref (copy);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* With downstream accepting GstVideoOverlayCompositionMeta the drawing is
 * attached and the pixels are untouched; without, it is blended, and only
 * pixels inside the composition's rectangles change. */
static void
check_overlay_box (const gchar * format)
{
  GstHarness *ha, *hb;
  GstBuffer *in, *copy, *out_a, *out_b;
  GstVideoOverlayCompositionMeta *cmeta;
  GstVideoOverlayComposition *comp;
  GstVideoInfo info;
  GstVideoFrame fa, fb;
  gint x0 = G_MAXINT, y0 = G_MAXINT, x1 = 0, y1 = 0, px, py;
  guint r, changed = 0, outside = 0, c;

  in = make_frame (format, 320, 240, 7, 0);
  copy = gst_buffer_copy_deep (in);

  ha = harness_new (FIXTURE_MODEL, NULL, NULL);
  gst_harness_add_propose_allocation_meta (ha,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  harness_set_caps (ha, format, 320, 240);
  out_a = gst_harness_push_and_pull (ha, gst_buffer_ref (in));
  cmeta = gst_buffer_get_video_overlay_composition_meta (out_a);
  fail_unless (cmeta != NULL, "%s: overlay not attached", format);
  fail_unless (buffers_equal (out_a, copy), "%s: attached overlay but "
      "pixels changed", format);
  comp = cmeta->overlay;
  fail_unless (gst_video_overlay_composition_n_rectangles (comp) > 0);
  for (r = 0; r < gst_video_overlay_composition_n_rectangles (comp); r++) {
    gint rx, ry;
    guint rw, rh;

    gst_video_overlay_rectangle_get_render_rectangle
        (gst_video_overlay_composition_get_rectangle (comp, r), &rx, &ry, &rw,
        &rh);
    x0 = MIN (x0, rx);
    y0 = MIN (y0, ry);
    x1 = MAX (x1, rx + (gint) rw);
    y1 = MAX (y1, ry + (gint) rh);
  }
  fail_unless (x0 >= 0 && y0 >= 0 && x1 <= 320 && y1 <= 240);
  fail_unless (x1 - x0 < 320 || y1 - y0 < 240, "overlay covers the frame");

  hb = harness_new (FIXTURE_MODEL, NULL, NULL);
  harness_set_caps (hb, format, 320, 240);
  gst_buffer_unref (in);
  out_b = gst_harness_push_and_pull (hb, gst_buffer_copy_deep (copy));
  fail_unless (gst_buffer_get_video_overlay_composition_meta (out_b) == NULL);

  fail_unless (gst_video_info_set_format (&info,
          gst_video_format_from_string (format), 320, 240));
  fail_unless (gst_video_frame_map (&fa, &info, copy, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, &info, out_b, GST_MAP_READ));
  /* compare every component plane; a subsampled plane's pixel covers
   * (1 << shift) frame pixels, and blending may touch its neighbours */
  for (c = 0; c < GST_VIDEO_INFO_N_COMPONENTS (&info); c++) {
    gint cw = GST_VIDEO_FRAME_COMP_WIDTH (&fa, c);
    gint ch = GST_VIDEO_FRAME_COMP_HEIGHT (&fa, c);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (&fa, c);
    gint ss = GST_VIDEO_FRAME_COMP_STRIDE (&fa, c);
    const guint8 *a = GST_VIDEO_FRAME_COMP_DATA (&fa, c);
    const guint8 *b = GST_VIDEO_FRAME_COMP_DATA (&fb, c);
    gint sx = 320 / cw, sy = 240 / ch;

    for (py = 0; py < ch; py++) {
      for (px = 0; px < cw; px++) {
        if (a[py * ss + px * ps] == b[py * ss + px * ps])
          continue;
        changed++;
        if (px * sx + sx <= x0 - sx || px * sx >= x1 + sx ||
            py * sy + sy <= y0 - sy || py * sy >= y1 + sy)
          outside++;
      }
    }
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  GST_INFO ("%s: box %d,%d-%d,%d, %u samples changed, %u outside", format, x0,
      y0, x1, y1, changed, outside);
  fail_unless (changed > 0, "%s: blended overlay changed nothing", format);
  fail_unless_equals_int (outside, 0);

  gst_buffer_unref (out_a);
  gst_buffer_unref (out_b);
  gst_buffer_unref (copy);
  gst_harness_teardown (ha);
  gst_harness_teardown (hb);
}

GST_START_TEST (test_overlay_only_inside_box)
{
  check_overlay_box ("RGB");
  check_overlay_box ("BGRx");
  check_overlay_box ("I420");
  check_overlay_box ("NV12");
  check_overlay_box ("YUY2");
  check_overlay_box ("GRAY8");
}

GST_END_TEST;

/* The rendered composition is reused while the result and the frame size
 * stay the same, and rendered again when the size changes. */
GST_START_TEST (test_overlay_cached)
{
  GstHarness *h = harness_new (FIXTURE_MODEL, "inference-interval=3", NULL);
  GstVideoOverlayComposition *comp[4];
  GstBuffer *out[4];
  guint i;

  gst_harness_add_propose_allocation_meta (h,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  harness_set_caps (h, "I420", 320, 240);
  for (i = 0; i < 4; i++) {
    GstVideoOverlayCompositionMeta *m;

    if (i == 3)
      harness_set_caps (h, "I420", 640, 480);
    out[i] = gst_harness_push_and_pull (h, make_frame ("I420", i < 3 ? 320 :
            640, i < 3 ? 240 : 480, i, i * GST_SECOND));
    m = gst_buffer_get_video_overlay_composition_meta (out[i]);
    fail_unless (m != NULL);
    comp[i] = m->overlay;
  }
  fail_unless (comp[1] == comp[0] && comp[2] == comp[0],
      "composition rendered again for an unchanged result");
  fail_unless (comp[3] != comp[0], "composition not rendered for a new size");
  for (i = 0; i < 4; i++)
    gst_buffer_unref (out[i]);
  gst_harness_teardown (h);
}

GST_END_TEST;

static void
check_start_fails (const gchar * model_file, GQuark domain, gint code)
{
  GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (el != NULL);
  g_object_set (el, "model-file", model_file, NULL);
  gst_element_set_bus (el, bus);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no ERROR message for %s", model_file);
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("%s: %s (%s)", model_file, err->message, dbg);
  fail_unless (g_error_matches (err, domain, code), "%s: got %s %d: %s",
      model_file, g_quark_to_string (err->domain), err->code, err->message);
  fail_unless (strstr (err->message, model_file) != NULL,
      "error does not name the file: %s", err->message);
  fail_unless (dbg != NULL && dbg[0] != '\0');

  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_element_set_bus (el, NULL);
  gst_object_unref (bus);
  gst_object_unref (el);
}

GST_START_TEST (test_missing_or_corrupt_model)
{
  gchar *dir = g_dir_make_tmp ("mnv3-test-XXXXXX", NULL);
  gchar *missing = g_build_filename (dir, "missing.safetensors", NULL);
  gchar *garbage = g_build_filename (dir, "garbage.safetensors", NULL);
  gchar *truncated = g_build_filename (dir, "truncated.safetensors", NULL);
  gchar *good = mnv3_test_fixture_path (FIXTURE_MODEL), *contents;
  gsize len;

  fail_unless (g_file_set_contents (garbage, "this is not a model\n", -1,
          NULL));
  fail_unless (g_file_get_contents (good, &contents, &len, NULL));
  fail_unless (g_file_set_contents (truncated, contents, len / 2, NULL));

  check_start_fails (missing, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  check_start_fails (garbage, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED);
  check_start_fails (truncated, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED);

  g_unlink (garbage);
  g_unlink (truncated);
  g_rmdir (dir);
  g_free (contents);
  g_free (good);
  g_free (missing);
  g_free (garbage);
  g_free (truncated);
  g_free (dir);
}

GST_END_TEST;

/* model-file unset: the default model is looked up in $MNV3_MODEL_DIR */
GST_START_TEST (test_default_model_dir)
{
  gchar *dir = g_dir_make_tmp ("mnv3-test-XXXXXX", NULL);
  gchar *link = g_build_filename (dir, "mnv3-default.safetensors", NULL);
  gchar *good = mnv3_test_fixture_path (FIXTURE_MODEL);
  GstElement *el;

  fail_unless (symlink (good, link) == 0);
  g_setenv ("MNV3_MODEL_DIR", dir, TRUE);
  el = gst_element_factory_make ("mnv3classify", NULL);
  fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_object_unref (el);
  g_unsetenv ("MNV3_MODEL_DIR");

  g_unlink (link);
  g_rmdir (dir);
  g_free (good);
  g_free (link);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_meta_survives_tee_and_queue)
{
  gchar *path = mnv3_test_fixture_path (FIXTURE_MODEL);
  gchar *desc = g_strdup_printf ("mnv3classify mode=sync model-file=\"%s\" "
      "overlay=false ! tee ! queue ! videoconvert ! capsfilter caps=video/x-raw,format=I420",
      path);
  GstHarness *h = gst_harness_new_parse (desc);
  GstBuffer *in, *out;
  GstCustomMeta *meta;
  guint i;

  harness_set_caps (h, "RGBx", 64, 48);
  for (i = 0; i < 3; i++) {
    in = make_frame ("RGBx", 64, 48, 40 + i, i * GST_SECOND / 30);
    out = gst_harness_push_and_pull (h, in);
    fail_unless (out != NULL);
    meta = gst_mnv3_classification_get (out);
    fail_unless (meta != NULL, "meta lost in tee/queue/videoconvert");
    fail_unless_equals_int (gst_mnv3_classification_get_n_results (meta), 5);
    fail_unless (gst_mnv3_classification_is_fresh (meta));
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_tiny_frames)
{
  static const gint sizes[][2] = { {1, 1}, {2, 2}, {3, 7}, {7, 3}, {1, 480} };
  guint i, f;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    for (f = 0; f < G_N_ELEMENTS (formats); f++) {
      GstHarness *h = harness_new (FIXTURE_MODEL, NULL, NULL);
      gint w = sizes[i][0], hh = sizes[i][1];
      GstBuffer *out;

      GST_INFO ("%s %dx%d", formats[f], w, hh);
      harness_set_caps (h, formats[f], w, hh);
      out = gst_harness_push_and_pull (h, make_frame (formats[f], w, hh, f, 0));
      fail_unless (out != NULL);
      check_metas (out, 5, w, hh);
      gst_buffer_unref (out);
      gst_harness_teardown (h);
    }
  }
}

GST_END_TEST;

static void
get_roi (GstBuffer * buf, gint r[4])
{
  GstCustomMeta *meta = gst_mnv3_classification_get (buf);
  const GValue *v;
  guint i;

  fail_unless (meta != NULL);
  v = gst_structure_get_value (gst_custom_meta_get_structure (meta),
      GST_MNV3_FIELD_ROI);
  for (i = 0; i < 4; i++)
    r[i] = g_value_get_int (gst_value_array_get_value (v, i));
}

GST_START_TEST (test_caps_change)
{
  GstHarness *h = harness_new (FIXTURE_MODEL, "crop-mode=stretch", NULL);
  GstBuffer *out;
  gint r[4];

  harness_set_caps (h, "NV12", 640, 480);
  out = gst_harness_push_and_pull (h, make_frame ("NV12", 640, 480, 1, 0));
  check_metas (out, 5, 640, 480);
  get_roi (out, r);
  fail_unless (r[0] == 0 && r[1] == 0 && r[2] == 640 && r[3] == 480);
  gst_buffer_unref (out);

  harness_set_caps (h, "NV12", 1280, 720);
  out = gst_harness_push_and_pull (h, make_frame ("NV12", 1280, 720, 2,
          GST_SECOND / 30));
  check_metas (out, 5, 1280, 720);
  get_roi (out, r);
  fail_unless (r[0] == 0 && r[1] == 0 && r[2] == 1280 && r[3] == 720);
  fail_unless (gst_mnv3_classification_is_fresh (gst_mnv3_classification_get
          (out)));
  gst_buffer_unref (out);

  /* and to another format and the default crop */
  g_object_set (h->element, "crop-mode", 0, NULL);
  harness_set_caps (h, "YUY2", 1280, 720);
  out = gst_harness_push_and_pull (h, make_frame ("YUY2", 1280, 720, 3,
          2 * GST_SECOND / 30));
  check_metas (out, 5, 1280, 720);
  get_roi (out, r);
  GST_INFO ("center crop of 1280x720: %d,%d %dx%d", r[0], r[1], r[2], r[3]);
  fail_unless (r[2] == 720 && r[3] == 720 && ABS (r[0] - 280) <= 1
      && r[1] == 0);
  gst_buffer_unref (out);

  gst_harness_teardown (h);
}

GST_END_TEST;

/* Padded strides (GstVideoMeta) give the same result as a packed frame. */
GST_START_TEST (test_padded_strides)
{
  const gchar *fmts[] = { "RGB", "RGBx", "I420", "NV12", "YUY2", "GRAY8" };
  guint f;

  for (f = 0; f < G_N_ELEMENTS (fmts); f++) {
    GstHarness *h = harness_new (FIXTURE_MODEL, "overlay=false top-k=10",
        NULL);
    GstVideoInfo info, pinfo;
    GstVideoFrame src, dst;
    GstBuffer *packed, *padded, *o1, *o2;
    GstVideoAlignment align;
    GstCustomMeta *m1, *m2;
    guint i;

    fail_unless (gst_video_info_set_format (&info,
            gst_video_format_from_string (fmts[f]), 37, 21));
    pinfo = info;
    gst_video_alignment_reset (&align);
    align.padding_right = 27;
    align.padding_top = 3;
    align.padding_bottom = 2;
    align.padding_left = 0;
    fail_unless (gst_video_info_align (&pinfo, &align));
    /* gst_video_info_align keeps width; data starts after padding_top */

    packed = make_frame (fmts[f], 37, 21, 5, 0);
    padded = gst_buffer_new_and_alloc (GST_VIDEO_INFO_SIZE (&pinfo));
    gst_buffer_memset (padded, 0, 0xa5, GST_VIDEO_INFO_SIZE (&pinfo));
    gst_buffer_add_video_meta_full (padded, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_INFO_FORMAT (&pinfo), 37, 21, GST_VIDEO_INFO_N_PLANES
        (&pinfo), pinfo.offset, pinfo.stride);
    fail_unless (gst_video_frame_map (&src, &info, packed, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&dst, &info, padded, GST_MAP_WRITE));
    fail_unless (gst_video_frame_copy (&dst, &src));
    gst_video_frame_unmap (&src);
    gst_video_frame_unmap (&dst);

    harness_set_caps (h, fmts[f], 37, 21);
    o1 = gst_harness_push_and_pull (h, packed);
    o2 = gst_harness_push_and_pull (h, padded);
    m1 = gst_mnv3_classification_get (o1);
    m2 = gst_mnv3_classification_get (o2);
    fail_unless (m1 && m2);
    for (i = 0; i < FIXTURE_CLASSES; i++) {
      fail_unless_equals_int (gst_mnv3_classification_get_class_id (m1, i),
          gst_mnv3_classification_get_class_id (m2, i));
      fail_unless (fabs (gst_mnv3_classification_get_score (m1, i) -
              gst_mnv3_classification_get_score (m2, i)) < 1e-6,
          "%s: padded stride changes score %u", fmts[f], i);
    }
    gst_buffer_unref (o1);
    gst_buffer_unref (o2);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_inference_interval)
{
  GstHarness *h = harness_new (FIXTURE_MODEL, "inference-interval=3", NULL);
  const gboolean fresh[] = { TRUE, FALSE, FALSE, TRUE, FALSE, FALSE, TRUE };
  const guint64 age[] = { 0, 1, 2, 0, 1, 2, 0 };
  const guint64 src[] = { 0, 0, 0, 3, 3, 3, 6 };
  guint64 v, processed, inferred;
  guint i;

  harness_set_caps (h, "I420", 64, 48);
  for (i = 0; i < G_N_ELEMENTS (fresh); i++) {
    GstBuffer *out = gst_harness_push_and_pull (h, make_frame ("I420", 64, 48,
            i, i * GST_MSECOND * 40));
    GstCustomMeta *meta = gst_mnv3_classification_get (out);
    const GstStructure *s = check_metas (out, 5, 64, 48);

    fail_unless_equals_int (gst_mnv3_classification_is_fresh (meta), fresh[i]);
    fail_unless (gst_structure_get_uint64 (s, GST_MNV3_FIELD_AGE_FRAMES, &v));
    fail_unless_equals_uint64 (v, age[i]);
    fail_unless (gst_structure_get_uint64 (s, GST_MNV3_FIELD_SOURCE_PTS, &v));
    fail_unless_equals_uint64 (v, src[i] * GST_MSECOND * 40);
    gst_buffer_unref (out);
  }
  g_object_get (h->element, "frames-processed", &processed,
      "frames-inferred", &inferred, NULL);
  fail_unless_equals_uint64 (processed, 7);
  fail_unless_equals_uint64 (inferred, 3);
  gst_harness_teardown (h);
}

GST_END_TEST;

static guint
count_element_messages (GstBus * bus, GstStructure ** last)
{
  GstMessage *msg;
  guint n = 0;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, GST_MNV3_MESSAGE_NAME)) {
      n++;
      if (last) {
        if (*last)
          gst_structure_free (*last);
        *last = gst_structure_copy (s);
      }
    }
    gst_message_unref (msg);
  }
  return n;
}

GST_START_TEST (test_messages)
{
  GstBus *bus;
  GstHarness *h;
  GstStructure *last = NULL;
  GstBuffer *frame, *out;
  GstClockTime ts;
  gint64 us;
  guint i;

  /* every-result: one message per inference, with all the fields */
  h = harness_new (FIXTURE_MODEL, "message=every-result top-k=3", &bus);
  harness_set_caps (h, "RGB", 40, 30);
  for (i = 0; i < 4; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30,
                i, i * GST_SECOND)));
  fail_unless_equals_int (count_element_messages (bus, &last), 4);
  fail_unless (gst_structure_get_clock_time (last, GST_MNV3_MESSAGE_TIMESTAMP,
          &ts));
  fail_unless_equals_uint64 (ts, 3 * GST_SECOND);
  fail_unless (gst_structure_get_clock_time (last,
          GST_MNV3_MESSAGE_RUNNING_TIME, &ts));
  fail_unless_equals_uint64 (ts, 3 * GST_SECOND);
  fail_unless (gst_structure_get_int64 (last, GST_MNV3_FIELD_INFERENCE_US,
          &us));
  fail_unless (us > 0);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (last, GST_MNV3_FIELD_LABELS)), 3);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (last, GST_MNV3_FIELD_CLASS_IDS)), 3);
  fail_unless_equals_int (gst_value_array_get_size (gst_structure_get_value
          (last, GST_MNV3_FIELD_SCORES)), 3);
  gst_structure_free (last);
  last = NULL;
  mnv3_test_harness_teardown_bus (h, bus);

  /* on-change: the same frame four times gives one message */
  h = harness_new (FIXTURE_MODEL, NULL, &bus);
  harness_set_caps (h, "RGB", 40, 30);
  frame = make_frame ("RGB", 40, 30, 9, 0);
  for (i = 0; i < 4; i++) {
    out = gst_harness_push_and_pull (h, gst_buffer_copy_deep (frame));
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (count_element_messages (bus, NULL), 1);
  mnv3_test_harness_teardown_bus (h, bus);

  /* none */
  h = harness_new (FIXTURE_MODEL, "message=none", &bus);
  harness_set_caps (h, "RGB", 40, 30);
  for (i = 0; i < 3; i++)
    gst_buffer_unref (gst_harness_push_and_pull (h,
            gst_buffer_copy_deep (frame)));
  fail_unless_equals_int (count_element_messages (bus, NULL), 0);
  mnv3_test_harness_teardown_bus (h, bus);
  gst_buffer_unref (frame);
}

GST_END_TEST;

GST_START_TEST (test_threshold_empty_result)
{
  GstHarness *h = harness_new (FIXTURE_MODEL, "threshold=1.0", NULL);
  GstBuffer *out;
  gchar *label = NULL;

  harness_set_caps (h, "RGB", 40, 30);
  out = gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30, 1, 0));
  check_metas (out, 0, 40, 30);
  g_object_get (h->element, "current-label", &label, NULL);
  fail_unless (label == NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gchar *
write_labels (guint n, const gchar * prefix)
{
  GString *s = g_string_new (NULL);
  gchar *path;
  gint fd;
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%s %u\n", prefix, i);
  fd = g_file_open_tmp ("mnv3-labels-XXXXXX.txt", &path, NULL);
  fail_unless (fd >= 0);
  close (fd);
  fail_unless (g_file_set_contents (path, s->str, -1, NULL));
  g_string_free (s, TRUE);
  return path;
}

/* Checks the labels of the results in @buf: output 0 is "background" when
 * @offset is 1, output i is @name_fmt with line number i - @offset for the
 * @n_lines lines of the list, "class i" beyond it. */
static void
check_labels (GstBuffer * buf, const gchar * name_fmt, gint offset,
    gint n_lines)
{
  GstCustomMeta *meta = gst_mnv3_classification_get (buf);
  guint i, n = gst_mnv3_classification_get_n_results (meta);

  for (i = 0; i < n; i++) {
    gint id = gst_mnv3_classification_get_class_id (meta, i);
    gchar *want;

    if (offset == 1 && id == 0)
      want = g_strdup ("background");
    else if (id - offset < n_lines)
      want = g_strdup_printf (name_fmt, id - offset);
    else
      want = g_strdup_printf ("class %d", id);
    fail_unless_equals_string (gst_mnv3_classification_get_label (meta, i),
        want);
    g_free (want);
  }
}

GST_START_TEST (test_labels)
{
  gchar *short_list = write_labels (3, "short");
  gchar *nine = write_labels (FIXTURE_CLASSES - 1, "full");
  gchar *props;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GstBuffer *out;

  /* too short: WARNING, class numbers for the rest */
  props = g_strdup_printf ("labels-file=\"%s\" top-k=10 label-offset=none",
      short_list);
  h = harness_new (FIXTURE_MODEL, props, &bus);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no WARNING for a short labels file");
  gst_message_unref (msg);
  harness_set_caps (h, "RGB", 40, 30);
  out = gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30, 3, 0));
  check_labels (out, "short %d", 0, 3);
  gst_buffer_unref (out);
  mnv3_test_harness_teardown_bus (h, bus);
  g_free (props);

  /* one fewer label than outputs: auto skips background, no warning */
  props = g_strdup_printf ("labels-file=\"%s\" top-k=10", nine);
  h = harness_new (FIXTURE_MODEL, props, &bus);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  harness_set_caps (h, "RGB", 40, 30);
  out = gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30, 3, 0));
  check_labels (out, "full %d", 1, FIXTURE_CLASSES - 1);
  gst_buffer_unref (out);
  mnv3_test_harness_teardown_bus (h, bus);
  g_free (props);

  /* no labels at all: class numbers */
  h = harness_new (FIXTURE_MODEL, "top-k=10", NULL);
  harness_set_caps (h, "RGB", 40, 30);
  out = gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30, 3, 0));
  check_labels (out, NULL, 0, 0);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  /* a missing labels file is an error */
  {
    GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
    gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);

    g_object_set (el, "model-file", model, "labels-file",
        "/nonexistent/labels.txt", NULL);
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    gst_element_set_state (el, GST_STATE_NULL);
    gst_object_unref (el);
    g_free (model);
  }

  /* a list that fits no mapping is an error under label-offset=auto
   * (issue 12: no surprises), a SETTINGS error, not NOT_FOUND */
  {
    GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
    GstBus *ebus = gst_bus_new ();
    gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
    GError *gerr = NULL;

    gst_element_set_bus (el, ebus);
    g_object_set (el, "model-file", model, "labels-file", short_list, NULL);
    fail_unless_equals_int (gst_element_set_state (el, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (ebus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &gerr, NULL);
    fail_unless (g_error_matches (gerr, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_SETTINGS), "%s", gerr->message);
    g_error_free (gerr);
    gst_message_unref (msg);
    gst_element_set_state (el, GST_STATE_NULL);
    gst_element_set_bus (el, NULL);
    gst_object_unref (ebus);
    gst_object_unref (el);
    g_free (model);
  }

  g_unlink (short_list);
  g_unlink (nine);
  g_free (short_list);
  g_free (nine);
}

GST_END_TEST;

/* Labels embedded in a model are used when labels-file is unset. */
GST_START_TEST (test_embedded_labels)
{
  GstHarness *h = harness_new (FIXTURE_LABELS_MODEL, "top-k=12", NULL);
  GstBuffer *out;
  GstCustomMeta *meta;
  gboolean found_background = FALSE, found_numeric = FALSE;
  guint i;

  harness_set_caps (h, "RGB", 64, 64);
  out = gst_harness_push_and_pull (h, make_frame ("RGB", 64, 64, 3, 0));
  meta = gst_mnv3_classification_get (out);
  fail_unless_equals_int (gst_mnv3_classification_get_n_results (meta), 12);
  for (i = 0; i < 12; i++) {
    const gchar *l = gst_mnv3_classification_get_label (meta, i);

    if (gst_mnv3_classification_get_class_id (meta, i) == 0)
      found_background = g_str_equal (l, "background");
    if (g_str_has_prefix (l, "class "))
      found_numeric = TRUE;
  }
  fail_unless (found_background);
  fail_if (found_numeric);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
  gchar *s1, *s2;
  guint k, interval;
  gint threads, crop, offset, message;
  gfloat thr;
  gboolean qos, overlay;
  guint64 n;
  gdouble d;
  gint64 us;

  fail_unless (el != NULL);
  /* defaults of DESIGN.md section 5 */
  g_object_get (el, "model-file", &s1, "labels-file", &s2, "top-k", &k,
      "threshold", &thr, "inference-interval", &interval, "threads", &threads,
      "qos", &qos, "overlay", &overlay, "crop-mode", &crop,
      "label-offset", &offset, "message", &message, NULL);
  fail_unless (s1 == NULL && s2 == NULL);
  fail_unless_equals_int (k, 5);
  fail_unless_equals_float (thr, 0.0);
  fail_unless_equals_int (interval, 1);
  fail_unless_equals_int (threads, 0);
  fail_unless (qos && overlay);
  fail_unless_equals_int (crop, 0);
  fail_unless_equals_int (offset, 0);
  fail_unless_equals_int (message, 1);

  gst_util_set_object_arg (G_OBJECT (el), "crop-mode", "letterbox");
  gst_util_set_object_arg (G_OBJECT (el), "label-offset", "skip-background");
  gst_util_set_object_arg (G_OBJECT (el), "message", "every-result");
  g_object_set (el, "model-file", "a.safetensors", "labels-file", "l.txt",
      "top-k", 3, "threshold", 0.25f, "inference-interval", 4, "threads", 2,
      "qos", FALSE, "overlay", FALSE, NULL);
  g_object_get (el, "model-file", &s1, "labels-file", &s2, "top-k", &k,
      "threshold", &thr, "inference-interval", &interval, "threads", &threads,
      "qos", &qos, "overlay", &overlay, "crop-mode", &crop,
      "label-offset", &offset, "message", &message, NULL);
  fail_unless_equals_string (s1, "a.safetensors");
  fail_unless_equals_string (s2, "l.txt");
  fail_unless_equals_int (k, 3);
  fail_unless_equals_float (thr, 0.25);
  fail_unless_equals_int (interval, 4);
  fail_unless_equals_int (threads, 2);
  fail_unless (!qos && !overlay);
  fail_unless_equals_int (crop, 2);
  fail_unless_equals_int (offset, 2);
  fail_unless_equals_int (message, 2);
  g_free (s1);
  g_free (s2);

  g_object_get (el, "current-label", &s1, "current-confidence", &d,
      "frames-processed", &n, "last-inference-us", &us, NULL);
  fail_unless (s1 == NULL);
  fail_unless_equals_uint64 (n, 0);
  gst_object_unref (el);
}

GST_END_TEST;

/* Status properties after a few frames, with two threads. */
GST_START_TEST (test_status)
{
  GstHarness *h = harness_new (FIXTURE_MODEL, "threads=2", NULL);
  gchar *label = NULL;
  gdouble conf, avg;
  gint64 last;
  GstBuffer *out;
  guint i;

  harness_set_caps (h, "BGRx", 160, 120);
  for (i = 0; i < 3; i++) {
    out = gst_harness_push_and_pull (h, make_frame ("BGRx", 160, 120, i, 0));
    if (i == 2) {
      GstCustomMeta *m = gst_mnv3_classification_get (out);

      g_object_get (h->element, "current-label", &label,
          "current-confidence", &conf, "last-inference-us", &last,
          "avg-inference-us", &avg, NULL);
      fail_unless_equals_string (label,
          gst_mnv3_classification_get_label (m, 0));
      fail_unless_equals_float (conf, gst_mnv3_classification_get_score (m, 0));
      fail_unless (last > 0 && avg > 0);
      g_free (label);
    }
    gst_buffer_unref (out);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The contract's names are defined once (mnv3classify-meta.h) and the tests
 * read through them; this pins their spelling, which readers in other
 * languages (Python, JSON consumers) depend on. */
GST_START_TEST (test_contract_names)
{
  const gchar *pairs[][2] = {
    {GST_MNV3_CLASSIFICATION_NAME, "Mnv3Classification"},
    {GST_MNV3_FIELD_LABELS, "labels"},
    {GST_MNV3_FIELD_CLASS_IDS, "class-ids"},
    {GST_MNV3_FIELD_SCORES, "scores"},
    {GST_MNV3_FIELD_TOP_LABEL, "top-label"},
    {GST_MNV3_FIELD_TOP_CLASS_ID, "top-class-id"},
    {GST_MNV3_FIELD_TOP_SCORE, "top-score"},
    {GST_MNV3_FIELD_FRESH, "fresh"},
    {GST_MNV3_FIELD_AGE_FRAMES, "age-frames"},
    {GST_MNV3_FIELD_SOURCE_PTS, "source-pts"},
    {GST_MNV3_FIELD_INFERENCE_US, "inference-us"},
    {GST_MNV3_FIELD_MODEL, "model"},
    {GST_MNV3_FIELD_ROI, "roi"},
    {GST_MNV3_FIELD_ROI_ID, "roi-id"},
    {GST_MNV3_FIELD_ATTRIBUTE, "attribute"},
    {GST_MNV3_DEFAULT_ATTRIBUTE, "classification"},
    {GST_MNV3_ROI_PARAM_NAME, "classification"},
    {GST_MNV3_ROI_PARAM_LABEL, "label"},
    {GST_MNV3_ROI_PARAM_LABEL_ID, "label_id"},
    {GST_MNV3_ROI_PARAM_CONFIDENCE, "confidence"},
    {GST_MNV3_MESSAGE_NAME, "mnv3classify"},
    {GST_MNV3_MESSAGE_TIMESTAMP, "timestamp"},
    {GST_MNV3_MESSAGE_RUNNING_TIME, "running-time"},
    {GST_MNV3_MESSAGE_ROI_INDEX, "roi-index"},
    {GST_MNV3_MESSAGE_N_ROIS, "n-rois"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    fail_unless_equals_string (pairs[i][0], pairs[i][1]);
}

GST_END_TEST;

/* libmnv3's own messages reach the GStreamer log, in the mnv3lib category
 * (the plugin's mnv3_set_log_func callback) */
static gint lib_messages;

static void
count_lib_messages (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  if (g_strcmp0 (gst_debug_category_get_name (category), "mnv3lib") == 0
      && g_str_has_prefix (gst_debug_message_get (message), "graph: "))
    g_atomic_int_inc (&lib_messages);
}

GST_START_TEST (test_library_log)
{
  GstHarness *h;

  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_for_name ("mnv3lib", GST_LEVEL_DEBUG);
  gst_debug_add_log_function (count_lib_messages, NULL, NULL);
  g_atomic_int_set (&lib_messages, 0);
  h = harness_new (FIXTURE_MODEL, NULL, NULL);
  harness_set_caps (h, "RGB", 40, 30);
  gst_buffer_unref (gst_harness_push_and_pull (h, make_frame ("RGB", 40, 30,
              1, 0)));
  gst_harness_teardown (h);
  gst_debug_remove_log_function (count_lib_messages);
  gst_debug_unset_threshold_for_name ("mnv3lib");
  fail_unless (g_atomic_int_get (&lib_messages) >= 1,
      "no \"graph:\" message of libmnv3 in the mnv3lib category");
}

GST_END_TEST;

static Suite *
mnv3classify_suite (void)
{
  Suite *s = suite_create ("mnv3classify");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_contract_names);
  tcase_add_test (tc, test_library_log);
  tcase_add_test (tc, test_caps_every_format);
  tcase_add_test (tc, test_overlay_false_keeps_pixels);
  tcase_add_test (tc, test_overlay_only_inside_box);
  tcase_add_test (tc, test_overlay_cached);
  tcase_add_test (tc, test_missing_or_corrupt_model);
  tcase_add_test (tc, test_default_model_dir);
  tcase_add_test (tc, test_meta_survives_tee_and_queue);
  tcase_add_test (tc, test_tiny_frames);
  tcase_add_test (tc, test_caps_change);
  tcase_add_test (tc, test_padded_strides);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_messages);
  tcase_add_test (tc, test_threshold_empty_result);
  tcase_add_test (tc, test_labels);
  tcase_add_test (tc, test_embedded_labels);
  tcase_add_test (tc, test_status);
  return s;
}

GST_CHECK_MAIN (mnv3classify);
