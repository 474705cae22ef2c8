/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one result type: top-k, EMA smoothing, hysteresis, ROI matching and
 * freshness.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <string.h>

#include "mnv3.h"
#include "gstmnv3job.h"
#include "gstmnv3result.h"

/* an ROI meta gets the result of a classified region overlapping it by at
 * least this intersection over union (async: boxes move between frames) */
#define ROI_MATCH_IOU 0.5

/* No lock: the streaming thread owns the result (or whoever holds the
 * element with streaming stopped). */
struct _GstMnv3Result
{
  /* fixed from new () to free () */
  guint num_classes;
  const gchar *const *class_labels;     /* borrowed, num_classes */
  const gchar *model;           /* borrowed */
  gint *indices;                /* num_classes + 1, top-k scratch */

  /* smoothing and hysteresis (full frame) */
  gfloat *smooth;               /* num_classes: EMA of the probabilities */
  gboolean smooth_valid;
  GstClockTime smooth_pts;
  gint held_id;                 /* hysteresis: the top-1 being held, -1 */

  /* the result: the regions of the frame it comes from */
  gboolean valid;
  gboolean full_frame;
  guint64 frame;                /* frame counter of the source frame */
  GstClockTime pts;             /* and its PTS */
  gint64 inference_us;
  guint n_rois;
  guint alloc;
  GstVideoRectangle *boxes;     /* the regions asked for */
  GstVideoRectangle *used;      /* the regions the model saw */
  guint *n;                     /* results kept per region */
  gint *ids;                    /* alloc x num_classes */
  gdouble *scores;              /* alloc x num_classes */
  gint *top;                    /* alloc: top-1 of each */

  /* gst_mnv3_result_top_changed (): the top-1 list last reported */
  gint *posted_top;             /* alloc */
  guint posted_n;
  gint last_posted_id;          /* full frame; -2 = nothing yet */

  /* gst_mnv3_result_match (): the ROI metas of one frame */
  GstVideoRegionOfInterestMeta **match_metas;
  GstMnv3ResultView *match_views;
  guint match_alloc;
};

static void
gst_mnv3_result_reserve (GstMnv3Result * r, guint n)
{
  guint c = r->num_classes;

  if (n <= r->alloc)
    return;
  n = MAX (n, 2 * r->alloc);
  r->boxes = g_renew (GstVideoRectangle, r->boxes, n);
  r->used = g_renew (GstVideoRectangle, r->used, n);
  r->n = g_renew (guint, r->n, n);
  r->ids = g_renew (gint, r->ids, (gsize) n * c);
  r->scores = g_renew (gdouble, r->scores, (gsize) n * c);
  r->top = g_renew (gint, r->top, n);
  r->posted_top = g_renew (gint, r->posted_top, n);
  r->alloc = n;
}

/**
 * gst_mnv3_result_new:
 * @class_labels: one label per output; borrowed, must outlive the result
 * @model: the architecture name; borrowed
 *
 * Returns: an empty result for a model with @num_classes outputs.
 */
GstMnv3Result *
gst_mnv3_result_new (guint num_classes, const gchar * const *class_labels,
    const gchar * model)
{
  GstMnv3Result *r = g_new0 (GstMnv3Result, 1);

  r->num_classes = num_classes;
  r->class_labels = class_labels;
  r->model = model;
  r->indices = g_new0 (gint, num_classes + 1);
  r->smooth = g_new0 (gfloat, num_classes);
  gst_mnv3_result_reserve (r, 1);
  gst_mnv3_result_reset (r);
  return r;
}

void
gst_mnv3_result_free (GstMnv3Result * r)
{
  if (r == NULL)
    return;
  g_free (r->indices);
  g_free (r->smooth);
  g_free (r->boxes);
  g_free (r->used);
  g_free (r->n);
  g_free (r->ids);
  g_free (r->scores);
  g_free (r->top);
  g_free (r->posted_top);
  g_free (r->match_metas);
  g_free (r->match_views);
  g_free (r);
}

