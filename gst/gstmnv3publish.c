/* mnv3classify: GStreamer MobileNetV3 classification
 * Copyright (C) 2026 mnv3classify developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The mnv3publish element: writes every Mnv3Classification result as one
 * JSON object per line to a file (or stdout, or a rotating file) and to an
 * MQTT broker, from its own thread, never blocking the video.
 */

/**
 * SECTION:element-mnv3publish
 * @title: mnv3publish
 *
 * A passthrough element placed after one or more mnv3classify elements. For
 * every "Mnv3Classification" meta on a buffer (one per classified region
 * with `roi-source=roi-meta`, one per classifier with different
 * `attribute-name`s) it writes one JSON object:
 *
 * - as one line to #GstMnv3Publish:location (a file, `-` for stdout), which
 *   rotates when #GstMnv3Publish:max-file-size is set;
 * - as one message to the MQTT broker at #GstMnv3Publish:mqtt-host, on the
 *   topic made from #GstMnv3Publish:mqtt-topic.
 *
 * The object is described by the JSON Schema `docs/mnv3publish.schema.json`
 * (installed in the data folder):
 * |[
 * {"stream_id":"cam1","seq":41,"pts":1366666666,"running_time":1366666666,
 *  "wall_time":"2026-12-04T16:47:18.123456Z","attribute":"classification",
 *  "model":"small","labels":["tabby","tiger cat"],"class_ids":[282,283],
 *  "scores":[0.61,0.2],"roi":{"x":0,"y":0,"width":640,"height":480},
 *  "roi_id":0,"fresh":true,"age_frames":0,"source_pts":1366666666,
 *  "inference_us":5120,"dropped":0}
 * ]|
 * Times are nanoseconds (`pts`, `running_time`, `source_pts`; %NULL when
 * unknown) except `wall_time` (UTC, ISO 8601, microseconds, taken when the
 * buffer passed) and `inference_us`. `seq` counts the results of this
 * element from 0; `dropped` is the number of results this output (the file
 * or the broker) had to drop before this one, so a reader can tell a gap
 * from a loss it was told about.
 *
 * Never blocking the video: the streaming thread only turns the meta into
 * JSON and appends it to two bounded queues (#GstMnv3Publish:queue-size
 * results each). One thread per element writes the file and talks to the
 * broker (libmosquitto, driven by a poll loop). When the broker is away or
 * slow, the oldest queued results are dropped and counted
 * (#GstMnv3Publish:dropped, and `dropped` in every later object); the element
 * reconnects with exponential backoff (#GstMnv3Publish:reconnect-delay up to
 * #GstMnv3Publish:reconnect-max-delay) and then sends the newest queued
 * results, in order. With QoS 1 at most 20 messages are unacknowledged at a
 * time. At EOS and when stopping, the element waits up to
 * #GstMnv3Publish:flush-timeout for the queues to empty.
 *
 * `GST_DEBUG=mnv3publish:4` logs, when the element stops, its counts and
 * the streaming thread's CPU time per result.
 *
 * Bus: an element message named "mnv3publish" each time the broker
 * connection goes up or down, with `event` ("connected", "disconnected"),
 * `host`, `port`, `published`, `dropped` and `queued`.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! mnv3classify model-file=m.safetensors ! mnv3publish location=- ! autovideosink
 * gst-launch-1.0 rtspsrc location=rtsp://cam1/stream ! decodebin ! mnv3classify model-file=m.safetensors ! mnv3publish stream-id=cam1 mqtt-host=broker.lan location=/var/log/cam1.jsonl max-file-size=10000000 ! fakesink
 * ]|
 *
 * Since: 0.2
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#ifdef HAVE_MOSQUITTO
#include <mosquitto.h>
#endif

#include "gstmnv3publish.h"
#include "mnv3classify-meta.h"

GST_DEBUG_CATEGORY_STATIC (gst_mnv3_publish_debug);
#define GST_CAT_DEFAULT gst_mnv3_publish_debug

#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_MAX_FILE_SIZE 0
#define DEFAULT_PROP_MAX_FILES 5
#define DEFAULT_PROP_STREAM_ID NULL
#define DEFAULT_PROP_ONLY_NEW FALSE
#define DEFAULT_PROP_MQTT_HOST NULL
#define DEFAULT_PROP_MQTT_PORT 1883
#define DEFAULT_PROP_MQTT_TOPIC "mnv3/{stream-id}/{attribute}"
#define DEFAULT_PROP_MQTT_QOS 1
#define DEFAULT_PROP_MQTT_CLIENT_ID NULL
#define DEFAULT_PROP_MQTT_USERNAME NULL
#define DEFAULT_PROP_MQTT_PASSWORD NULL
#define DEFAULT_PROP_MQTT_KEEPALIVE 60
#define DEFAULT_PROP_RECONNECT_DELAY 500
#define DEFAULT_PROP_RECONNECT_MAX_DELAY 30000
#define DEFAULT_PROP_QUEUE_SIZE 1000
#define DEFAULT_PROP_FLUSH_TIMEOUT 2000

/* unacknowledged QoS 1 messages at a time (libmosquitto's own default) */
#define MAX_INFLIGHT 20
/* a TCP connect or CONNACK that takes longer is given up and retried */
#define CONNECT_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* the attribute of metas written before the meta had an `attribute` field */
#define DEFAULT_ATTRIBUTE GST_MNV3_DEFAULT_ATTRIBUTE

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_MAX_FILE_SIZE,
  PROP_MAX_FILES,
  PROP_STREAM_ID,
  PROP_ONLY_NEW,
  PROP_MQTT_HOST,
  PROP_MQTT_PORT,
  PROP_MQTT_TOPIC,
  PROP_MQTT_QOS,
  PROP_MQTT_CLIENT_ID,
  PROP_MQTT_USERNAME,
  PROP_MQTT_PASSWORD,
  PROP_MQTT_KEEPALIVE,
  PROP_RECONNECT_DELAY,
  PROP_RECONNECT_MAX_DELAY,
  PROP_QUEUE_SIZE,
  PROP_FLUSH_TIMEOUT,
  PROP_PUBLISHED,
  PROP_DROPPED,
  PROP_FILE_DROPPED,
  PROP_QUEUED,
  PROP_CONNECTED,
};

typedef enum
{
  MQTT_DISCONNECTED = 0,
  MQTT_CONNECTING,
  MQTT_CONNECTED,
} MqttState;

/* One result on its way out: the JSON object without its closing brace,
 * which the publishing thread completes with that output's `dropped`. */
typedef struct
{
  gchar *topic;                 /* MQTT queue only */
  gchar *json;
  gsize len;
} Record;

struct _GstMnv3Publish
{
  GstBaseTransform parent;

  /* properties: object lock */
  gchar *location;
  guint64 max_file_size;
  guint max_files;
  gchar *stream_id;
  gboolean only_new;
  gchar *mqtt_host;
  gint mqtt_port;
  gchar *mqtt_topic;
  guint mqtt_qos;
  gchar *mqtt_client_id;
  gchar *mqtt_username;
  gchar *mqtt_password;
  guint mqtt_keepalive;
  guint reconnect_delay;
  guint reconnect_max_delay;
  guint queue_size;
  guint flush_timeout;

