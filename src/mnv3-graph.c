/* placeholder, being written */
typedef int mnv3_placeholder_t;
