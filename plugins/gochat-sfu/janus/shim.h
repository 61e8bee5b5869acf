/* The plugin's C entry points, implemented in C++ (plugin_entry.cpp).
 * JANUS_PLUGIN_INIT does not compile as C++, so the vtable lives in shim.c. */
#ifndef GOCHAT_SFU_SHIM_H
#define GOCHAT_SFU_SHIM_H

#include <glib.h>
#include <jansson.h>
#include <plugins/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GOCHAT_SFU_PACKAGE "janus.plugin.gochat.sfu"
#define GOCHAT_SFU_NAME "GoChat SFU"
#define GOCHAT_SFU_VERSION 1
#define GOCHAT_SFU_VERSION_STRING "0.1.0"

janus_plugin *gochat_sfu_descriptor(void);

int gochat_sfu_init(janus_callbacks *callback, const char *config_path);
void gochat_sfu_destroy(void);
void gochat_sfu_create_session(janus_plugin_session *handle, int *error);
struct janus_plugin_result *gochat_sfu_handle_message(janus_plugin_session *handle, char *transaction, json_t *message, json_t *jsep);
json_t *gochat_sfu_handle_admin_message(json_t *message);
void gochat_sfu_setup_media(janus_plugin_session *handle);
void gochat_sfu_incoming_rtp(janus_plugin_session *handle, janus_plugin_rtp *packet);
void gochat_sfu_incoming_rtcp(janus_plugin_session *handle, janus_plugin_rtcp *packet);
void gochat_sfu_hangup_media(janus_plugin_session *handle);
void gochat_sfu_destroy_session(janus_plugin_session *handle, int *error);
json_t *gochat_sfu_query_session(janus_plugin_session *handle);

#ifdef __cplusplus
}
#endif

#endif
