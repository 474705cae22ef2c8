/* mnv3classify: tests/gst/test-meta-travel.c
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Results that travel (issue 12): the Mnv3Classification custom meta and the
 * ROI meta after videoconvert, videoscale, videocrop and videoflip (a tee
 * branch against the classifier's own output); attribute-name for cascaded
 * classifiers on the same boxes, gst_mnv3_classification_get_by_attribute(),
 * full-frame-roi, unique ROI ids; a labels file that fits no mapping.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "mnv3classify-meta.h"
#include "mnv3-test.h"

#define FIXTURE_MODEL "large-sym-f32.safetensors"
#define FIXTURE_CLASSES 10

/* a 64x48 RGB frame with a fixed pattern (valgrind: no uninitialised
 * pixels) */
static GstBuffer *
pattern_frame (void)
{
  GstBuffer *buf = gst_buffer_new_and_alloc (64 * 48 * 3);
  GstMapInfo map;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (i = 0; i < map.size; i++)
    map.data[i] = (i * 37) & 0xff;
  gst_buffer_unmap (buf, &map);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

/* ---- a pipeline whose fakesinks keep their last buffer ---- */

static void
keep_buffer (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  GstBuffer **slot = data;

  gst_buffer_replace (slot, buf);
}

/* Runs @desc (with %s for the model path) to EOS; returns the last buffer of
 * the fakesinks named in @names (NULL-terminated), in @out. */
static void
run_pipeline (const gchar * desc_fmt, const gchar * const *names,
    GstBuffer ** out)
{
  gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
  gchar *desc = g_strdup_printf (desc_fmt, model);
  GError *err = NULL;
  GstElement *p = gst_parse_launch (desc, &err);
  GstBus *bus;
  GstMessage *msg;
  guint i;

  fail_unless (p != NULL, "%s: %s", desc, err ? err->message : "?");
  for (i = 0; names[i]; i++) {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (p), names[i]);

    fail_unless (sink != NULL, "no %s", names[i]);
    out[i] = NULL;
    g_object_set (sink, "signal-handoffs", TRUE, NULL);
    g_signal_connect (sink, "handoff", G_CALLBACK (keep_buffer), &out[i]);
    gst_object_unref (sink);
  }
  bus = gst_element_get_bus (p);
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "timeout: %s", desc);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *e = NULL;

    gst_message_parse_error (msg, &e, NULL);
    fail ("%s: %s", desc, e->message);
  }
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  for (i = 0; names[i]; i++)
    fail_unless (out[i] != NULL, "%s got no buffer", names[i]);
  g_free (desc);
  g_free (model);
}

static guint
count_custom (GstBuffer * buf)
{
  gpointer state = NULL;
  guint n = 0;

  while (gst_mnv3_classification_iterate (buf, &state))
    n++;
  return n;
}

