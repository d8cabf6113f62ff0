// docker import: a rootfs tarball (plain or compressed) becomes a
// one-layer image, its config shaped by Dockerfile-style --change
// instructions (CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL).
// Thread-safety: as Images.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/image.h"

namespace hutch::engine {

// Applies one --change instruction to a container config. Pure.
Status apply_change(const std::string& change, oci::ContainerConfig& cfg);

}  // namespace hutch::engine
