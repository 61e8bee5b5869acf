/* The janus_plugin vtable. Everything else is C++ behind gochat_sfu_*(). */
#include "plugins/gochat-sfu/janus/shim.h"

static int gochat_sfu_get_api_compatibility(void) { return JANUS_PLUGIN_API_VERSION; }
static int gochat_sfu_get_version(void) { return GOCHAT_SFU_VERSION; }
static const char *gochat_sfu_get_version_string(void) { return GOCHAT_SFU_VERSION_STRING; }
static const char *gochat_sfu_get_description(void) {
	return "GoChat voice and video SFU: rooms per voice channel, JWT permissions, moderation.";
}
static const char *gochat_sfu_get_name(void) { return GOCHAT_SFU_NAME; }
static const char *gochat_sfu_get_author(void) { return "GoChat"; }
static const char *gochat_sfu_get_package(void) { return GOCHAT_SFU_PACKAGE; }

static janus_plugin gochat_sfu_plugin = JANUS_PLUGIN_INIT(
	.init = gochat_sfu_init,
	.destroy = gochat_sfu_destroy,
	.get_api_compatibility = gochat_sfu_get_api_compatibility,
	.get_version = gochat_sfu_get_version,
	.get_version_string = gochat_sfu_get_version_string,
	.get_description = gochat_sfu_get_description,
	.get_name = gochat_sfu_get_name,
	.get_author = gochat_sfu_get_author,
	.get_package = gochat_sfu_get_package,
	.create_session = gochat_sfu_create_session,
	.handle_message = gochat_sfu_handle_message,
	.handle_admin_message = gochat_sfu_handle_admin_message,
	.setup_media = gochat_sfu_setup_media,
	.incoming_rtp = gochat_sfu_incoming_rtp,
	.incoming_rtcp = gochat_sfu_incoming_rtcp,
	.hangup_media = gochat_sfu_hangup_media,
	.destroy_session = gochat_sfu_destroy_session,
	.query_session = gochat_sfu_query_session,
);

janus_plugin *gochat_sfu_descriptor(void) { return &gochat_sfu_plugin; }

/* The only exported symbol of the module. */
__attribute__((visibility("default"))) janus_plugin *create(void) { return &gochat_sfu_plugin; }
