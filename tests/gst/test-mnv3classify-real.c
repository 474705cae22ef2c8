/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GstHarness tests of mnv3classify with the real ImageNet-pretrained
 * MobileNetV3 models: the top-1 for real photos pushed as RGB, I420, NV12
 * and YUY2 frames must equal TensorFlow Lite's top-1.
 */
#include <string.h>
#include <sys/wait.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "mnv3classify-meta.h"
#include "mnv3-test.h"

static const gchar *models[] = {
  "v3-small_224_1.0_uint8",
  "v3-large-minimalistic_224_1.0_uint8",
};

static const gchar *images[] = { "cat", "bird", "grace_hopper" };

static const gchar *formats[] = { "RGB", "I420", "NV12", "YUY2" };

static gchar *data_dir;         /* .../mobilenet_v3 */
static gchar *model_paths[G_N_ELEMENTS (models)];

/* Converts the .tflite with models/convert.py (through real-model.py, which
 * caches the result in the build tree). Returns NULL and sets @skip when the
 * data is absent. */
static gchar *
convert_model (const gchar * name, gboolean * skip)
{
  const gchar *src = g_getenv ("MNV3_SOURCE_ROOT");
  gchar *script, *out = NULL, *err = NULL;
  gint status = 0;
  GError *error = NULL;
  gchar *argv[4];

  script = g_build_filename (src ? src : ".", "tests", "gst", "real-model.py",
      NULL);
  argv[0] = (gchar *) "/usr/bin/python3";
  argv[1] = script;
  argv[2] = (gchar *) name;
  argv[3] = NULL;
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
          &status, &error)) {
    g_printerr ("cannot run %s: %s\n", script, error->message);
    g_clear_error (&error);
    g_free (script);
    return NULL;
  }
  g_free (script);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77) {
    g_printerr ("%s", err);
    *skip = TRUE;
    g_free (out);
    g_free (err);
    return NULL;
  }
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    g_printerr ("converting %s failed: %s\n", name, err);
    g_free (out);
    g_free (err);
    return NULL;
  }
  g_free (err);
  return g_strstrip (out);
}

/* TFLite's top-1 for @image from reference/<model>.reference.json. */
static gint
tflite_top1 (const gchar * model, const gchar * image, gdouble * score)
{
  gchar *file = g_strdup_printf ("%s.reference.json", model);
  gchar *path = g_build_filename (data_dir, "reference", file, NULL);
  gchar *want = g_strdup_printf ("images/%s.bmp", image);
  JsonParser *parser = json_parser_new ();
  JsonArray *arr;
  GError *err = NULL;
  gint top = -1;
  guint i;

  fail_unless (json_parser_load_from_file (parser, path, &err), "%s: %s",
      path, err ? err->message : "?");
  arr = json_object_get_array_member (json_node_get_object (json_parser_get_root
          (parser)), "images");
  for (i = 0; i < json_array_get_length (arr); i++) {
    JsonObject *o = json_array_get_object_element (arr, i);
    JsonArray *best;

    if (!g_str_equal (json_object_get_string_member (o, "image"), want))
      continue;
    best = json_array_get_array_element (json_object_get_array_member
        (json_object_get_object_member (o, "tflite"), "top5"), 0);
    top = json_array_get_int_element (best, 0);
    *score = json_array_get_double_element (best, 3);
  }
  fail_unless (top >= 0, "%s not in %s", want, path);
  g_object_unref (parser);
  g_free (want);
  g_free (path);
  g_free (file);
  return top;
}

/* A 24-bit uncompressed BMP (BITMAPINFOHEADER or later), bottom-up or
 * top-down, as an RGB GstBuffer. */
static GstBuffer *
load_bmp (const gchar * path, gint * width, gint * height)
{
  gchar *data;
  gsize len;
  guint32 off, compression;
  gint32 w, h;
  guint16 bpp;
  gint y, x, row_bytes;
  gboolean bottom_up;
  GstBuffer *buf;
  GstMapInfo map;

  fail_unless (g_file_get_contents (path, &data, &len, NULL), "%s", path);
  fail_unless (len > 54 && data[0] == 'B' && data[1] == 'M');
  off = GST_READ_UINT32_LE (data + 10);
  w = GST_READ_UINT32_LE (data + 18);
  h = GST_READ_UINT32_LE (data + 22);
  bpp = GST_READ_UINT16_LE (data + 28);
  compression = GST_READ_UINT32_LE (data + 30);
  fail_unless (bpp == 24 && compression == 0, "%s: %u bpp, compression %u",
      path, bpp, compression);
  bottom_up = h > 0;
  h = ABS (h);
  row_bytes = (w * 3 + 3) & ~3;
  fail_unless (off + (gsize) row_bytes * h <= len, "%s truncated", path);

  buf = gst_buffer_new_and_alloc ((gsize) w * h * 3);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (y = 0; y < h; y++) {
    const guint8 *src = (const guint8 *) data + off +
        (gsize) row_bytes * (bottom_up ? h - 1 - y : y);
    guint8 *dst = map.data + (gsize) y * w * 3;

    for (x = 0; x < w; x++) {
      dst[3 * x + 0] = src[3 * x + 2];
      dst[3 * x + 1] = src[3 * x + 1];
      dst[3 * x + 2] = src[3 * x + 0];
    }
  }
  gst_buffer_unmap (buf, &map);
  g_free (data);
  *width = w;
  *height = h;
  return buf;
}