  /* copies taken in start (), read by both threads, constant until stop () */
  gchar *sid;
  gchar *file_path;             /* NULL: no file; "-": stdout */
  gchar *host;
  gint port;
  gchar *topic_template;
  gchar *fixed_topic;           /* the template has no {attribute} */
  gint qos;
  guint qsize;
  gint64 flush_us;
  guint64 rotate_size;
  guint rotate_count;
  gint keepalive;
  gint64 delay_min_us;
  gint64 delay_max_us;

  /* streaming thread only */
  guint64 seq;
  gint64 stream_ns;             /* CPU time in transform_ip (INFO log only) */
  guint64 n_buffers;
  GHashTable *last_result;      /* attribute -> LastResult */
  JsonBuilder *builder;
  JsonGenerator *generator;
  gboolean topic_warned;

  /* shared between the streaming thread, the publishing thread and the
   * property getters: lock */
  GMutex lock;
  GCond cond;                   /* signalled when a queue drains */
  GQueue file_q;                /* of Record */
  GQueue mqtt_q;                /* of Record */
  gboolean file_busy;           /* a batch is being written */
  guint64 file_dropped;
  guint64 mqtt_dropped;
  guint64 published;
  guint inflight;
  MqttState state;
  gboolean running;

  /* wakes the publishing thread: the streaming thread writes a byte when
   * wake_pending goes 0 -> 1 (atomic) */
  gint wake_fds[2];
  gint wake_pending;
  GThread *thread;

  /* publishing thread only (and start/stop, when it is not running) */
  FILE *fp;
  guint64 file_size;
  gboolean write_warned;
#ifdef HAVE_MOSQUITTO
  struct mosquitto *mosq;
#endif
  gboolean tried;
  gint64 attempt_start;
  gint64 next_attempt;
  gint64 backoff_us;
};

typedef struct
{
  guint64 source_pts;
  guint64 n_buffer;
} LastResult;

#define gst_mnv3_publish_parent_class parent_class
G_DEFINE_TYPE (GstMnv3Publish, gst_mnv3_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (mnv3publish, "mnv3publish", GST_RANK_NONE,
    GST_TYPE_MNV3_PUBLISH);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void
record_free (Record * r)
{
  g_free (r->topic);
  g_free (r->json);
  g_free (r);
}

static void
wake_thread (GstMnv3Publish * self)
{
  if (g_atomic_int_compare_and_exchange (&self->wake_pending, 0, 1)) {
    const gchar c = 'w';
    /* a full pipe already holds a wake-up */
    if (write (self->wake_fds[1], &c, 1) < 0 && errno != EAGAIN)
      GST_WARNING_OBJECT (self, "wake-up write failed: %s", g_strerror (errno));
  }
}

static void
post_status (GstMnv3Publish * self, const gchar * event)
{
  GstStructure *s;

  g_mutex_lock (&self->lock);
  s = gst_structure_new ("mnv3publish",
      "event", G_TYPE_STRING, event,
      "host", G_TYPE_STRING, self->host,
      "port", G_TYPE_INT, self->port,
      "published", G_TYPE_UINT64, self->published,
      "dropped", G_TYPE_UINT64, self->mqtt_dropped,
      "queued", G_TYPE_UINT, self->mqtt_q.length, NULL);
  g_mutex_unlock (&self->lock);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

/* ---- building the JSON object (streaming thread) ---- */

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static gchar *
expand_topic (const gchar * tmpl, const gchar * sid, const gchar * attribute)
{
  GString *out = g_string_new (NULL);
  const gchar *p = tmpl;

  while (*p) {
    if (g_str_has_prefix (p, "{stream-id}")) {
      g_string_append (out, sid);
      p += strlen ("{stream-id}");
    } else if (g_str_has_prefix (p, "{attribute}")) {
      g_string_append (out, attribute);
      p += strlen ("{attribute}");
    } else if (g_str_has_prefix (p, "{hostname}")) {
      g_string_append (out, g_get_host_name ());
      p += strlen ("{hostname}");
    } else {
      g_string_append_c (out, *p);
      p++;
    }
  }
  return g_string_free (out, FALSE);
}

static gboolean
topic_is_valid (const gchar * topic)
{
#ifdef HAVE_MOSQUITTO
  return topic[0] != '\0'
      && mosquitto_pub_topic_check (topic) == MOSQ_ERR_SUCCESS;
#else
  return topic[0] != '\0';
#endif
}

static void
add_time (JsonBuilder * b, const gchar * name, GstClockTime t)
{
  json_builder_set_member_name (b, name);
  if (GST_CLOCK_TIME_IS_VALID (t))
    json_builder_add_int_value (b, (gint64) t);
  else
    json_builder_add_null_value (b);
}

static void
format_wall_time (gchar * buf, gsize size)
{
  gint64 us = g_get_real_time ();
  time_t secs = us / G_USEC_PER_SEC;
  struct tm tm;
  gsize n;

  gmtime_r (&secs, &tm);
  n = strftime (buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  g_snprintf (buf + n, size - n, ".%06dZ", (gint) (us % G_USEC_PER_SEC));
}

/* Is this meta's result one that was not published before? Fresh results
 * are; in async mode a result is never fresh, so a new `source-pts` for the
 * attribute (or a second region of the buffer that brought it) tells. */
static gboolean
result_is_new (GstMnv3Publish * self, const gchar * attribute,
    gboolean fresh, guint64 source_pts)
{
  LastResult *last = g_hash_table_lookup (self->last_result, attribute);
  gboolean is_new;

  if (last == NULL) {
    last = g_new0 (LastResult, 1);
    last->source_pts = GST_CLOCK_TIME_NONE;
    last->n_buffer = G_MAXUINT64;
    g_hash_table_insert (self->last_result, g_strdup (attribute), last);
  }
  if (last->n_buffer == self->n_buffers)
    return TRUE;
  is_new = fresh || (GST_CLOCK_TIME_IS_VALID (source_pts)
      && source_pts != last->source_pts);
  if (is_new) {
    last->source_pts = source_pts;
    last->n_buffer = self->n_buffers;
  }
  return is_new;
}

/* Returns the object without its closing brace, or NULL when @meta is
 * skipped (only-new). */
static gchar *
meta_to_json (GstMnv3Publish * self, GstBuffer * buf, GstCustomMeta * meta,
    gboolean only_new, gchar ** attribute_out, gsize * len)
{
  JsonBuilder *b = self->builder;
  const GstStructure *s = gst_mnv3_classification_get_structure (meta);
  const gchar *attribute, *model;
  const GValue *roi;
  guint i, n;
  gboolean fresh;
  guint64 age = 0, source_pts = GST_CLOCK_TIME_NONE;
  gint64 inference_us = 0;
  gint roi_id = -1;
  gchar wall[48];
  JsonNode *root;
  gchar *json;
  GstClockTime pts = GST_BUFFER_PTS (buf), rt = GST_CLOCK_TIME_NONE;
  GstSegment *seg = &GST_BASE_TRANSFORM (self)->segment;

  if (s == NULL)
    return NULL;
  attribute = gst_structure_get_string (s, GST_MNV3_FIELD_ATTRIBUTE);
  if (attribute == NULL || attribute[0] == '\0')
    attribute = DEFAULT_ATTRIBUTE;
  fresh = gst_mnv3_classification_is_fresh (meta);
  gst_structure_get_uint64 (s, GST_MNV3_FIELD_SOURCE_PTS, &source_pts);
  if (only_new && !result_is_new (self, attribute, fresh, source_pts))
    return NULL;
  gst_structure_get_uint64 (s, GST_MNV3_FIELD_AGE_FRAMES, &age);
  gst_structure_get_int64 (s, GST_MNV3_FIELD_INFERENCE_US, &inference_us);
  gst_structure_get_int (s, GST_MNV3_FIELD_ROI_ID, &roi_id);
  model = gst_structure_get_string (s, GST_MNV3_FIELD_MODEL);
  n = gst_mnv3_classification_get_n_results (meta);

  if (GST_CLOCK_TIME_IS_VALID (pts) && seg->format == GST_FORMAT_TIME)
    rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, pts);
  format_wall_time (wall, sizeof (wall));

  json_builder_reset (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "stream_id");
  json_builder_add_string_value (b, self->sid);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, (gint64) self->seq);
  add_time (b, "pts", pts);
  add_time (b, "running_time", rt);
  json_builder_set_member_name (b, "wall_time");
  json_builder_add_string_value (b, wall);
  json_builder_set_member_name (b, "attribute");
  json_builder_add_string_value (b, attribute);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, model ? model : "");

  json_builder_set_member_name (b, "labels");
  json_builder_begin_array (b);
  for (i = 0; i < n; i++) {
    const gchar *label = gst_mnv3_classification_get_label (meta, i);
    json_builder_add_string_value (b, label ? label : "");
  }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "class_ids");
  json_builder_begin_array (b);
  for (i = 0; i < n; i++)
    json_builder_add_int_value (b, gst_mnv3_classification_get_class_id (meta,
            i));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "scores");
  json_builder_begin_array (b);
  for (i = 0; i < n; i++)
    json_builder_add_double_value (b, gst_mnv3_classification_get_score (meta,
            i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "roi");
  roi = gst_structure_get_value (s, GST_MNV3_FIELD_ROI);
  if (roi && GST_VALUE_HOLDS_ARRAY (roi) && gst_value_array_get_size (roi) == 4) {
    static const gchar *names[4] = { "x", "y", "width", "height" };

    json_builder_begin_object (b);
    for (i = 0; i < 4; i++) {
      const GValue *v = gst_value_array_get_value (roi, i);
      json_builder_set_member_name (b, names[i]);
      json_builder_add_int_value (b, G_VALUE_HOLDS_INT (v) ?
          g_value_get_int (v) : 0);
    }
    json_builder_end_object (b);
  } else {
    json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "roi_id");
  json_builder_add_int_value (b, roi_id);
  json_builder_set_member_name (b, "fresh");
  json_builder_add_boolean_value (b, fresh);
  json_builder_set_member_name (b, "age_frames");
  json_builder_add_int_value (b, (gint64) MIN (age, (guint64) G_MAXINT64));
  add_time (b, "source_pts", source_pts);
  json_builder_set_member_name (b, "inference_us");
  json_builder_add_int_value (b, inference_us);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (self->generator, root);
  json_node_unref (root);
  json = json_generator_to_data (self->generator, len);
  /* json-glib writes a compact object: strip the '}' (put back with
   * `dropped` by the publishing thread) */
  g_assert (*len > 1 && json[*len - 1] == '}');
  json[--(*len)] = '\0';
  *attribute_out = (gchar *) attribute;
  self->seq++;
  return json;
}