static guint
count_rois (GstBuffer * buf)
{
  return gst_buffer_get_n_meta (buf,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
}

static void
get_roi (GstCustomMeta * meta, gint xywh[4])
{
  const GValue *v =
      gst_structure_get_value (gst_mnv3_classification_get_structure (meta),
      GST_MNV3_FIELD_ROI);
  guint i;

  fail_unless (v != NULL && gst_value_array_get_size (v) == 4);
  for (i = 0; i < 4; i++)
    xywh[i] = g_value_get_int (gst_value_array_get_value (v, i));
}

static gint
get_roi_id (GstCustomMeta * meta)
{
  gint id = -2;

  fail_unless (gst_structure_get_int (gst_mnv3_classification_get_structure
          (meta), GST_MNV3_FIELD_ROI_ID, &id));
  return id;
}

/* One custom meta and one ROI meta on @buf, the same box and id; returns
 * the box. */
static void
check_consistent (GstBuffer * buf, gint xywh[4])
{
  GstCustomMeta *c;
  GstVideoRegionOfInterestMeta *r;

  fail_unless_equals_int (count_custom (buf), 1);
  fail_unless_equals_int (count_rois (buf), 1);
  c = gst_mnv3_classification_get (buf);
  r = gst_buffer_get_video_region_of_interest_meta (buf);
  get_roi (c, xywh);
  fail_unless_equals_int (get_roi_id (c), r->id);
  fail_unless_equals_int (xywh[0], r->x);
  fail_unless_equals_int (xywh[1], r->y);
  fail_unless_equals_int (xywh[2], (gint) r->w);
  fail_unless_equals_int (xywh[3], (gint) r->h);
}

/* videoconvert ! videoscale in a tee branch: the result is still there,
 * once, with roi rescaled (down and up, and a non-uniform scale). */
GST_START_TEST (test_travel_scale)
{
  const gchar *const names[] = { "orig", "down", "up", "conv", NULL };
  GstBuffer *out[4];
  gint o[4], d[4], u[4], c[4];
  guint i;

  run_pipeline ("videotestsrc num-buffers=2 "
      "! video/x-raw,format=RGB,width=320,height=240,pixel-aspect-ratio=1/1 "
      "! mnv3classify model-file=\"%s\" mode=sync overlay=false "
      "! tee name=t "
      "t. ! queue ! fakesink name=orig "
      "t. ! queue ! videoconvert ! videoscale "
      "! video/x-raw,format=I420,width=160,height=120 ! fakesink name=down "
      "t. ! queue ! videoconvert ! videoscale add-borders=false "
      "! video/x-raw,format=NV12,width=640,height=360,pixel-aspect-ratio=4/3 "
      "! fakesink name=up "
      "t. ! queue ! videoconvert ! video/x-raw,format=GRAY8 "
      "! fakesink name=conv", names, out);

  check_consistent (out[0], o);
  /* crop-mode=center on 320x240: the centred 240x240 square */
  fail_unless (o[0] == 40 && o[1] == 0 && o[2] == 240 && o[3] == 240,
      "orig roi %d,%d %dx%d", o[0], o[1], o[2], o[3]);
  check_consistent (out[1], d);
  for (i = 0; i < 4; i++)
    fail_unless_equals_int (d[i], o[i] / 2);
  check_consistent (out[2], u);
  fail_unless_equals_int (u[0], o[0] * 2);
  fail_unless_equals_int (u[2], o[2] * 2);
  fail_unless_equals_int (u[1], o[1] * 360 / 240);
  fail_unless_equals_int (u[3], o[3] * 360 / 240);
  check_consistent (out[3], c);
  for (i = 0; i < 4; i++)
    fail_unless_equals_int (c[i], o[i]);

  /* the ROI meta's param is there after the scale (1.22's ROI transform
   * drops it; the custom meta's transform puts it back), equal to the
   * original */
  for (i = 0; i < 4; i++) {
    GstVideoRegionOfInterestMeta *r =
        gst_buffer_get_video_region_of_interest_meta (out[i]);
    GstStructure *p = gst_video_region_of_interest_meta_get_param (r,
        GST_MNV3_ROI_PARAM_NAME);
    GstStructure *p0 =
        gst_video_region_of_interest_meta_get_param
        (gst_buffer_get_video_region_of_interest_meta (out[0]),
        GST_MNV3_ROI_PARAM_NAME);

    fail_unless (p != NULL, "branch %s: no classification param", names[i]);
    fail_unless (gst_structure_is_equal (p, p0), "branch %s: %" GST_PTR_FORMAT
        " != %" GST_PTR_FORMAT, names[i], p, p0);
    fail_unless_equals_int (g_list_length (r->params), 1);
  }

  /* the rest of the result is copied as it was */
  for (i = 1; i < 4; i++) {
    GstCustomMeta *a = gst_mnv3_classification_get (out[0]);
    GstCustomMeta *b = gst_mnv3_classification_get (out[i]);

    fail_unless_equals_int (gst_mnv3_classification_get_n_results (a),
        gst_mnv3_classification_get_n_results (b));
    fail_unless_equals_string (gst_mnv3_classification_get_label (a, 0),
        gst_mnv3_classification_get_label (b, 0));
    fail_unless_equals_float (gst_mnv3_classification_get_score (a, 0),
        gst_mnv3_classification_get_score (b, 0));
    fail_unless_equals_string (gst_mnv3_classification_get_attribute (b),
        GST_MNV3_DEFAULT_ATTRIBUTE);
  }
  for (i = 0; i < 4; i++)
    gst_buffer_unref (out[i]);
}

GST_END_TEST;

/* What GStreamer 1.22 does with both metas (README "Metadata contract"):
 * videocrop (cropping itself, no crop meta downstream) drops geometry metas,
 * both; videoflip passes only a copy transform (no geometry): both are
 * copied unchanged, so their boxes refer to the unflipped frame. The test
 * pins that the two always travel together. */
GST_START_TEST (test_travel_crop_flip)
{
  const gchar *const names[] = { "orig", "crop", "flip", "rot", NULL };
  GstBuffer *out[4];
  gint o[4], f[4];
  guint i;

  run_pipeline ("videotestsrc num-buffers=1 "
      "! video/x-raw,format=RGB,width=320,height=240 "
      "! mnv3classify model-file=\"%s\" mode=sync overlay=false "
      "! tee name=t "
      "t. ! queue ! fakesink name=orig "
      "t. ! queue ! videocrop left=10 top=20 ! fakesink name=crop "
      "t. ! queue ! videoflip method=horizontal-flip ! fakesink name=flip "
      "t. ! queue ! videoflip method=clockwise ! fakesink name=rot",
      names, out);

  check_consistent (out[0], o);
  fail_unless_equals_int (count_custom (out[1]), count_rois (out[1]));
  if (count_rois (out[1]) > 0) {
    /* a newer videocrop that transforms geometry: moved by the crop */
    check_consistent (out[1], f);
    fail_unless_equals_int (f[0], o[0] - 10);
    fail_unless_equals_int (f[1], o[1] - 20);
  }
  for (i = 2; i < 4; i++) {
    check_consistent (out[i], f);
    fail_unless_equals_string (gst_mnv3_classification_get_label
        (gst_mnv3_classification_get (out[i]), 0),
        gst_mnv3_classification_get_label (gst_mnv3_classification_get
            (out[0]), 0));
  }
  for (i = 0; i < 4; i++)
    gst_buffer_unref (out[i]);
}

GST_END_TEST;

/* A gst_buffer_copy () keeps the meta; a region copy drops it. */
GST_START_TEST (test_travel_copy)
{
  GstHarness *h;
  gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
  gchar *desc = g_strdup_printf ("mnv3classify model-file=\"%s\" mode=sync "
      "overlay=false", model);
  GstBuffer *out, *copy, *part;
  gint a[4], b[4];
  guint i;

  h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=64,height=48,framerate=30/1");
  out = gst_harness_push_and_pull (h, pattern_frame ());
  fail_unless (out != NULL);
  copy = gst_buffer_copy (out);
  check_consistent (out, a);
  check_consistent (copy, b);
  for (i = 0; i < 4; i++)
    fail_unless_equals_int (a[i], b[i]);
  part = gst_buffer_copy_region (out, GST_BUFFER_COPY_ALL, 0, 100);
  fail_unless_equals_int (count_custom (part), 0);
  gst_buffer_unref (part);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (desc);
  g_free (model);
}

GST_END_TEST;

/* ---- attribute-name: cascaded classifiers on the same boxes ---- */

static GstHarness *
cascade_new (const gchar * first, const gchar * second)
{
  gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
  gchar *desc = g_strdup_printf ("mnv3classify model-file=\"%s\" mode=sync "
      "overlay=false top-k=3 %s ! mnv3classify model-file=\"%s\" mode=sync "
      "overlay=false top-k=3 %s", model, first, model, second);
  GstHarness *h = gst_harness_new_parse (desc);

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=64,height=48,framerate=30/1");
  g_free (desc);
  g_free (model);
  return h;
}

static GstBuffer *
frame_with_boxes (void)
{
  GstBuffer *buf = pattern_frame ();

  /* two boxes as a detector that leaves ids at 0 makes them */
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 0, 0, 32, 24);
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 20, 10, 40, 36);
  return buf;
}

