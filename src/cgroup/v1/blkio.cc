// v1 blkio controller: Documentation/admin-guide/cgroup-v1/blkio-controller.rst.
#include "cgroup/v1/v1.h"

namespace hutch::cgroup::v1 {

static std::string device(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// Proportional weights come from the CFQ scheduler (blkio.weight, removed
// in Linux 5.0) or from BFQ (blkio.bfq.weight); a host may have neither.
static Result<std::string> weight_prefix(const std::string& dir) {
  if (file_exists(dir, "blkio.weight")) return std::string("blkio.");
  if (file_exists(dir, "blkio.bfq.weight")) return std::string("blkio.bfq.");
  return Error(ENOTSUP,
               "blockIO weights need the CFQ or BFQ I/O scheduler, and this host has neither");
}

static Status throttle(const std::string& dir, const char* file,
                       const std::vector<oci::ThrottleDevice>& devices) {
  // One device per write(2).
  for (const auto& d : devices)
    TRY(write_file(dir, file, device(d.major, d.minor) + " " + std::to_string(d.rate)));
  return {};
}

Status apply_blkio(const std::string& dir, const oci::BlockIo& b) {
  bool weights = b.weight.value_or(0) != 0 || b.leaf_weight.value_or(0) != 0;
  for (const auto& wd : b.weight_device)
    weights = weights || wd.weight.value_or(0) != 0 || wd.leaf_weight.value_or(0) != 0;
  if (weights) {
    ASSIGN_OR_RETURN(std::string p, weight_prefix(dir));
    if (b.weight.value_or(0) != 0) TRY(write_file(dir, p + "weight", std::to_string(*b.weight)));
    // BFQ has no leaf weights.
    if (b.leaf_weight.value_or(0) != 0 && p == "blkio.")
      TRY(write_file(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight)));
    for (const auto& wd : b.weight_device) {
      std::string dev = device(wd.major, wd.minor);
      if (wd.weight.value_or(0) != 0)
        TRY(write_file(dir, p + "weight_device", dev + " " + std::to_string(*wd.weight)));
      if (wd.leaf_weight.value_or(0) != 0 && p == "blkio.")
        TRY(write_file(dir, "blkio.leaf_weight_device",
                       dev + " " + std::to_string(*wd.leaf_weight)));
    }
  }
  TRY(throttle(dir, "blkio.throttle.read_bps_device", b.throttle_read_bps));
  TRY(throttle(dir, "blkio.throttle.write_bps_device", b.throttle_write_bps));
  TRY(throttle(dir, "blkio.throttle.read_iops_device", b.throttle_read_iops));
  TRY(throttle(dir, "blkio.throttle.write_iops_device", b.throttle_write_iops));
  return {};
}

}  // namespace hutch::cgroup::v1