/* Appends @r to @q, dropping the oldest when full. Lock held. */
static void
push_bounded (GstMnv3Publish * self, GQueue * q, Record * r, guint64 * dropped)
{
  while (q->length >= self->qsize) {
    record_free (g_queue_pop_head (q));
    (*dropped)++;
  }
  g_queue_push_tail (q, r);
}

static void
enqueue (GstMnv3Publish * self, gchar * json, gsize len, const gchar * attr)
{
  Record *fr = NULL, *mr = NULL;

  if (self->file_path) {
    fr = g_new0 (Record, 1);
    fr->json = self->host ? g_memdup2 (json, len + 1) : json;
    fr->len = len;
  }
  if (self->host) {
    gchar *topic = self->fixed_topic ? g_strdup (self->fixed_topic) :
        expand_topic (self->topic_template, self->sid, attr);

    if (!topic_is_valid (topic)) {
      if (!self->topic_warned)
        GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
            ("Invalid MQTT topic \"%s\".", topic),
            ("the attribute \"%s\" makes the topic template \"%s\" invalid; "
                "these results are not sent to the broker", attr,
                self->topic_template));
      self->topic_warned = TRUE;
      g_free (topic);
      /* the file record holds its own copy */
      g_free (json);
    } else {
      mr = g_new0 (Record, 1);
      mr->topic = topic;
      mr->json = json;
      mr->len = len;
    }
  }

  g_mutex_lock (&self->lock);
  if (fr)
    push_bounded (self, &self->file_q, fr, &self->file_dropped);
  if (mr)
    push_bounded (self, &self->mqtt_q, mr, &self->mqtt_dropped);
  g_mutex_unlock (&self->lock);
  wake_thread (self);
}

static GstFlowReturn
gst_mnv3_publish_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (trans);
  gpointer state = NULL;
  GstCustomMeta *meta;
  gboolean only_new;
  gint64 t0 = 0;
  /* the streaming thread's own CPU time (not wall time, which a loaded
   * machine inflates), read only when the stop log will show it */
  gboolean timed = gst_debug_category_get_threshold (GST_CAT_DEFAULT) >=
      GST_LEVEL_INFO;

  if (self->file_path == NULL && self->host == NULL)
    return GST_FLOW_OK;
  if (timed)
    t0 = thread_cpu_ns ();

  GST_OBJECT_LOCK (self);
  only_new = self->only_new;
  GST_OBJECT_UNLOCK (self);

  while ((meta = gst_mnv3_classification_iterate (buf, &state))) {
    gchar *attribute = NULL, *json;
    gsize len = 0;

    json = meta_to_json (self, buf, meta, only_new, &attribute, &len);
    if (json)
      enqueue (self, json, len, attribute);
  }
  self->n_buffers++;
  if (timed)
    self->stream_ns += thread_cpu_ns () - t0;
  return GST_FLOW_OK;
}

/* Waits until the queues are empty (the broker's only while connected), at
 * most flush-timeout. */
static void
wait_drained (GstMnv3Publish * self)
{
  gint64 end = g_get_monotonic_time () + self->flush_us;

  g_mutex_lock (&self->lock);
  while (self->running && (self->file_q.length > 0 || self->file_busy
          || (self->state != MQTT_DISCONNECTED && (self->mqtt_q.length > 0
                  || self->inflight > 0)))) {
    if (!g_cond_wait_until (&self->cond, &self->lock, end))
      break;
  }
  g_mutex_unlock (&self->lock);
}

static gboolean
gst_mnv3_publish_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->thread)
        wait_drained (self);
      break;
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_STREAM_START:
      g_hash_table_remove_all (self->last_result);
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ---- the publishing thread: the file ---- */

static gboolean
open_file (GstMnv3Publish * self, gboolean truncate, GError ** error)
{
  GStatBuf st;

  if (g_strcmp0 (self->file_path, "-") == 0) {
    self->fp = stdout;
    self->file_size = 0;
    return TRUE;
  }
  self->fp = g_fopen (self->file_path, truncate ? "wb" : "ab");
  if (self->fp == NULL) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "cannot open \"%s\" for writing: %s", self->file_path,
        g_strerror (errno));
    return FALSE;
  }
  self->file_size = g_stat (self->file_path, &st) == 0 ? st.st_size : 0;
  return TRUE;
}

