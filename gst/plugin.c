/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plugin entry point of the "mnv3" plugin: registers the meta and elements.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>

#include "mnv3.h"
#include "gstmnv3classify.h"
#include "gstmnv3meta.h"
#include "gstmnv3publish.h"

/* libmnv3's messages (mnv3_set_log_func), GST_DEBUG=mnv3lib:5 */
GST_DEBUG_CATEGORY_STATIC (mnv3lib_debug);

static void
mnv3lib_log (GLogLevelFlags level, const char *message, void *user_data)
{
  GstDebugLevel gst_level;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    gst_level = GST_LEVEL_ERROR;
  else if (level & G_LOG_LEVEL_WARNING)
    gst_level = GST_LEVEL_WARNING;
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    gst_level = GST_LEVEL_INFO;
  else
    gst_level = GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG (mnv3lib_debug, gst_level, NULL, "%s", message);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  GST_DEBUG_CATEGORY_INIT (mnv3lib_debug, "mnv3lib", 0,
      "messages of libmnv3, the inference library");
  mnv3_set_log_func (mnv3lib_log, NULL);
  gst_mnv3_meta_register ();
  ret |= GST_ELEMENT_REGISTER (mnv3classify, plugin);
  ret |= GST_ELEMENT_REGISTER (mnv3publish, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mnv3,
    "MobileNetV3 image classification (libmnv3)", plugin_init, VERSION,
    GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
