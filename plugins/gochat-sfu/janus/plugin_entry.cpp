// The C entry points the shim's janus_plugin struct points at (shim.h). No
// exception crosses this boundary.
#include "plugins/gochat-sfu/janus/sfu_plugin.hpp"
#include "plugins/gochat-sfu/janus/shim.h"  // after janus_api.hpp: see there

namespace {

// Never destroyed: Janus may exit without calling destroy (for example when
// no API transport loads), and a static destructor would then meet a live
// handler thread and abort the process.
gochat::sfu::SfuPlugin& instance() {
    static gochat::sfu::SfuPlugin* const plugin = new gochat::sfu::SfuPlugin();
    return *plugin;
}

}  // namespace

extern "C" int gochat_sfu_init(janus_callbacks* callback, const char* config_path) {
    try {
        return instance().init(callback, config_path) ? 0 : -1;
    } catch (...) {
        return -1;
    }
}
extern "C" void gochat_sfu_destroy(void) {
    try {
        instance().shutdown();
    } catch (...) {}
}
extern "C" void gochat_sfu_create_session(janus_plugin_session* handle, int* error) {
    try {
        instance().createSession(handle, error);
    } catch (...) {
        *error = -1;
    }
}
extern "C" janus_plugin_result* gochat_sfu_handle_message(janus_plugin_session* handle, char* transaction,
                                                          json_t* message, json_t* jsep) {
    try {
        return instance().handleMessage(handle, transaction, message, jsep);
    } catch (...) {
        return janus_plugin_result_new(JANUS_PLUGIN_ERROR, "internal error", nullptr);
    }
}
extern "C" json_t* gochat_sfu_handle_admin_message(json_t* message) {
    try {
        return instance().handleAdminMessage(message);
    } catch (...) {
        return nullptr;
    }
}
extern "C" void gochat_sfu_setup_media(janus_plugin_session* handle) {
    try {
        instance().setupMedia(handle);
    } catch (...) {}
}
extern "C" void gochat_sfu_incoming_rtp(janus_plugin_session* handle, janus_plugin_rtp* packet) {
    try {
        instance().incomingRtp(handle, packet);
    } catch (...) {}
}
extern "C" void gochat_sfu_incoming_rtcp(janus_plugin_session* handle, janus_plugin_rtcp* packet) {
    try {
        instance().incomingRtcp(handle, packet);
    } catch (...) {}
}
extern "C" void gochat_sfu_hangup_media(janus_plugin_session* handle) {
    try {
        instance().hangupMedia(handle);
    } catch (...) {}
}
extern "C" void gochat_sfu_destroy_session(janus_plugin_session* handle, int* error) {
    try {
        instance().destroySession(handle, error);
    } catch (...) {
        *error = -1;
    }
}
extern "C" json_t* gochat_sfu_query_session(janus_plugin_session* handle) {
    try {
        return instance().querySession(handle);
    } catch (...) {
        return nullptr;
    }
}