static void
close_file (GstMnv3Publish * self)
{
  if (self->fp && self->fp != stdout)
    fclose (self->fp);
  else if (self->fp)
    fflush (self->fp);
  self->fp = NULL;
}

/* location.N-1 -> location.N ... location -> location.1, then a new file */
static void
rotate_file (GstMnv3Publish * self)
{
  guint i;
  GError *error = NULL;

  close_file (self);
  for (i = self->rotate_count; i > 0; i--) {
    gchar *from = i > 1 ? g_strdup_printf ("%s.%u", self->file_path, i - 1) :
        g_strdup (self->file_path);
    gchar *to = g_strdup_printf ("%s.%u", self->file_path, i);

    if (g_rename (from, to) != 0 && errno != ENOENT)
      GST_WARNING_OBJECT (self, "renaming %s to %s: %s", from, to,
          g_strerror (errno));
    g_free (from);
    g_free (to);
  }
  if (!open_file (self, TRUE, &error)) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
        ("Could not open the results file \"%s\".", self->file_path),
        ("%s; results are dropped", error->message));
    g_clear_error (&error);
  }
}

static void
write_line (GstMnv3Publish * self, Record * r, guint64 dropped)
{
  gchar tail[40];
  gint n = g_snprintf (tail, sizeof (tail), ",\"dropped\":%" G_GUINT64_FORMAT
      "}\n", dropped);
  gsize total = r->len + n;

  if (self->fp && self->rotate_size > 0 && self->fp != stdout
      && self->file_size > 0 && self->file_size + total > self->rotate_size)
    rotate_file (self);
  if (self->fp == NULL) {
    g_mutex_lock (&self->lock);
    self->file_dropped++;
    g_mutex_unlock (&self->lock);
    return;
  }
  if (fwrite (r->json, 1, r->len, self->fp) != r->len
      || fwrite (tail, 1, n, self->fp) != (gsize) n) {
    if (!self->write_warned)
      GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
          ("Could not write to the results file \"%s\".", self->file_path),
          ("%s", g_strerror (errno)));
    self->write_warned = TRUE;
    clearerr (self->fp);
  }
  self->file_size += total;
}

static void
service_file (GstMnv3Publish * self)
{
  GQueue batch = G_QUEUE_INIT;
  guint64 dropped;
  Record *r;

  g_mutex_lock (&self->lock);
  while ((r = g_queue_pop_head (&self->file_q)))
    g_queue_push_tail (&batch, r);
  /* every drop so far hit a result older than this batch */
  dropped = self->file_dropped;
  self->file_busy = batch.length > 0;
  g_mutex_unlock (&self->lock);

  if (batch.length == 0)
    return;
  while ((r = g_queue_pop_head (&batch))) {
    write_line (self, r, dropped);
    record_free (r);
  }
  if (self->fp && fflush (self->fp) != 0 && !self->write_warned) {
    GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
        ("Could not write to the results file \"%s\".", self->file_path),
        ("%s", g_strerror (errno)));
    self->write_warned = TRUE;
  }

  g_mutex_lock (&self->lock);
  self->file_busy = FALSE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* ---- the publishing thread: MQTT ---- */

#ifdef HAVE_MOSQUITTO
static void
schedule_retry (GstMnv3Publish * self, gint64 now)
{
  self->next_attempt = now + self->backoff_us;
  GST_DEBUG_OBJECT (self, "next connection attempt in %" G_GINT64_FORMAT
      " ms", self->backoff_us / 1000);
  self->backoff_us = MIN (self->backoff_us * 2, self->delay_max_us);
}

static void
on_connect (struct mosquitto *mosq, void *data, int rc)
{
  GstMnv3Publish *self = data;

  if (rc != 0) {
    /* libmosquitto calls on_disconnect next */
    GST_WARNING_OBJECT (self, "broker %s:%d refused the connection: %s",
        self->host, self->port, mosquitto_connack_string (rc));
    return;
  }
  GST_INFO_OBJECT (self, "connected to %s:%d", self->host, self->port);
  g_mutex_lock (&self->lock);
  self->state = MQTT_CONNECTED;
  /* libmosquitto resends what was unacknowledged; count afresh */
  self->inflight = 0;
  g_mutex_unlock (&self->lock);
  self->backoff_us = self->delay_min_us;
  post_status (self, "connected");
}

static void
on_disconnect (struct mosquitto *mosq, void *data, int rc)
{
  GstMnv3Publish *self = data;
  gboolean was_connected;

  g_mutex_lock (&self->lock);
  was_connected = self->state == MQTT_CONNECTED;
  self->state = MQTT_DISCONNECTED;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  schedule_retry (self, g_get_monotonic_time ());
  if (was_connected) {
    GST_WARNING_OBJECT (self, "lost the broker %s:%d (%s)", self->host,
        self->port, mosquitto_strerror (rc));
    post_status (self, "disconnected");
  }
}