/**
 * gst_mnv3_result_reset:
 *
 * Forgets the result and everything derived from it (smoothing, the held
 * top-1, what was reported): after a flush, a caps change or a new crop.
 */
void
gst_mnv3_result_reset (GstMnv3Result * r)
{
  r->valid = FALSE;
  r->n_rois = 0;
  r->frame = 0;
  r->pts = GST_CLOCK_TIME_NONE;
  r->inference_us = 0;
  r->posted_n = 0;
  r->last_posted_id = -2;
  r->smooth_valid = FALSE;
  r->smooth_pts = GST_CLOCK_TIME_NONE;
  r->held_id = -1;
}

/* Top-k of @scores into region @i. With a hysteresis margin, the held top-1
 * stays first while no other class beats it by more than the margin (its
 * score may then be below the second one's). */
static void
gst_mnv3_result_select (GstMnv3Result * r, guint i, const gfloat * scores,
    guint top_k, gfloat threshold, gdouble hysteresis, gboolean hold)
{
  gint *ids = r->ids + (gsize) i * r->num_classes;
  gdouble *out = r->scores + (gsize) i * r->num_classes;
  guint k = MIN (top_k, r->num_classes), n, j, m = 0;
  gint first = -1;

  n = mnv3_top_k (scores, r->num_classes, MIN (k + 1, r->num_classes),
      r->indices);
  if (hold && r->held_id >= 0 && n > 0 && r->indices[0] != r->held_id
      && scores[r->held_id] + hysteresis >= scores[r->indices[0]])
    first = r->held_id;

  if (first >= 0 && scores[first] >= threshold) {
    ids[m] = first;
    out[m] = scores[first];
    m++;
  }
  for (j = 0; j < n && m < k; j++) {
    gint id = r->indices[j];

    if (id == first)
      continue;
    if (scores[id] < threshold)
      break;                    /* best first: the rest are lower */
    ids[m] = id;
    out[m] = scores[id];
    m++;
  }
  r->n[i] = m;
  r->top[i] = m ? ids[0] : -1;
  if (hold)
    r->held_id = r->top[i];
}

/* EMA of @probs into r->smooth; the weight of the new result is
 * 1 - exp (-dt / tau), dt the stream time between the frames the two
 * results come from. */
static const gfloat *
gst_mnv3_result_smooth (GstMnv3Result * r, const gfloat * probs,
    GstClockTime pts, const GstMnv3ResultParams * p)
{
  gdouble dt, alpha = 1.0;
  guint j;

  if (r->smooth_valid) {
    if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (r->smooth_pts)
        && pts > r->smooth_pts)
      dt = (gdouble) (pts - r->smooth_pts) / GST_SECOND;
    else
      dt = p->frame_duration;
    alpha = -expm1 (-dt / p->smoothing_time);
  }
  for (j = 0; j < r->num_classes; j++)
    r->smooth[j] += (gfloat) alpha *(probs[j] - r->smooth[j]);
  r->smooth_valid = TRUE;
  r->smooth_pts = pts;
  return r->smooth;
}

/**
 * gst_mnv3_result_take:
 *
 * Makes the finished @job the result: smoothing and hysteresis (full frame
 * only), then top-k and the threshold per region.
 */
void
gst_mnv3_result_take (GstMnv3Result * r, const GstMnv3Job * job,
    const GstMnv3ResultParams * p)
{
  guint i;

  g_return_if_fail (job->num_classes == r->num_classes);
  gst_mnv3_result_reserve (r, MAX (job->n_rois, 1));
  for (i = 0; i < job->n_rois; i++) {
    const gfloat *probs = job->probs + (gsize) i * r->num_classes;

    if (G_UNLIKELY (job->nonfinite != NULL && job->nonfinite[i])) {
      /* NaN or inf from the model: no labels, as under the threshold; the
       * smoothing state and the held label are left alone */
      r->n[i] = 0;
      r->top[i] = -1;
      r->boxes[i] = job->boxes[i];
      r->used[i] = job->used[i];
      continue;
    }
    if (job->full_frame && p->ema)
      probs = gst_mnv3_result_smooth (r, probs, job->pts, p);
    gst_mnv3_result_select (r, i, probs, p->top_k, p->threshold,
        job->full_frame ? p->hysteresis : 0.0, job->full_frame);
    r->boxes[i] = job->boxes[i];
    r->used[i] = job->used[i];
  }
  r->n_rois = job->n_rois;
  r->full_frame = job->full_frame;
  r->frame = job->frame;
  r->pts = job->pts;
  r->inference_us = job->inference_us;
  r->valid = TRUE;
}

