/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GstHarness tests of mnv3publish on hand-made Mnv3Classification metas:
 * several metas per buffer (regions, attributes), only-new with results
 * carried over (async mode), bad settings, property defaults.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "mnv3classify-meta.h"

#define MS (GST_MSECOND)

/* A meta as mnv3classify writes it (source_pts GST_CLOCK_TIME_NONE and no
 * labels: the empty result before the first inference). */
static void
add_meta (GstBuffer * buf, const gchar * attribute, gboolean fresh,
    guint64 source_pts, gint x, gint roi_id)
{
  GstCustomMeta *meta = gst_buffer_add_custom_meta (buf,
      GST_MNV3_CLASSIFICATION_NAME);
  GstStructure *s;
  GValue ids = G_VALUE_INIT, scores = G_VALUE_INIT, roi = G_VALUE_INIT;
  GValue v = G_VALUE_INIT;
  const gchar *labels[] = { "cat", "dog", NULL };
  gboolean empty = !GST_CLOCK_TIME_IS_VALID (source_pts);
  gint i;

  fail_unless (meta != NULL);
  s = gst_custom_meta_get_structure (meta);
  gst_value_array_init (&ids, 2);
  gst_value_array_init (&scores, 2);
  gst_value_array_init (&roi, 4);
  g_value_init (&v, G_TYPE_INT);
  for (i = 0; !empty && i < 2; i++) {
    g_value_set_int (&v, 3 + i);
    gst_value_array_append_value (&ids, &v);
  }
  for (i = 0; i < 4; i++) {
    g_value_set_int (&v, i == 0 ? x : 10);
    gst_value_array_append_value (&roi, &v);
  }
  g_value_unset (&v);
  g_value_init (&v, G_TYPE_DOUBLE);
  for (i = 0; !empty && i < 2; i++) {
    g_value_set_double (&v, 0.75 - 0.5 * i);
    gst_value_array_append_value (&scores, &v);
  }
  g_value_unset (&v);
  if (empty)
    labels[0] = NULL;
  gst_structure_set (s, "labels", G_TYPE_STRV, labels,
      "top-label", G_TYPE_STRING, empty ? "" : "cat",
      "top-class-id", G_TYPE_INT, empty ? -1 : 3,
      "top-score", G_TYPE_DOUBLE, empty ? 0.0 : 0.75,
      "fresh", G_TYPE_BOOLEAN, fresh,
      "age-frames", G_TYPE_UINT64, (guint64) (fresh ? 0 : 1),
      "source-pts", G_TYPE_UINT64, source_pts,
      "inference-us", G_TYPE_INT64, (gint64) 1234,
      "model", G_TYPE_STRING, "small", "roi-id", G_TYPE_INT, roi_id, NULL);
  if (attribute)
    gst_structure_set (s, "attribute", G_TYPE_STRING, attribute, NULL);
  gst_structure_take_value (s, "class-ids", &ids);
  gst_structure_take_value (s, "scores", &scores);
  gst_structure_take_value (s, "roi", &roi);
}

static GstBuffer *
new_buffer (GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = 33 * MS;
  return buf;
}

static GstHarness *
start_harness (const gchar * path, const gchar * extra)
{
  gchar *desc = g_strdup_printf ("mnv3publish stream-id=h location=%s %s",
      path, extra);
  GstHarness *h = gst_harness_new_parse (desc);

  g_free (desc);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB,width=64,"
      "height=48,framerate=30/1");
  return h;
}

/* All lines of @path, each parsed as one JSON object. */
static GPtrArray *
read_objects (const gchar * path)
{
  gchar *text = NULL, **lines;
  GPtrArray *objs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      json_node_unref);
  guint i;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] && lines[i][0]; i++) {
    GError *error = NULL;
    JsonNode *node = json_from_string (lines[i], &error);

    fail_unless (node != NULL && JSON_NODE_HOLDS_OBJECT (node),
        "line %u is not a JSON object: %s", i,
        error ? error->message : lines[i]);
    g_ptr_array_add (objs, node);
  }
  g_strfreev (lines);
  g_free (text);
  return objs;
}

static JsonObject *
obj (GPtrArray * objs, guint i)
{
  return json_node_get_object (g_ptr_array_index (objs, i));
}

