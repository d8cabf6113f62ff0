// The container's root file system when it is an overlay of image layers:
// mounted by the monitor before `runtime create`, unmounted when the
// container ends for good. Long layer lists (beyond one page of mount
// options) go through the new mount API, one "lowerdir+" per layer.
// Thread-safety: functions only.
#pragma once

#include <string>

#include "base/error.h"
#include "monitor/settings.h"

namespace hutch::monitor {

// The mount(2) data: "lowerdir=a:b,upperdir=u,workdir=w" with ',', ':' and
// '\' in paths escaped.
std::string overlay_options(const OverlayRootfs& r);

// Whether path is the root of a mount.
bool is_mount_point(const std::string& path);

// Mounts the overlay at r.target unless something is mounted there
// already. Nothing to do when r.lower is empty.
Status mount_rootfs(const OverlayRootfs& r);
// Unmounts r.target when it is a mount point (lazily when busy).
Status unmount_rootfs(const OverlayRootfs& r);

}  // namespace hutch::monitor
