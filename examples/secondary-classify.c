/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: mnv3classify as a secondary classifier. A pad probe stands in for
 * an object detector and attaches one GstVideoRegionOfInterestMeta per
 * "detection"; mnv3classify roi-source=roi-meta classifies each region and
 * adds a "classification" param to its ROI meta; a second probe prints them.
 * Cascaded classifiers with another attribute-name (e.g. "color" and
 * "make" on the same car boxes) add params of those names, printed one per
 * line under their box (overlay=false on all but the last classifier, so
 * that the next one sees the camera's pixels, not the labels drawn on them):
 *
 *   mnv3-secondary-classify "videotestsrc num-buffers=3 ! identity
 *       name=detector ! mnv3classify roi-source=roi-meta attribute-name=color
 *       overlay=false
 *       ! mnv3classify roi-source=roi-meta attribute-name=make
 *       ! fakesink name=sink"
 *
 *   mnv3-secondary-classify [PIPELINE [X,Y,W,H[:TYPE]]...]
 *
 * PIPELINE must contain an element named "detector" (its src pad gets the
 * ROIs: a real application would put its detector there) and one named
 * "sink". Without ROI arguments, two fixed boxes are used: the left half and
 * the bottom-right quarter of the frame. The default pipeline is
 *   videotestsrc num-buffers=10 ! video/x-raw,width=640,height=480
 *   ! identity name=detector ! mnv3classify roi-source=roi-meta
 *   ! fakesink name=sink
 */
#include <stdio.h>
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>

typedef struct
{
  gint x, y, w, h;              /* pixels; w == 0: derived from the frame */
  gchar *type;
} Box;

static GArray *boxes;           /* of Box */

/* The stand-in detector: attach one ROI meta per box, as a detector element
 * such as DL Streamer's gvadetect does. */
static GstPadProbeReturn
detect (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoRegionOfInterestMeta *roi;
  GstVideoInfo vinfo;
  GstCaps *caps;
  guint i;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL || !gst_video_info_from_caps (&vinfo, caps)) {
    g_clear_pointer (&caps, gst_caps_unref);
    return GST_PAD_PROBE_OK;
  }
  gst_caps_unref (caps);

  buf = gst_buffer_make_writable (buf);
  for (i = 0; i < boxes->len; i++) {
    Box *b = &g_array_index (boxes, Box, i);
    gint x = b->x, y = b->y, w = b->w, h = b->h;

    if (w == 0) {               /* default boxes, relative to the frame */
      x = i == 0 ? 0 : GST_VIDEO_INFO_WIDTH (&vinfo) / 2;
      y = i == 0 ? 0 : GST_VIDEO_INFO_HEIGHT (&vinfo) / 2;
      w = GST_VIDEO_INFO_WIDTH (&vinfo) / 2;
      h = GST_VIDEO_INFO_HEIGHT (&vinfo) / (i == 0 ? 1 : 2);
    }
    roi = gst_buffer_add_video_region_of_interest_meta (buf, b->type, x, y,
        w, h);
    /* ids tell the regions apart (mnv3classify's per-region custom meta
     * refers to them by `roi-id`); gst_buffer_add_..._meta sets 0 */
    roi->id = (gint) i + 1;
  }
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* One classifier's result: "ID \"LABEL\" CONFIDENCE". */
static void
print_param (const GstStructure * s)
{
  const gchar *label = gst_structure_get_string (s, "label");
  gint label_id = -1;
  gdouble confidence = 0.0;

  gst_structure_get_int (s, "label_id", &label_id);
  gst_structure_get_double (s, "confidence", &confidence);
  g_print ("%d \"%s\" %.3f\n", label_id, label ? label : "", confidence);
}

/* What an application downstream does: read each ROI's classification
 * ("classification" param), then the results of classifiers with another
 * attribute-name (the other params that have a "label"). */
static GstPadProbeReturn
print_rois (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer state = NULL;
  GstMeta *m;

  g_print ("%" GST_TIME_FORMAT "\n", GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *s =
        gst_video_region_of_interest_meta_get_param (roi, "classification");
    GList *l;

    g_print ("  roi %d %s %u,%u %ux%u: ", roi->id,
        g_quark_to_string (roi->roi_type), roi->x, roi->y, roi->w, roi->h);
    if (s != NULL)
      print_param (s);
    else
      g_print ("%s\n", roi->params ? "other attributes" : "not classified");
    for (l = roi->params; l; l = l->next) {
      if (l->data == s || !gst_structure_has_field (l->data, "label"))
        continue;
      g_print ("    %s: ", gst_structure_get_name (l->data));
      print_param (l->data);
    }
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
parse_box (const gchar * arg, Box * b)
{
  const gchar *colon = strchr (arg, ':');

  memset (b, 0, sizeof (*b));
  if (sscanf (arg, "%d,%d,%d,%d", &b->x, &b->y, &b->w, &b->h) != 4
      || b->x < 0 || b->y < 0 || b->w <= 0 || b->h <= 0)
    return FALSE;
  b->type = g_strdup (colon ? colon + 1 : "object");
  return TRUE;
}

int
main (int argc, char **argv)
{
  const gchar *desc = "videotestsrc num-buffers=10 ! "
      "video/x-raw,width=640,height=480 ! identity name=detector ! "
      "mnv3classify roi-source=roi-meta ! fakesink name=sink";
  GstElement *pipeline, *detector, *sink;
  GstPad *pad;
  GstMessage *msg;
  GError *err = NULL;
  gint i, ret = 0;

  gst_init (&argc, &argv);
  if (argc > 1)
    desc = argv[1];

  boxes = g_array_new (FALSE, TRUE, sizeof (Box));
  for (i = 2; i < argc; i++) {
    Box b;

    if (!parse_box (argv[i], &b)) {
      g_printerr ("Bad box \"%s\": want X,Y,W,H[:TYPE]\n", argv[i]);
      return 2;
    }
    g_array_append_val (boxes, b);
  }
  if (boxes->len == 0) {
    Box b = { 0, 0, 0, 0, NULL };

    b.type = g_strdup ("left-half");
    g_array_append_val (boxes, b);
    b.type = g_strdup ("bottom-right");
    g_array_append_val (boxes, b);
  }

  pipeline = gst_parse_launch (desc, &err);
  if (pipeline == NULL) {
    g_printerr ("Bad pipeline: %s\n", err->message);
    g_clear_error (&err);
    return 1;
  }
  detector = gst_bin_get_by_name (GST_BIN (pipeline), "detector");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  if (detector == NULL || sink == NULL) {
    g_printerr ("The pipeline needs elements named \"detector\" and "
        "\"sink\"\n");
    return 1;
  }
  pad = gst_element_get_static_pad (detector, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, detect, NULL, NULL);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, print_rois, NULL, NULL);
  gst_object_unref (pad);
  gst_object_unref (detector);
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

  for (i = 0; i < (gint) boxes->len; i++)
    g_free (g_array_index (boxes, Box, i).type);
  g_array_free (boxes, TRUE);
  return ret;
}