static gchar *
temp_path (void)
{
  gchar *dir = g_dir_make_tmp ("mnv3publish-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "out.jsonl", NULL);

  g_free (dir);
  return path;
}

static void
remove_temp (gchar * path)
{
  gchar *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

GST_START_TEST (test_regions_and_attributes)
{
  gchar *path = temp_path ();
  GstHarness *h = start_harness (path, "");
  GstBuffer *buf = new_buffer (100 * MS);
  GPtrArray *objs;
  guint i;

  /* three regions of one classifier, one of a second classifier */
  add_meta (buf, NULL, TRUE, 100 * MS, 0, 0);
  add_meta (buf, NULL, TRUE, 100 * MS, 20, 1);
  add_meta (buf, NULL, TRUE, 100 * MS, 40, 2);
  add_meta (buf, "colour", TRUE, 100 * MS, 0, 0);
  buf = gst_harness_push_and_pull (h, buf);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);

  objs = read_objects (path);
  fail_unless_equals_int (objs->len, 4);
  for (i = 0; i < 4; i++) {
    JsonObject *o = obj (objs, i);
    JsonObject *roi = json_object_get_object_member (o, "roi");
    JsonArray *labels = json_object_get_array_member (o, "labels");

    fail_unless_equals_int (json_object_get_int_member (o, "seq"), i);
    fail_unless_equals_int64 (json_object_get_int_member (o, "pts"), 100 * MS);
    fail_unless_equals_string (json_object_get_string_member (o, "stream_id"),
        "h");
    fail_unless_equals_string (json_object_get_string_member (o, "attribute"),
        i < 3 ? "classification" : "colour");
    fail_unless_equals_int (json_object_get_int_member (roi, "x"),
        i < 3 ? 20 * i : 0);
    fail_unless_equals_int (json_object_get_int_member (o, "roi_id"),
        i < 3 ? i : 0);
    fail_unless_equals_int (json_array_get_length (labels), 2);
    fail_unless_equals_string (json_array_get_string_element (labels, 0),
        "cat");
    fail_unless_equals_int (json_array_get_int_element
        (json_object_get_array_member (o, "class_ids"), 1), 4);
    fail_unless_equals_float (json_array_get_double_element
        (json_object_get_array_member (o, "scores"), 0), 0.75);
    fail_unless_equals_int (json_object_get_int_member (o, "dropped"), 0);
  }
  g_ptr_array_unref (objs);
  remove_temp (path);
}

GST_END_TEST;

/* async mode: results arrive on later frames and are never fresh; only-new
 * publishes each once, with all the regions of the buffer that brought it */
GST_START_TEST (test_only_new_carried)
{
  gchar *path = temp_path ();
  GstHarness *h = start_harness (path, "only-new=true");
  /* source pts per buffer: none yet, 0, 0, 66 ms, 66 ms, 66 ms */
  const guint64 src[] = { GST_CLOCK_TIME_NONE, 0, 0, 66 * MS, 66 * MS,
    66 * MS
  };
  GPtrArray *objs;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (src); i++) {
    GstBuffer *buf = new_buffer (i * 33 * MS);

    add_meta (buf, NULL, FALSE, src[i], 0, 0);
    add_meta (buf, NULL, FALSE, src[i], 30, 1);
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  }
  gst_harness_teardown (h);

  objs = read_objects (path);
  fail_unless_equals_int (objs->len, 4);
  for (i = 0; i < 4; i++) {
    JsonObject *o = obj (objs, i);

    fail_unless_equals_int64 (json_object_get_int_member (o, "pts"),
        i < 2 ? 33 * MS : 99 * MS);
    fail_unless_equals_int64 (json_object_get_int_member (o, "source_pts"),
        i < 2 ? 0 : 66 * MS);
    fail_unless_equals_int (json_object_get_int_member (o, "roi_id"), i % 2);
    fail_if (json_object_get_boolean_member (o, "fresh"));
  }
  g_ptr_array_unref (objs);
  remove_temp (path);
}

GST_END_TEST;