/* TRUE once a job was taken (and not reset since). */
gboolean
gst_mnv3_result_is_valid (const GstMnv3Result * r)
{
  return r->valid;
}

gboolean
gst_mnv3_result_is_full_frame (const GstMnv3Result * r)
{
  return r->full_frame;
}

guint
gst_mnv3_result_get_n_regions (const GstMnv3Result * r)
{
  return r->n_rois;
}

/* The frame counter of the frame the result comes from. */
guint64
gst_mnv3_result_get_frame (const GstMnv3Result * r)
{
  return r->frame;
}

GstClockTime
gst_mnv3_result_get_pts (const GstMnv3Result * r)
{
  return r->pts;
}

/**
 * gst_mnv3_result_get_top:
 * @score: (out) (optional): its score, 0 when there is none
 *
 * Returns: (nullable): the top-1 label of the full frame (or the first
 * region), %NULL when there is none.
 */
const gchar *
gst_mnv3_result_get_top (const GstMnv3Result * r, gdouble * score)
{
  gboolean any = r->valid && r->n_rois > 0 && r->n[0] > 0;

  if (score)
    *score = any ? r->scores[0] : 0.0;
  return any ? r->class_labels[r->ids[0]] : NULL;
}

/**
 * gst_mnv3_result_top_changed:
 *
 * Compares the top-1 class (full frame) or the list of top-1 classes in
 * region order (regions have no identity across frames) with the one of
 * the previous call, and remembers this one (message=on-change).
 *
 * Returns: %TRUE when it changed, and on the first call after a reset.
 */
gboolean
gst_mnv3_result_top_changed (GstMnv3Result * r)
{
  gboolean changed;

  if (r->full_frame) {
    changed = r->top[0] != r->last_posted_id;
    r->last_posted_id = r->top[0];
  } else {
    changed = r->posted_n != r->n_rois
        || memcmp (r->posted_top, r->top, r->n_rois * sizeof (gint)) != 0;
    memcpy (r->posted_top, r->top, r->n_rois * sizeof (gint));
    r->posted_n = r->n_rois;
  }
  return changed;
}

/**
 * gst_mnv3_result_get_view:
 * @region: < gst_mnv3_result_get_n_regions ()
 * @frame_idx: the frame counter of the frame that will carry it
 *
 * Fills @view with region @region as seen from frame @frame_idx. Its roi is
 * the part of the frame the model saw (full frame) or the box asked for.
 */
void
gst_mnv3_result_get_view (const GstMnv3Result * r, guint region,
    guint64 frame_idx, GstMnv3ResultView * view)
{
  g_return_if_fail (region < r->n_rois);
  view->n = r->n[region];
  view->class_ids = r->ids + (gsize) region *r->num_classes;
  view->scores = r->scores + (gsize) region *r->num_classes;
  view->class_labels = r->class_labels;
  view->age_frames = frame_idx - r->frame;
  view->fresh = view->age_frames == 0;
  view->source_pts = r->pts;
  view->inference_us = r->inference_us;
  view->model = r->model;
  view->roi = r->full_frame ? r->used[region] : r->boxes[region];
}

/**
 * gst_mnv3_result_get_frame_view:
 *
 * Full frame: the result as seen from frame @frame_idx, or before the first
 * result (async) an empty one over the whole @width x @height frame, so
 * that every buffer carries the meta.
 */
