/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: run a pipeline with mnv3classify and print the classification of
 * every frame, read with the header-only helpers of mnv3classify-meta.h.
 *
 *   read-meta [PIPELINE]
 *
 * PIPELINE must contain an element named "sink"; the default is
 *   videotestsrc num-buffers=30 ! mnv3classify ! fakesink name=sink
 */
#include <gst/gst.h>

#include "mnv3classify-meta.h"

static GstPadProbeReturn
print_result (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstCustomMeta *meta = gst_mnv3_classification_get (buf);
  guint i, n;

  if (meta == NULL) {
    g_print ("%" GST_TIME_FORMAT ": no classification\n",
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
    return GST_PAD_PROBE_OK;
  }

  n = gst_mnv3_classification_get_n_results (meta);
  g_print ("%" GST_TIME_FORMAT " %s:", GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
      gst_mnv3_classification_is_fresh (meta) ? "fresh" : "carried");
  for (i = 0; i < n; i++)
    g_print ("%s %d \"%s\" %.3f", i ? "," : "",
        gst_mnv3_classification_get_class_id (meta, i),
        gst_mnv3_classification_get_label (meta, i),
        gst_mnv3_classification_get_score (meta, i));
  g_print ("\n");
  return GST_PAD_PROBE_OK;
}

int
main (int argc, char **argv)
{
  const gchar *desc = "videotestsrc num-buffers=30 ! mnv3classify ! "
      "fakesink name=sink";
  GstElement *pipeline, *sink;
  GstPad *pad;
  GstMessage *msg;
  GError *err = NULL;
  gint ret = 0;

  gst_init (&argc, &argv);
  if (argc > 1)
    desc = argv[1];

  pipeline = gst_parse_launch (desc, &err);
  if (pipeline == NULL) {
    g_printerr ("Bad pipeline: %s\n", err->message);
    g_clear_error (&err);
    return 1;
  }
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (sink == NULL) {
    g_printerr ("The pipeline needs an element named \"sink\"\n");
    gst_object_unref (pipeline);
    return 1;
  }
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, print_result, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (sink);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    g_printerr ("Error: %s\n%s\n", err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
    ret = 1;
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ret;
}