/* without only-new every buffer's result is written, the empty one too */
GST_START_TEST (test_every_buffer)
{
  gchar *path = temp_path ();
  GstHarness *h = start_harness (path, "");
  GPtrArray *objs;
  JsonObject *o;
  guint i;

  for (i = 0; i < 3; i++) {
    GstBuffer *buf = new_buffer (i * 33 * MS);

    add_meta (buf, NULL, i == 1, i == 0 ? GST_CLOCK_TIME_NONE : 33 * MS, 0, 0);
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  }
  /* a buffer without meta writes nothing */
  gst_buffer_unref (gst_harness_push_and_pull (h, new_buffer (99 * MS)));
  gst_harness_teardown (h);

  objs = read_objects (path);
  fail_unless_equals_int (objs->len, 3);
  o = obj (objs, 0);
  fail_unless (json_object_get_null_member (o, "source_pts"));
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (o, "labels")), 0);
  fail_unless (json_object_get_boolean_member (obj (objs, 1), "fresh"));
  fail_if (json_object_get_boolean_member (obj (objs, 2), "fresh"));
  fail_unless_equals_int (json_object_get_int_member (obj (objs, 2),
          "age_frames"), 1);
  g_ptr_array_unref (objs);
  remove_temp (path);
}

GST_END_TEST;

/* Sets @desc's element to PAUSED; returns the ERROR message's text or NULL. */
static gchar *
start_error (const gchar * desc)
{
  GstElement *e = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GstStateChangeReturn ret;
  gchar *text = NULL;

  fail_unless (e != NULL);
  gst_element_set_bus (e, bus);
  ret = gst_element_set_state (e, GST_STATE_PAUSED);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError *error = NULL;

    gst_message_parse_error (msg, &error, NULL);
    text = g_strdup (error->message);
    g_error_free (error);
    gst_message_unref (msg);
    fail_unless_equals_int (ret, GST_STATE_CHANGE_FAILURE);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  return text;
}

GST_START_TEST (test_bad_settings)
{
  gchar *text;

  text = start_error ("mnv3publish mqtt-host=127.0.0.1 mqtt-topic=a/#");
  fail_unless (text && strstr (text, "a/#"), "%s", text);
  g_free (text);
  text = start_error ("mnv3publish mqtt-host=127.0.0.1 "
      "mqtt-topic=cams/+/{stream-id}");
  fail_unless (text && strstr (text, "Invalid MQTT topic"), "%s", text);
  g_free (text);
  text = start_error ("mnv3publish location=/nonexistent-dir/r.jsonl");
  fail_unless (text && strstr (text, "/nonexistent-dir/r.jsonl"), "%s", text);
  g_free (text);
  /* an unreachable broker is not an error: the element retries */
  text = start_error ("mnv3publish mqtt-host=127.0.0.1 mqtt-port=1 "
      "flush-timeout=0");
  fail_unless (text == NULL, "%s", text);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("mnv3publish", NULL);
  gchar *s;
  guint u;
  gint i;
  guint64 u64;

  fail_unless (e != NULL);
  g_object_get (e, "mqtt-topic", &s, "mqtt-qos", &u, "mqtt-port", &i,
      "dropped", &u64, NULL);
  fail_unless_equals_string (s, "mnv3/{stream-id}/{attribute}");
  fail_unless_equals_int (u, 1);
  fail_unless_equals_int (i, 1883);
  fail_unless_equals_uint64 (u64, 0);
  g_free (s);
  g_object_set (e, "stream-id", "cam7", "queue-size", 5, "max-files", 2,
      "max-file-size", (guint64) 4096, NULL);
  g_object_get (e, "stream-id", &s, "queue-size", &u, NULL);
  fail_unless_equals_string (s, "cam7");
  fail_unless_equals_int (u, 5);
  g_free (s);
  g_object_get (e, "max-file-size", &u64, "max-files", &u, NULL);
  fail_unless_equals_uint64 (u64, 4096);
  fail_unless_equals_int (u, 2);
  gst_object_unref (e);
}

GST_END_TEST;

static Suite *
mnv3publish_suite (void)
{
  Suite *s = suite_create ("mnv3publish");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_regions_and_attributes);
  tcase_add_test (tc, test_only_new_carried);
  tcase_add_test (tc, test_every_buffer);
  tcase_add_test (tc, test_bad_settings);
  tcase_add_test (tc, test_properties);
  return s;
}

GST_CHECK_MAIN (mnv3publish);
