/* placeholder, being written */
typedef int gst_mnv3_placeholder_t;