static void
on_publish (struct mosquitto *mosq, void *data, int mid)
{
  GstMnv3Publish *self = data;

  g_mutex_lock (&self->lock);
  self->published++;
  if (self->inflight > 0)
    self->inflight--;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
mqtt_try_connect (GstMnv3Publish * self, gint64 now)
{
  int rc;

  if (self->tried)
    rc = mosquitto_reconnect_async (self->mosq);
  else
    rc = mosquitto_connect_async (self->mosq, self->host, self->port,
        self->keepalive);
  self->tried = TRUE;
  if (rc != MOSQ_ERR_SUCCESS) {
    GST_DEBUG_OBJECT (self, "connecting to %s:%d: %s", self->host, self->port,
        rc == MOSQ_ERR_ERRNO ? g_strerror (errno) : mosquitto_strerror (rc));
    schedule_retry (self, now);
    return;
  }
  g_mutex_lock (&self->lock);
  if (self->state == MQTT_DISCONNECTED)
    self->state = MQTT_CONNECTING;
  g_mutex_unlock (&self->lock);
  self->attempt_start = now;
}

/* Hands queued messages to libmosquitto while the window allows: QoS 1 at
 * most MAX_INFLIGHT unacknowledged, QoS 0 while its socket takes them. */
static void
mqtt_publish_queued (GstMnv3Publish * self)
{
  for (;;) {
    Record *r;
    guint64 dropped;
    gchar *payload;
    gint n, rc, mid;

    if (self->qos == 0 && mosquitto_want_write (self->mosq))
      return;
    g_mutex_lock (&self->lock);
    if (self->state != MQTT_CONNECTED || self->mqtt_q.length == 0
        || (self->qos > 0 && self->inflight >= MAX_INFLIGHT)) {
      g_mutex_unlock (&self->lock);
      return;
    }
    r = g_queue_pop_head (&self->mqtt_q);
    dropped = self->mqtt_dropped;
    if (self->qos > 0)
      self->inflight++;
    g_mutex_unlock (&self->lock);

    payload = g_strdup_printf ("%s,\"dropped\":%" G_GUINT64_FORMAT "}",
        r->json, dropped);
    n = strlen (payload);
    rc = mosquitto_publish (self->mosq, &mid, r->topic, n, payload, self->qos,
        false);
    g_free (payload);
    record_free (r);
    if (rc != MOSQ_ERR_SUCCESS) {
      GST_DEBUG_OBJECT (self, "publish: %s", mosquitto_strerror (rc));
      g_mutex_lock (&self->lock);
      self->mqtt_dropped++;
      if (self->qos > 0 && self->inflight > 0)
        self->inflight--;
      g_mutex_unlock (&self->lock);
      return;
    }
  }
}
#endif

/* ---- the publishing thread ---- */

static gpointer
publish_thread (gpointer data)
{
  GstMnv3Publish *self = data;
  gint64 drain_end = 0;

  for (;;) {
    struct pollfd fds[2];
    gint nfds = 1, timeout_ms = 1000;
    gboolean stopping;
    gint64 now;
    MqttState state = MQTT_DISCONNECTED;

    g_mutex_lock (&self->lock);
    stopping = !self->running;
    g_mutex_unlock (&self->lock);

    service_file (self);
    now = g_get_monotonic_time ();
    if (stopping && drain_end == 0)
      drain_end = now + self->flush_us;

#ifdef HAVE_MOSQUITTO
    if (self->mosq) {
      g_mutex_lock (&self->lock);
      state = self->state;
      g_mutex_unlock (&self->lock);
      if (state == MQTT_CONNECTING
          && now - self->attempt_start > CONNECT_TIMEOUT_US) {
        GST_DEBUG_OBJECT (self, "connection attempt timed out");
        g_mutex_lock (&self->lock);
        state = self->state = MQTT_DISCONNECTED;
        g_mutex_unlock (&self->lock);
        schedule_retry (self, now);
      }
      if (state == MQTT_DISCONNECTED && !stopping && now >= self->next_attempt) {
        mqtt_try_connect (self, now);
        g_mutex_lock (&self->lock);
        state = self->state;
        g_mutex_unlock (&self->lock);
      }
      mqtt_publish_queued (self);
    }
#endif

    if (stopping) {
      gboolean done = TRUE;
#ifdef HAVE_MOSQUITTO
      /* a connection under way may still carry the queue out */
      if (self->mosq && state != MQTT_DISCONNECTED && now < drain_end) {
        g_mutex_lock (&self->lock);
        done = self->mqtt_q.length == 0 && self->inflight == 0;
        g_mutex_unlock (&self->lock);
      }
      if (done && self->mosq && state == MQTT_CONNECTED) {
        /* not a lost broker: no warning, no "disconnected" message */
        g_mutex_lock (&self->lock);
        self->state = MQTT_DISCONNECTED;
        g_mutex_unlock (&self->lock);
        mosquitto_disconnect (self->mosq);
        mosquitto_loop_write (self->mosq, 1);
      }
#endif
      if (done)
        break;
      timeout_ms = 20;
    }

    fds[0].fd = self->wake_fds[0];
    fds[0].events = POLLIN;
    fds[0].revents = 0;
#ifdef HAVE_MOSQUITTO
    if (self->mosq) {
      int sock = mosquitto_socket (self->mosq);

      if (state != MQTT_DISCONNECTED && sock >= 0) {
        fds[1].fd = sock;
        fds[1].events = POLLIN | (mosquitto_want_write (self->mosq) ?
            POLLOUT : 0);
        fds[1].revents = 0;
        nfds = 2;
      } else if (state == MQTT_DISCONNECTED && !stopping) {
        timeout_ms = CLAMP ((self->next_attempt - now + 999) / 1000, 0,
            timeout_ms);
      }
    }
#endif

    if (poll (fds, nfds, timeout_ms) < 0 && errno != EINTR)
      GST_WARNING_OBJECT (self, "poll: %s", g_strerror (errno));
    if (fds[0].revents & POLLIN) {
      gchar buf[64];

      g_atomic_int_set (&self->wake_pending, 0);
      while (read (self->wake_fds[0], buf, sizeof (buf)) > 0);
    }
#ifdef HAVE_MOSQUITTO
    if (nfds == 2) {
      if (fds[1].revents & (POLLIN | POLLERR | POLLHUP))
        mosquitto_loop_read (self->mosq, 1);
      if (mosquitto_socket (self->mosq) >= 0
          && (fds[1].revents & (POLLOUT | POLLERR)))
        mosquitto_loop_write (self->mosq, 1);
    }
    if (self->mosq && mosquitto_socket (self->mosq) >= 0)
      mosquitto_loop_misc (self->mosq);
#endif
  }
  return NULL;
}

/* ---- start / stop ---- */

static void
clear_queues (GstMnv3Publish * self)
{
  g_queue_clear_full (&self->file_q, (GDestroyNotify) record_free);
  g_queue_clear_full (&self->mqtt_q, (GDestroyNotify) record_free);
}

static gboolean
gst_mnv3_publish_start (GstBaseTransform * trans)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (trans);
  GError *error = NULL;
  gchar *client_id = NULL, *user = NULL, *password = NULL;

  GST_OBJECT_LOCK (self);
  self->sid = g_strdup (self->stream_id ? self->stream_id :
      GST_OBJECT_NAME (self));
  self->file_path = self->location && self->location[0] ?
      g_strdup (self->location) : NULL;
  self->host = self->mqtt_host && self->mqtt_host[0] ?
      g_strdup (self->mqtt_host) : NULL;
  self->port = self->mqtt_port;
  self->topic_template = g_strdup (self->mqtt_topic);
  self->qos = self->mqtt_qos;
  self->qsize = self->queue_size;
  self->flush_us = (gint64) self->flush_timeout * 1000;
  self->rotate_size = self->max_file_size;
  self->rotate_count = self->max_files;
  self->keepalive = self->mqtt_keepalive;
  self->delay_min_us = (gint64) self->reconnect_delay * 1000;
  self->delay_max_us = MAX ((gint64) self->reconnect_max_delay * 1000,
      self->delay_min_us);
  self->backoff_us = self->delay_min_us;
  client_id = g_strdup (self->mqtt_client_id);
  user = g_strdup (self->mqtt_username);
  password = g_strdup (self->mqtt_password);
  GST_OBJECT_UNLOCK (self);

  self->seq = 0;
  self->n_buffers = 0;
  self->stream_ns = 0;
  self->topic_warned = FALSE;
  self->write_warned = FALSE;
  self->tried = FALSE;
  self->next_attempt = 0;
  self->file_dropped = self->mqtt_dropped = self->published = 0;
  self->inflight = 0;
  self->state = MQTT_DISCONNECTED;
  g_hash_table_remove_all (self->last_result);

  if (self->file_path == NULL && self->host == NULL)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Neither location nor mqtt-host is set: results go nowhere."), (NULL));

  if (self->host) {
#ifdef HAVE_MOSQUITTO
    if (strstr (self->topic_template, "{attribute}") == NULL) {
      self->fixed_topic = expand_topic (self->topic_template, self->sid, "");
    }
    {
      gchar *probe = expand_topic (self->topic_template, self->sid,
          DEFAULT_ATTRIBUTE);
      gboolean ok = topic_is_valid (probe);

      if (!ok) {
        GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
            ("Invalid MQTT topic \"%s\".", probe),
            ("mqtt-topic \"%s\" expands to a topic a client cannot publish "
                "to (empty, or with '+' or '#')", self->topic_template));
        g_free (probe);
        goto failed;
      }
      g_free (probe);
    }
    if (client_id == NULL) {
      /* unique in the process too: two pipelines may name elements alike */
      static gint instance = 0;

      client_id = g_strdup_printf ("mnv3publish-%s-%d-%d-%s",
          g_get_host_name (), (gint) getpid (),
          g_atomic_int_add (&instance, 1), self->sid);
    }
    self->mosq = mosquitto_new (client_id, true, self);
    if (self->mosq == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not create the MQTT client."), ("mosquitto_new: %s",
              g_strerror (errno)));
      goto failed;
    }
    if (user)
      mosquitto_username_pw_set (self->mosq, user, password);
    mosquitto_connect_callback_set (self->mosq, on_connect);
    mosquitto_disconnect_callback_set (self->mosq, on_disconnect);
    mosquitto_publish_callback_set (self->mosq, on_publish);
    mosquitto_max_inflight_messages_set (self->mosq, MAX_INFLIGHT);
