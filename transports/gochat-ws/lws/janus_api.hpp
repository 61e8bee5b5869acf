// The one place C++ includes Janus headers. They carry no extern "C"
// guards, and glib must come first or its C++ templates end up with C
// linkage (docs/architecture.md, Source map).
#pragma once

#include <glib.h>
#include <jansson.h>

extern "C" {
#include <config.h>
#include <debug.h>
#include <transports/transport.h>
}
