/* The janus_transport vtable. It lives in C because JANUS_TRANSPORT_INIT
 * names each field twice, which C accepts and C++ rejects; everything it
 * points to is implemented in C++ (entry.cpp). */
#include <transports/transport.h>

#include "transports/gochat-ws/lws/gochat_ws_entry.h"

static int gochat_ws_shim_init(janus_transport_callbacks *callback, const char *config_path);

/* JANUS_TRANSPORT_INIT sets every field to NULL before our values follow:
 * the overrides are the macro's design, not a mistake. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static janus_transport gochat_ws_transport = JANUS_TRANSPORT_INIT(
	.init = gochat_ws_shim_init,
	.destroy = gochat_ws_destroy,
	.get_api_compatibility = gochat_ws_get_api_compatibility,
	.get_version = gochat_ws_get_version,
	.get_version_string = gochat_ws_get_version_string,
	.get_description = gochat_ws_get_description,
	.get_name = gochat_ws_get_name,
	.get_author = gochat_ws_get_author,
	.get_package = gochat_ws_get_package,
	.is_janus_api_enabled = gochat_ws_is_janus_api_enabled,
	.is_admin_api_enabled = gochat_ws_is_admin_api_enabled,
	.send_message = gochat_ws_send_message,
	.session_created = gochat_ws_session_created,
	.session_over = gochat_ws_session_over,
	.session_claimed = gochat_ws_session_claimed,
);
#pragma GCC diagnostic pop

/* The C++ side needs the vtable's address to name itself in
 * incoming_request and transport_gone. */
static int gochat_ws_shim_init(janus_transport_callbacks *callback, const char *config_path) {
	return gochat_ws_init(&gochat_ws_transport, callback, config_path);
}

__attribute__((visibility("default"))) janus_transport *create(void) {
	return &gochat_ws_transport;
}
