// Owning holders for objects of C libraries (GLib, Jansson, libjwt, Janus,
// OpenSSL): `Owned<jwt_t, jwt_free>` frees with jwt_free when it goes out
// of scope, so no function frees by hand on each return path.
// Jansson values have their own holder with reference counting
// (common/json_ref.hpp).
#pragma once

#include <memory>

namespace gochat {

template <auto Release>
struct ReleaseWith {
    template <typename T>
    void operator()(T* object) const noexcept {
        Release(object);
    }
};

// A unique_ptr that calls `Release(object)` on a non-null object.
template <typename T, auto Release>
using Owned = std::unique_ptr<T, ReleaseWith<Release>>;

}  // namespace gochat
