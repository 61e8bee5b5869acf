/* The transport's C ABI: shim.c puts these in the janus_transport vtable,
 * entry.cpp implements them. Every implementation is noexcept and catches
 * everything: no C++ exception crosses into Janus. The janus_transport
 * types come from transport.h, included before this header. */
#ifndef GOCHAT_WS_ENTRY_H
#define GOCHAT_WS_ENTRY_H

#ifdef __cplusplus
#define GOCHAT_WS_NOEXCEPT noexcept
extern "C" {
#else
#define GOCHAT_WS_NOEXCEPT
#endif

int gochat_ws_init(janus_transport *self, janus_transport_callbacks *callback,
                   const char *config_path) GOCHAT_WS_NOEXCEPT;
void gochat_ws_destroy(void) GOCHAT_WS_NOEXCEPT;
int gochat_ws_get_api_compatibility(void) GOCHAT_WS_NOEXCEPT;
int gochat_ws_get_version(void) GOCHAT_WS_NOEXCEPT;
const char *gochat_ws_get_version_string(void) GOCHAT_WS_NOEXCEPT;
const char *gochat_ws_get_description(void) GOCHAT_WS_NOEXCEPT;
const char *gochat_ws_get_name(void) GOCHAT_WS_NOEXCEPT;
const char *gochat_ws_get_author(void) GOCHAT_WS_NOEXCEPT;
const char *gochat_ws_get_package(void) GOCHAT_WS_NOEXCEPT;
gboolean gochat_ws_is_janus_api_enabled(void) GOCHAT_WS_NOEXCEPT;
gboolean gochat_ws_is_admin_api_enabled(void) GOCHAT_WS_NOEXCEPT;
int gochat_ws_send_message(janus_transport_session *transport, void *request_id, gboolean admin,
                           json_t *message) GOCHAT_WS_NOEXCEPT;
void gochat_ws_session_created(janus_transport_session *transport,
                               guint64 session_id) GOCHAT_WS_NOEXCEPT;
void gochat_ws_session_over(janus_transport_session *transport, guint64 session_id,
                            gboolean timeout, gboolean claimed) GOCHAT_WS_NOEXCEPT;
void gochat_ws_session_claimed(janus_transport_session *transport,
                               guint64 session_id) GOCHAT_WS_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* GOCHAT_WS_ENTRY_H */