/* @rgb converted to @format with GStreamer's own GstVideoConverter. */
static GstBuffer *
convert_frame (GstBuffer * rgb, gint w, gint h, const gchar * format)
{
  GstVideoInfo in, out;
  GstVideoFrame fin, fout;
  GstVideoConverter *conv;
  GstBuffer *buf;

  gst_video_info_set_format (&in, GST_VIDEO_FORMAT_RGB, w, h);
  gst_video_info_set_format (&out, gst_video_format_from_string (format), w, h);
  if (GST_VIDEO_INFO_FORMAT (&out) == GST_VIDEO_FORMAT_RGB)
    return gst_buffer_copy_deep (rgb);
  buf = gst_buffer_new_and_alloc (GST_VIDEO_INFO_SIZE (&out));
  fail_unless (gst_video_frame_map (&fin, &in, rgb, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fout, &out, buf, GST_MAP_WRITE));
  conv = gst_video_converter_new (&in, &out, NULL);
  gst_video_converter_frame (conv, &fin, &fout);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&fin);
  gst_video_frame_unmap (&fout);
  return buf;
}

GST_START_TEST (test_real_top1)
{
  gchar *labels = g_build_filename (data_dir, "labels",
      "imagenet_labels_1001.txt", NULL);
  guint m, i, f, failures = 0;

  for (m = 0; m < G_N_ELEMENTS (models); m++) {
    for (i = 0; i < G_N_ELEMENTS (images); i++) {
      gchar *file = g_strdup_printf ("%s.bmp", images[i]);
      gchar *path = g_build_filename (data_dir, "images", file, NULL);
      gdouble want_score = 0.0;
      gint want = tflite_top1 (models[m], images[i], &want_score);
      gint w, h;
      GstBuffer *rgb = load_bmp (path, &w, &h);

      for (f = 0; f < G_N_ELEMENTS (formats); f++) {
        /* the harness answers LATENCY queries as a live source: ask for the
         * deterministic sync mode */
        gchar *desc = g_strdup_printf ("mnv3classify mode=sync "
            "model-file=\"%s\" "
            "labels-file=\"%s\" crop-mode=stretch overlay=false",
            model_paths[m], labels);
        gchar *caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
            "height=%d,framerate=0/1", formats[f], w, h);
        GstHarness *hn = gst_harness_new_parse (desc);
        GstBuffer *out;
        GstCustomMeta *meta;
        gint got;

        gst_harness_set_src_caps_str (hn, caps);
        out = gst_harness_push_and_pull (hn, convert_frame (rgb, w, h,
                formats[f]));
        meta = gst_mnv3_classification_get (out);
        fail_unless (meta != NULL);
        got = gst_mnv3_classification_get_class_id (meta, 0);
        g_print ("%-36s %-13s %-4s top-1 %3d %-20.20s %.3f | tflite %3d %.3f"
            " %s\n", models[m], images[i], formats[f], got,
            gst_mnv3_classification_get_label (meta, 0),
            gst_mnv3_classification_get_score (meta, 0), want, want_score,
            got == want ? "OK" : "MISMATCH");
        if (got != want)
          failures++;
        gst_buffer_unref (out);
        gst_harness_teardown (hn);
        g_free (caps);
        g_free (desc);
      }
      gst_buffer_unref (rgb);
      g_free (path);
      g_free (file);
    }
  }
  g_free (labels);
  fail_unless_equals_int (failures, 0);
}

GST_END_TEST;

static Suite *
mnv3classify_real_suite (void)
{
  Suite *s = suite_create ("mnv3classify-real");
  TCase *tc = tcase_create ("real");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_real_top1);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *shared;
  gboolean skip = FALSE;
  guint m;
  gint ret;

  gst_check_init (&argc, &argv);

  shared = mnv3_test_shared_data ();
  if (shared == NULL || shared[0] == '\0') {
    g_print ("SKIP: no shared data folder (set MNV3_SHARED_DATA)\n");
    return 77;
  }
  data_dir = g_build_filename (shared, "mobilenet_v3", NULL);
  if (!g_file_test (data_dir, G_FILE_TEST_IS_DIR)) {
    g_print ("SKIP: %s not found (set MNV3_SHARED_DATA)\n", data_dir);
    return 77;
  }
  for (m = 0; m < G_N_ELEMENTS (models); m++) {
    model_paths[m] = convert_model (models[m], &skip);
    if (model_paths[m] == NULL) {
      if (skip) {
        g_print ("SKIP: %s is not available\n", models[m]);
        return 77;
      }
      return 1;
    }
  }

  ret = gst_check_run_suite (mnv3classify_real_suite (), "mnv3classify-real",
      __FILE__);
  for (m = 0; m < G_N_ELEMENTS (models); m++)
    g_free (model_paths[m]);
  g_free (data_dir);
  return ret;
}