static void
check_param (GstVideoRegionOfInterestMeta * r, const gchar * attribute,
    GstCustomMeta * c)
{
  GstStructure *p = gst_video_region_of_interest_meta_get_param (r,
      attribute);
  gint id = -1;
  gdouble conf = -1;

  fail_unless (p != NULL, "ROI %d has no %s param", r->id, attribute);
  fail_unless (gst_structure_get_int (p, GST_MNV3_ROI_PARAM_LABEL_ID, &id));
  fail_unless (gst_structure_get_double (p, GST_MNV3_ROI_PARAM_CONFIDENCE,
          &conf));
  fail_unless_equals_int (id, gst_mnv3_classification_get_class_id (c, 0));
  fail_unless_equals_float (conf, gst_mnv3_classification_get_score (c, 0));
  fail_unless_equals_string (gst_structure_get_string (p,
          GST_MNV3_ROI_PARAM_LABEL), gst_mnv3_classification_get_label (c, 0));
}

GST_START_TEST (test_attribute_cascade)
{
  GstHarness *h = cascade_new ("roi-source=roi-meta attribute-name=color",
      "roi-source=roi-meta attribute-name=make");
  GstBuffer *out = gst_harness_push_and_pull (h, frame_with_boxes ());
  const gchar *const attrs[] = { "color", "make" };
  GstVideoRegionOfInterestMeta *r[2];
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0, a;

  fail_unless (out != NULL);
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    r[n++] = (GstVideoRegionOfInterestMeta *) m;
  fail_unless_equals_int (n, 2);
  /* ROI ids unique per buffer */
  fail_unless (r[0]->id != r[1]->id, "both ROIs have id %d", r[0]->id);
  fail_unless_equals_int (count_custom (out), 4);
  fail_unless (gst_mnv3_classification_get_by_attribute (out,
          GST_MNV3_DEFAULT_ATTRIBUTE, -1) == NULL);

  for (a = 0; a < 2; a++) {
    guint k, seen = 0;
    GstCustomMeta *c;

    state = NULL;
    while ((c = gst_mnv3_classification_iterate_by_attribute (out, attrs[a],
                &state))) {
      fail_unless_equals_string (gst_mnv3_classification_get_attribute (c),
          attrs[a]);
      seen++;
    }
    fail_unless_equals_int (seen, 2);

    for (k = 0; k < 2; k++) {
      gint box[4];

      c = gst_mnv3_classification_get_by_attribute (out, attrs[a], r[k]->id);
      fail_unless (c != NULL, "no %s result for ROI %d", attrs[a], r[k]->id);
      fail_unless_equals_int (get_roi_id (c), r[k]->id);
      get_roi (c, box);
      fail_unless (box[0] == (gint) r[k]->x && box[1] == (gint) r[k]->y
          && box[2] == (gint) r[k]->w && box[3] == (gint) r[k]->h);
      fail_unless (gst_mnv3_classification_get_n_results (c) > 0);
      check_param (r[k], attrs[a], c);
      /* the detector's type is left alone */
      fail_unless_equals_string (g_quark_to_string (r[k]->roi_type), "car");
    }
  }
  /* both classifiers ran the same model on the same boxes */
  fail_unless_equals_string (gst_mnv3_classification_get_label
      (gst_mnv3_classification_get_by_attribute (out, "color", r[1]->id), 0),
      gst_mnv3_classification_get_label
      (gst_mnv3_classification_get_by_attribute (out, "make", r[1]->id), 0));
  fail_unless (gst_mnv3_classification_get_by_attribute (out, "color",
          r[0]->id + r[1]->id + 1) == NULL);

  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* full-frame: full-frame-roi=false adds no ROI meta (roi-id -1); two
 * full-frame classifiers' ROI metas get different ids. */
GST_START_TEST (test_full_frame_roi)
{
  GstHarness *h;
  GstBuffer *out;
  GstCustomMeta *a, *b;
  GstVideoRegionOfInterestMeta *r;
  gpointer state = NULL;
  gint ids[2], n = 0;
  GstMeta *m;

  h = cascade_new ("attribute-name=scene full-frame-roi=false",
      "attribute-name=object");
  out = gst_harness_push_and_pull (h, pattern_frame ());
  fail_unless_equals_int (count_rois (out), 1);
  fail_unless_equals_int (count_custom (out), 2);
  a = gst_mnv3_classification_get_by_attribute (out, "scene", -1);
  b = gst_mnv3_classification_get_by_attribute (out, "object", -1);
  fail_unless (a != NULL && b != NULL);
  fail_unless_equals_int (get_roi_id (a), -1);
  r = gst_buffer_get_video_region_of_interest_meta (out);
  fail_unless_equals_int (get_roi_id (b), r->id);
  fail_unless (gst_video_region_of_interest_meta_get_param (r, "object"));
  fail_unless (gst_video_region_of_interest_meta_get_param (r, "scene") ==
      NULL);
  gst_buffer_unref (out);
  gst_harness_teardown (h);

  h = cascade_new ("attribute-name=scene", "attribute-name=object");
  out = gst_harness_push_and_pull (h, pattern_frame ());
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    ids[n++] = ((GstVideoRegionOfInterestMeta *) m)->id;
  fail_unless_equals_int (n, 2);
  fail_unless (ids[0] != ids[1]);
  fail_unless_equals_int (get_roi_id (gst_mnv3_classification_get_by_attribute
          (out, "scene", -1)), ids[0]);
  fail_unless_equals_int (get_roi_id (gst_mnv3_classification_get_by_attribute
          (out, "object", -1)), ids[1]);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_attribute_name_property)
{
  GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
  gchar *name = NULL;
  gboolean ffr = FALSE;

  fail_unless (el != NULL);
  g_object_get (el, "attribute-name", &name, "full-frame-roi", &ffr, NULL);
  fail_unless_equals_string (name, "classification");
  fail_unless (ffr);
  g_free (name);

  g_object_set (el, "attribute-name", "vehicle-color", NULL);
  /* not a structure name: refused, the old value kept */
  g_object_set (el, "attribute-name", "1 color", NULL);
  g_object_get (el, "attribute-name", &name, NULL);
  fail_unless_equals_string (name, "vehicle-color");
  g_free (name);
  g_object_set (el, "attribute-name", "", NULL);
  g_object_get (el, "attribute-name", &name, NULL);
  fail_unless_equals_string (name, "classification");
  g_free (name);
  gst_object_unref (el);
}

GST_END_TEST;

/* ---- labels that fit no mapping ---- */

static gchar *
write_labels (guint n)
{
  GString *s = g_string_new (NULL);
  gchar *path;
  gint fd;
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "label %u\n", i);
  fd = g_file_open_tmp ("mnv3-travel-labels-XXXXXX.txt", &path, NULL);
  fail_unless (fd >= 0);
  close (fd);
  fail_unless (g_file_set_contents (path, s->str, -1, NULL));
  g_string_free (s, TRUE);
  return path;
}

