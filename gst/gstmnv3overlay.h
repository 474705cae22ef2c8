/* mnv3classify: classification results drawn as a video overlay
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Renders "label 87.5%" lines with a built-in bitmap font into a
 * GstVideoOverlayComposition (attached as meta or blended by the element).
 */
#ifndef __GST_MNV3_OVERLAY_H__
#define __GST_MNV3_OVERLAY_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "gstmnv3result.h"

G_BEGIN_DECLS

gint                        gst_mnv3_overlay_score_permille (gfloat score);
gint                        gst_mnv3_overlay_format_line (gchar * out, gint cap,
                                                          const gchar * label,
                                                          gfloat score);

GstVideoOverlayComposition *gst_mnv3_overlay_render (const gchar * const *labels,
                                                     const gfloat * scores,
                                                     guint n,
                                                     gint frame_width,
                                                     gint frame_height,
                                                     const GstVideoRectangle * box);

typedef struct _GstMnv3OverlayCanvas GstMnv3OverlayCanvas;

GstMnv3OverlayCanvas       *gst_mnv3_overlay_canvas_new   (const GstVideoInfo * info);
guint                       gst_mnv3_overlay_canvas_set   (GstMnv3OverlayCanvas * c,
                                                           const gchar * const *labels,
                                                           const gfloat * scores,
                                                           guint n);
gboolean                    gst_mnv3_overlay_canvas_blend (GstMnv3OverlayCanvas * c,
                                                           GstVideoFrame * frame);
void                        gst_mnv3_overlay_canvas_free  (GstMnv3OverlayCanvas * c);

/* the policy: what to draw from a result, and whether to attach or blend */
typedef struct _GstMnv3OverlayPolicy GstMnv3OverlayPolicy;

GstMnv3OverlayPolicy       *gst_mnv3_overlay_policy_new     (GstObject * owner);
void                        gst_mnv3_overlay_policy_free    (GstMnv3OverlayPolicy * p);
void                        gst_mnv3_overlay_policy_reset   (GstMnv3OverlayPolicy * p);
void                        gst_mnv3_overlay_policy_recheck (GstMnv3OverlayPolicy * p);
void                        gst_mnv3_overlay_policy_draw    (GstMnv3OverlayPolicy * p,
                                                             const GstMnv3ResultView * view,
                                                             GstVideoFrame * frame,
                                                             GstPad * srcpad);
void                        gst_mnv3_overlay_policy_draw_regions (GstMnv3OverlayPolicy * p,
                                                             const GstMnv3ResultView * views,
                                                             guint n,
                                                             GstVideoFrame * frame,
                                                             GstPad * srcpad);

G_END_DECLS

#endif /* __GST_MNV3_OVERLAY_H__ */