#else
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("MQTT is not available."),
        ("mnv3publish was built without libmosquitto; unset mqtt-host"));
    goto failed;
#endif
  }

  if (self->file_path && !open_file (self, TRUE, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open the results file \"%s\".", self->file_path),
        ("%s", error->message));
    g_clear_error (&error);
    goto failed;
  }

  if (!g_unix_open_pipe (self->wake_fds, FD_CLOEXEC, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the publishing thread."), ("%s", error->message));
    g_clear_error (&error);
    goto failed;
  }
  g_unix_set_fd_nonblocking (self->wake_fds[0], TRUE, NULL);
  g_unix_set_fd_nonblocking (self->wake_fds[1], TRUE, NULL);
  g_atomic_int_set (&self->wake_pending, 0);

  self->running = TRUE;
  self->thread = g_thread_new ("mnv3publish", publish_thread, self);

  g_free (client_id);
  g_free (user);
  g_free (password);
  return TRUE;

  /* ERRORS */
failed:
  {
    g_free (client_id);
    g_free (user);
    g_free (password);
    close_file (self);
#ifdef HAVE_MOSQUITTO
    g_clear_pointer (&self->mosq, mosquitto_destroy);
#endif
    g_clear_pointer (&self->sid, g_free);
    g_clear_pointer (&self->file_path, g_free);
    g_clear_pointer (&self->host, g_free);
    g_clear_pointer (&self->topic_template, g_free);
    g_clear_pointer (&self->fixed_topic, g_free);
    return FALSE;
  }
}

static gboolean
gst_mnv3_publish_stop (GstBaseTransform * trans)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (trans);

  if (self->thread) {
    g_mutex_lock (&self->lock);
    self->running = FALSE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    g_atomic_int_set (&self->wake_pending, 1);
    if (write (self->wake_fds[1], "s", 1) < 0)
      GST_WARNING_OBJECT (self, "wake-up write failed: %s", g_strerror (errno));
    g_thread_join (self->thread);
    self->thread = NULL;
    close (self->wake_fds[0]);
    close (self->wake_fds[1]);
  }
  GST_INFO_OBJECT (self, "stopped: %" G_GUINT64_FORMAT " results, %"
      G_GUINT64_FORMAT " published, %" G_GUINT64_FORMAT " dropped (mqtt), %"
      G_GUINT64_FORMAT " dropped (file), %u left in the queue; %.1f us per "
      "result of streaming-thread CPU time", self->seq, self->published,
      self->mqtt_dropped, self->file_dropped, self->mqtt_q.length,
      self->seq ? self->stream_ns / 1000.0 / self->seq : 0.0);
  close_file (self);
#ifdef HAVE_MOSQUITTO
  g_clear_pointer (&self->mosq, mosquitto_destroy);
#endif
  g_mutex_lock (&self->lock);
  clear_queues (self);
  self->state = MQTT_DISCONNECTED;
  g_mutex_unlock (&self->lock);
  g_clear_pointer (&self->sid, g_free);
  g_clear_pointer (&self->file_path, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->topic_template, g_free);
  g_clear_pointer (&self->fixed_topic, g_free);
  return TRUE;
}

/* ---- GObject ---- */