/* Starts the element with @n labels and @offset; returns the first ERROR
 * or WARNING message type posted (0 for none) and whether it started. */
static GstMessageType
start_with_labels (guint n, const gchar * offset, gboolean * started)
{
  gchar *labels = write_labels (n);
  gchar *model = mnv3_test_fixture_path (FIXTURE_MODEL);
  GstElement *el = gst_element_factory_make ("mnv3classify", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstMessageType type = 0;

  gst_element_set_bus (el, bus);
  g_object_set (el, "model-file", model, "labels-file", labels, NULL);
  gst_util_set_object_arg (G_OBJECT (el), "label-offset", offset);
  *started = gst_element_set_state (el, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE;
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  if (msg) {
    type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_ERROR) {
      GError *e = NULL;

      gst_message_parse_error (msg, &e, NULL);
      fail_unless (strstr (e->message, "labels") != NULL, "%s", e->message);
      g_error_free (e);
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (el, GST_STATE_NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (el);
  g_unlink (labels);
  g_free (labels);
  g_free (model);
  return type;
}

GST_START_TEST (test_labels_fit_no_mapping)
{
  gboolean started;

  /* auto: neither num_classes nor num_classes - 1 lines: ERROR, no start */
  fail_unless_equals_int (start_with_labels (3, "auto", &started),
      GST_MESSAGE_ERROR);
  fail_if (started);
  fail_unless_equals_int (start_with_labels (FIXTURE_CLASSES + 1, "auto",
          &started), GST_MESSAGE_ERROR);
  fail_if (started);
  /* the two mappings auto knows: no message */
  fail_unless_equals_int (start_with_labels (FIXTURE_CLASSES, "auto",
          &started), 0);
  fail_unless (started);
  fail_unless_equals_int (start_with_labels (FIXTURE_CLASSES - 1, "auto",
          &started), 0);
  fail_unless (started);
  /* an explicit label-offset maps any list: WARNING only */
  fail_unless_equals_int (start_with_labels (3, "none", &started),
      GST_MESSAGE_WARNING);
  fail_unless (started);
  fail_unless_equals_int (start_with_labels (3, "skip-background",
          &started), GST_MESSAGE_WARNING);
  fail_unless (started);
}

GST_END_TEST;

static Suite *
meta_travel_suite (void)
{
  Suite *s = suite_create ("mnv3classify-meta-travel");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_travel_scale);
  tcase_add_test (tc, test_travel_crop_flip);
  tcase_add_test (tc, test_travel_copy);
  tcase_add_test (tc, test_attribute_cascade);
  tcase_add_test (tc, test_full_frame_roi);
  tcase_add_test (tc, test_attribute_name_property);
  tcase_add_test (tc, test_labels_fit_no_mapping);
  return s;
}

GST_CHECK_MAIN (meta_travel);