void
gst_mnv3_result_get_frame_view (const GstMnv3Result * r, guint64 frame_idx,
    gint width, gint height, GstMnv3ResultView * view)
{
  if (r->valid && r->n_rois == 1) {
    gst_mnv3_result_get_view (r, 0, frame_idx, view);
    view->roi = r->used[0];
    return;
  }
  memset (view, 0, sizeof (*view));
  view->class_labels = r->class_labels;
  view->source_pts = GST_CLOCK_TIME_NONE;
  view->model = r->model;
  view->roi.w = width;
  view->roi.h = height;
}

/* Intersection over union of two rectangles, 0..1. */
static gdouble
rect_iou (const GstVideoRectangle * a, const GstVideoRectangle * b)
{
  gint64 x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  gint64 x1 = MIN ((gint64) a->x + a->w, (gint64) b->x + b->w);
  gint64 y1 = MIN ((gint64) a->y + a->h, (gint64) b->y + b->h);
  gdouble inter, uni;

  if (x1 <= x0 || y1 <= y0)
    return 0.0;
  inter = (gdouble) (x1 - x0) * (y1 - y0);
  uni = (gdouble) a->w * a->h + (gdouble) b->w * b->h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

/* The region that overlaps @box best (IoU >= ROI_MATCH_IOU), or -1. */
static gint
gst_mnv3_result_best_region (const GstMnv3Result * r,
    const GstVideoRectangle * box)
{
  gdouble best = ROI_MATCH_IOU;
  gint best_j = -1;
  guint j;

  for (j = 0; j < r->n_rois; j++) {
    gdouble iou = rect_iou (box, &r->boxes[j]);

    if (iou >= best && (best_j < 0 || iou > best)) {
      best = iou;
      best_j = j;
    }
  }
  return best_j;
}

/**
 * gst_mnv3_result_match:
 * @filter: which ROI metas take part
 * @frame_idx: the frame counter of @buffer
 *
 * roi-meta: gives each accepted ROI meta of @buffer the result of the
 * region that overlaps it best (IoU >= 0.5; the same box when the model ran
 * on this frame). The views' roi is the ROI meta's box.
 *
 * Returns: the number of matches, read with gst_mnv3_result_get_match ()
 * until the next call.
 */
guint
gst_mnv3_result_match (GstMnv3Result * r, GstBuffer * buffer,
    const GstMnv3RoiFilter * filter, guint64 frame_idx)
{
  gpointer state = NULL;
  GstMeta *m;
  guint n = 0;

  if (!r->valid)
    return 0;
  while ((m = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *rm = (GstVideoRegionOfInterestMeta *) m;
    GstVideoRectangle box = { rm->x, rm->y, rm->w, rm->h };
    gint j;

    if (!gst_mnv3_roi_filter_accepts (filter, rm))
      continue;
    j = gst_mnv3_result_best_region (r, &box);
    if (j < 0)
      continue;
    if (n + 1 > r->match_alloc) {
      r->match_alloc = MAX (8, 2 * r->match_alloc);
      r->match_metas = g_renew (GstVideoRegionOfInterestMeta *,
          r->match_metas, r->match_alloc);
      r->match_views = g_renew (GstMnv3ResultView, r->match_views,
          r->match_alloc);
    }
    r->match_metas[n] = rm;
    gst_mnv3_result_get_view (r, j, frame_idx, &r->match_views[n]);
    r->match_views[n].roi = box;
    n++;
  }
  return n;
}

/**
 * gst_mnv3_result_get_match:
 * @view: (out): the match's view
 *
 * Returns: the @i th ROI meta of the last gst_mnv3_result_match ().
 */
GstVideoRegionOfInterestMeta *
gst_mnv3_result_get_match (const GstMnv3Result * r, guint i,
    const GstMnv3ResultView ** view)
{
  *view = &r->match_views[i];
  return r->match_metas[i];
}

/* All views of the last gst_mnv3_result_match (), in order. */
const GstMnv3ResultView *
gst_mnv3_result_get_match_views (const GstMnv3Result * r)
{
  return r->match_views;
}