static void
gst_mnv3_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_MAX_FILE_SIZE:
      self->max_file_size = g_value_get_uint64 (value);
      break;
    case PROP_MAX_FILES:
      self->max_files = g_value_get_uint (value);
      break;
    case PROP_STREAM_ID:
      g_free (self->stream_id);
      self->stream_id = g_value_dup_string (value);
      break;
    case PROP_ONLY_NEW:
      self->only_new = g_value_get_boolean (value);
      break;
    case PROP_MQTT_HOST:
      g_free (self->mqtt_host);
      self->mqtt_host = g_value_dup_string (value);
      break;
    case PROP_MQTT_PORT:
      self->mqtt_port = g_value_get_int (value);
      break;
    case PROP_MQTT_TOPIC:
      g_free (self->mqtt_topic);
      self->mqtt_topic = g_value_dup_string (value);
      if (self->mqtt_topic == NULL)
        self->mqtt_topic = g_strdup (DEFAULT_PROP_MQTT_TOPIC);
      break;
    case PROP_MQTT_QOS:
      self->mqtt_qos = g_value_get_uint (value);
      break;
    case PROP_MQTT_CLIENT_ID:
      g_free (self->mqtt_client_id);
      self->mqtt_client_id = g_value_dup_string (value);
      break;
    case PROP_MQTT_USERNAME:
      g_free (self->mqtt_username);
      self->mqtt_username = g_value_dup_string (value);
      break;
    case PROP_MQTT_PASSWORD:
      g_free (self->mqtt_password);
      self->mqtt_password = g_value_dup_string (value);
      break;
    case PROP_MQTT_KEEPALIVE:
      self->mqtt_keepalive = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_DELAY:
      self->reconnect_delay = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      self->reconnect_max_delay = g_value_get_uint (value);
      break;
    case PROP_QUEUE_SIZE:
      self->queue_size = g_value_get_uint (value);
      break;
    case PROP_FLUSH_TIMEOUT:
      self->flush_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mnv3_publish_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (object);

  switch (prop_id) {
    case PROP_PUBLISHED:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->published);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_DROPPED:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->mqtt_dropped);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_FILE_DROPPED:
      g_mutex_lock (&self->lock);
      g_value_set_uint64 (value, self->file_dropped);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_QUEUED:
      g_mutex_lock (&self->lock);
      g_value_set_uint (value, self->mqtt_q.length);
      g_mutex_unlock (&self->lock);
      return;
    case PROP_CONNECTED:
      g_mutex_lock (&self->lock);
      g_value_set_boolean (value, self->state == MQTT_CONNECTED);
      g_mutex_unlock (&self->lock);
      return;
    default:
      break;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_MAX_FILE_SIZE:
      g_value_set_uint64 (value, self->max_file_size);
      break;
    case PROP_MAX_FILES:
      g_value_set_uint (value, self->max_files);
      break;
    case PROP_STREAM_ID:
      g_value_set_string (value, self->stream_id);
      break;
    case PROP_ONLY_NEW:
      g_value_set_boolean (value, self->only_new);
      break;
    case PROP_MQTT_HOST:
      g_value_set_string (value, self->mqtt_host);
      break;
    case PROP_MQTT_PORT:
      g_value_set_int (value, self->mqtt_port);
      break;
    case PROP_MQTT_TOPIC:
      g_value_set_string (value, self->mqtt_topic);
      break;
    case PROP_MQTT_QOS:
      g_value_set_uint (value, self->mqtt_qos);
      break;
    case PROP_MQTT_CLIENT_ID:
      g_value_set_string (value, self->mqtt_client_id);
      break;
    case PROP_MQTT_USERNAME:
      g_value_set_string (value, self->mqtt_username);
      break;
    case PROP_MQTT_PASSWORD:
      g_value_set_string (value, self->mqtt_password);
      break;
    case PROP_MQTT_KEEPALIVE:
      g_value_set_uint (value, self->mqtt_keepalive);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_uint (value, self->reconnect_delay);
      break;
    case PROP_RECONNECT_MAX_DELAY:
      g_value_set_uint (value, self->reconnect_max_delay);
      break;
    case PROP_QUEUE_SIZE:
      g_value_set_uint (value, self->queue_size);
      break;
    case PROP_FLUSH_TIMEOUT:
      g_value_set_uint (value, self->flush_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_mnv3_publish_finalize (GObject * object)
{
  GstMnv3Publish *self = GST_MNV3_PUBLISH (object);

  /* disposed while still running (an application bug GStreamer warns
   * about): the publishing thread must not outlive the element */
  if (self->thread)
    gst_mnv3_publish_stop (GST_BASE_TRANSFORM (self));
  g_free (self->location);
  g_free (self->stream_id);
  g_free (self->mqtt_host);
  g_free (self->mqtt_topic);
  g_free (self->mqtt_client_id);
  g_free (self->mqtt_username);
  g_free (self->mqtt_password);
  g_hash_table_unref (self->last_result);
  g_object_unref (self->builder);
  g_object_unref (self->generator);
  clear_queues (self);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_mnv3_publish_class_init (GstMnv3PublishClass * klass)
{
  GObjectClass *gobject_class = (GObjectClass *) klass;
  GstElementClass *element_class = (GstElementClass *) klass;
  GstBaseTransformClass *trans_class = (GstBaseTransformClass *) klass;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw_ready = rw | GST_PARAM_MUTABLE_READY;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (gst_mnv3_publish_debug, "mnv3publish", 0,
      "mnv3classify results out: JSON lines and MQTT");

#ifdef HAVE_MOSQUITTO
  mosquitto_lib_init ();
#endif

  gobject_class->set_property = gst_mnv3_publish_set_property;
  gobject_class->get_property = gst_mnv3_publish_get_property;
  gobject_class->finalize = gst_mnv3_publish_finalize;

  /**
   * GstMnv3Publish:location:
   *
   * File the results are written to, one JSON object per line (JSON
   * lines), truncated when the element starts; `-` writes to the standard
   * output. When unset, no file is written. A file that cannot be opened
   * posts an ERROR and the READY to PAUSED state change fails.
   * Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Path of the JSON-lines file the results are written to, '-' for "
          "the standard output; unset writes no file.",
          DEFAULT_PROP_LOCATION, rw_ready));

  /**
   * GstMnv3Publish:max-file-size:
   *
   * Rotate #GstMnv3Publish:location before a line would make it larger than
   * this many bytes: `location` becomes `location.1`, `location.1` becomes
   * `location.2` and so on, up to #GstMnv3Publish:max-files; the oldest is
   * deleted. Lines are never split. 0 never rotates. Not used with stdout.
   * Default: 0.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_FILE_SIZE,
      g_param_spec_uint64 ("max-file-size", "Maximum file size",
          "Size in bytes at which the results file is rotated (renamed to "
          "location.1, ...); 0 never rotates.", 0, G_MAXUINT64,
          DEFAULT_PROP_MAX_FILE_SIZE, rw_ready));

  /**
   * GstMnv3Publish:max-files:
   *
   * Number of rotated files kept beside the current one (`location.1` ...
   * `location.N`) when #GstMnv3Publish:max-file-size is set; 0 keeps none
   * (the file restarts empty). Range 0 to 1000. Default: 5.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MAX_FILES,
      g_param_spec_uint ("max-files", "Maximum files",
          "Number of rotated results files kept beside the current one.",
          0, 1000, DEFAULT_PROP_MAX_FILES, rw_ready));

  /**
   * GstMnv3Publish:stream-id:
   *
   * Names the stream in every object (`stream_id`) and in the MQTT topic
   * (`{stream-id}`), e.g. the camera's name. When unset, the element's name
   * (`mnv3publish0`, or the `name=` given in a launch line). Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_STREAM_ID,
      g_param_spec_string ("stream-id", "Stream id",
          "Name of the stream written in every result and in the MQTT "
          "topic; unset uses the element's name.",
          DEFAULT_PROP_STREAM_ID, rw_ready));

  /**
   * GstMnv3Publish:only-new:
   *
   * Publish each inference once, on the first buffer that carries it,
   * instead of once per buffer. A result is new when it is `fresh` (sync
   * mode, or the frames the model ran on with `inference-interval` > 1) or
   * when its `source-pts` differs from the last one published for the same
   * `attribute` (async mode, where results arrive on later frames and are
   * never fresh); all regions of the buffer that brought it are published.
   * Buffers without PTS in async mode therefore publish nothing.
   * Default: %FALSE (every result of every buffer).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_ONLY_NEW,
      g_param_spec_boolean ("only-new", "Only new results",
          "Publish each inference once (on the first buffer carrying it) "
          "instead of the result of every buffer.",
          DEFAULT_PROP_ONLY_NEW, rw | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstMnv3Publish:mqtt-host:
   *
   * Host name or address of the MQTT broker (MQTT 3.1.1, plain TCP). When
   * unset, nothing is sent to a broker. An unreachable broker is not an
   * error: the element keeps trying with backoff and queues the newest
   * results meanwhile. Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_HOST,
      g_param_spec_string ("mqtt-host", "MQTT host",
          "Host name or address of the MQTT broker the results are "
          "published to; unset publishes to no broker.",
          DEFAULT_PROP_MQTT_HOST, rw_ready));

  /**
   * GstMnv3Publish:mqtt-port:
   *
   * TCP port of the MQTT broker. Range 1 to 65535. Default: 1883.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_PORT,
      g_param_spec_int ("mqtt-port", "MQTT port",
          "TCP port of the MQTT broker.", 1, 65535, DEFAULT_PROP_MQTT_PORT,
          rw_ready));

  /**
   * GstMnv3Publish:mqtt-topic:
   *
   * Topic template: `{stream-id}` is replaced by the stream id,
   * `{attribute}` by the result's attribute (`classification` unless the
   * classifier's `attribute-name` says otherwise) and `{hostname}` by this
   * machine's name. A template that expands to an invalid topic (empty, or
   * with `+` or `#`) is an ERROR at start. Default:
   * `mnv3/{stream-id}/{attribute}`.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_TOPIC,
      g_param_spec_string ("mqtt-topic", "MQTT topic",
          "Topic template of the MQTT messages; {stream-id}, {attribute} and "
          "{hostname} are replaced.", DEFAULT_PROP_MQTT_TOPIC, rw_ready));

  /**
   * GstMnv3Publish:mqtt-qos:
   *
   * MQTT quality of service: 0 (at most once: nothing is resent after a
   * lost connection) or 1 (at least once: the broker acknowledges every
   * message; unacknowledged ones are resent after a reconnection, so a
   * message may then arrive twice). Default: 1.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_QOS,
      g_param_spec_uint ("mqtt-qos", "MQTT QoS",
          "MQTT quality of service of the messages: 0 (at most once) or 1 "
          "(at least once).", 0, 1, DEFAULT_PROP_MQTT_QOS, rw_ready));

  /**
   * GstMnv3Publish:mqtt-client-id:
   *
   * MQTT client identifier; must be unique on the broker. When unset,
   * `mnv3publish-<hostname>-<pid>-<n>-<stream-id>` (n counts the elements
   * started in the process). Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_CLIENT_ID,
      g_param_spec_string ("mqtt-client-id", "MQTT client id",
          "Client identifier given to the broker; unset makes one from the "
          "host name, process id and stream id.",
          DEFAULT_PROP_MQTT_CLIENT_ID, rw_ready));

  /**
   * GstMnv3Publish:mqtt-username:
   *
   * User name for the broker, when it asks for one. Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_USERNAME,
      g_param_spec_string ("mqtt-username", "MQTT user name",
          "User name given to the broker; unset sends none.",
          DEFAULT_PROP_MQTT_USERNAME, rw_ready));

  /**
   * GstMnv3Publish:mqtt-password:
   *
   * Password for the broker, sent with #GstMnv3Publish:mqtt-username (in
   * clear: plain TCP). Default: %NULL.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_PASSWORD,
      g_param_spec_string ("mqtt-password", "MQTT password",
          "Password given to the broker with the user name.",
          DEFAULT_PROP_MQTT_PASSWORD, rw_ready));

  /**
   * GstMnv3Publish:mqtt-keepalive:
   *
   * Seconds between MQTT keep-alive pings; a broker that stays silent for
   * 1.5 times this is considered lost. Range 5 to 3600. Default: 60.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MQTT_KEEPALIVE,
      g_param_spec_uint ("mqtt-keepalive", "MQTT keep-alive",
          "Seconds between MQTT keep-alive pings.", 5, 3600,
          DEFAULT_PROP_MQTT_KEEPALIVE, rw_ready));

  /**
   * GstMnv3Publish:reconnect-delay:
   *
   * Milliseconds before the first new connection attempt after a failed
   * attempt or a lost connection; each further failure doubles the delay up
   * to #GstMnv3Publish:reconnect-max-delay, a connection resets it. Range
   * 10 to 3600000. Default: 500.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY,
      g_param_spec_uint ("reconnect-delay", "Reconnect delay",
          "Milliseconds before reconnecting to the broker; doubled after "
          "each failure up to reconnect-max-delay.", 10, 3600000,
          DEFAULT_PROP_RECONNECT_DELAY, rw_ready));

  /**
   * GstMnv3Publish:reconnect-max-delay:
   *
   * Upper bound of the reconnection backoff, in milliseconds. Range 10 to
   * 3600000. Default: 30000.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_MAX_DELAY,
      g_param_spec_uint ("reconnect-max-delay", "Reconnect maximum delay",
          "Upper bound in milliseconds of the delay between reconnection "
          "attempts.", 10, 3600000, DEFAULT_PROP_RECONNECT_MAX_DELAY,
          rw_ready));

  /**
   * GstMnv3Publish:queue-size:
   *
   * Results held for each output (the file, the broker) while it cannot take
   * them; when full, the oldest is dropped and counted
   * (#GstMnv3Publish:dropped, #GstMnv3Publish:file-dropped). Memory is
   * bounded by this times the size of one object (a few hundred bytes with
   * top-5). Range 1 to 1000000. Default: 1000.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_QUEUE_SIZE,
      g_param_spec_uint ("queue-size", "Queue size",
          "Results queued per output while it cannot take them; the oldest "
          "is dropped when full.", 1, 1000000, DEFAULT_PROP_QUEUE_SIZE,
          rw_ready));

  /**
   * GstMnv3Publish:flush-timeout:
   *
   * At EOS and when the element stops, wait at most this many milliseconds
   * for the queued results to be written and (while connected) acknowledged
   * by the broker. Range 0 to 600000. Default: 2000.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FLUSH_TIMEOUT,
      g_param_spec_uint ("flush-timeout", "Flush timeout",
          "Milliseconds to wait at EOS and at stop for queued results to "
          "leave.", 0, 600000, DEFAULT_PROP_FLUSH_TIMEOUT, rw_ready));

  /**
   * GstMnv3Publish:published:
   *
   * Messages the broker acknowledged (QoS 1) or that were written to its
   * socket (QoS 0) since the element started.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_PUBLISHED,
      g_param_spec_uint64 ("published", "Published",
          "Number of results handed over to the MQTT broker since start.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Publish:dropped:
   *
   * Results that never reached the broker because the queue was full (the
   * broker was away or slow) since the element started. Every later message
   * carries the count in its `dropped` member.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "Number of results dropped from the MQTT queue since start.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Publish:file-dropped:
   *
   * Results that were not written to the file because its queue was full
   * (a slow disk or a stalled stdout reader) or it could not be opened.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FILE_DROPPED,
      g_param_spec_uint64 ("file-dropped", "File dropped",
          "Number of results dropped from the file queue since start.",
          0, G_MAXUINT64, 0, ro));

  /**
   * GstMnv3Publish:queued:
   *
   * Results waiting for the broker right now.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_QUEUED,
      g_param_spec_uint ("queued", "Queued",
          "Number of results waiting for the MQTT broker.", 0, G_MAXUINT, 0,
          ro));

  /**
   * GstMnv3Publish:connected:
   *
   * Whether the element is connected to the MQTT broker right now.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
          "Whether the element is connected to the MQTT broker.", FALSE, ro));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "MobileNetV3 results publisher", "Filter/Analyzer/Video",
      "Writes mnv3classify results as JSON lines to a file and to an MQTT "
      "broker", "mnv3classify developers");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_mnv3_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_mnv3_publish_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_mnv3_publish_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_mnv3_publish_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_mnv3_publish_init (GstMnv3Publish * self)
{
  self->location = g_strdup (DEFAULT_PROP_LOCATION);
  self->max_file_size = DEFAULT_PROP_MAX_FILE_SIZE;
  self->max_files = DEFAULT_PROP_MAX_FILES;
  self->stream_id = g_strdup (DEFAULT_PROP_STREAM_ID);
  self->only_new = DEFAULT_PROP_ONLY_NEW;
  self->mqtt_host = g_strdup (DEFAULT_PROP_MQTT_HOST);
  self->mqtt_port = DEFAULT_PROP_MQTT_PORT;
  self->mqtt_topic = g_strdup (DEFAULT_PROP_MQTT_TOPIC);
  self->mqtt_qos = DEFAULT_PROP_MQTT_QOS;
  self->mqtt_client_id = g_strdup (DEFAULT_PROP_MQTT_CLIENT_ID);
  self->mqtt_username = g_strdup (DEFAULT_PROP_MQTT_USERNAME);
  self->mqtt_password = g_strdup (DEFAULT_PROP_MQTT_PASSWORD);
  self->mqtt_keepalive = DEFAULT_PROP_MQTT_KEEPALIVE;
  self->reconnect_delay = DEFAULT_PROP_RECONNECT_DELAY;
  self->reconnect_max_delay = DEFAULT_PROP_RECONNECT_MAX_DELAY;
  self->queue_size = DEFAULT_PROP_QUEUE_SIZE;
  self->flush_timeout = DEFAULT_PROP_FLUSH_TIMEOUT;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->file_q);
  g_queue_init (&self->mqtt_q);
  self->last_result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->builder = json_builder_new ();
  self->generator = json_generator_new ();
  self->wake_fds[0] = self->wake_fds[1] = -1;

  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
