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

#include "gstmnv3classify.h"
#include "gstmnv3meta.h"
#include "gstmnv3publish.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  gst_mnv3_meta_register ();
  ret |= GST_ELEMENT_REGISTER (mnv3classify, plugin);
  ret |= GST_ELEMENT_REGISTER (mnv3publish, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, mnv3,
    "MobileNetV3 image classification (libmnv3)", plugin_init, VERSION,
    GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
