// The one place C++ code includes Janus headers. They have no extern "C"
// guards, and glib must come first: included inside an extern "C" block its
// C++ templates fail to compile ("template with C linkage").
#pragma once

#include <glib.h>
#include <jansson.h>

extern "C" {
#include <debug.h>
#include <plugins/plugin.h>
#include <config.h>
#include <rtp.h>
#include <rtcp.h>
#include <sdp-utils.h>
#include <utils.h>
}
