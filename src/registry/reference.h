// Image references as docker writes them, normalised the docker way:
//   busybox                 -> docker.io/library/busybox:latest
//   user/app:1.0            -> docker.io/user/app:1.0
//   localhost:5000/app      -> localhost:5000/app:latest
//   app@sha256:<hex>        -> docker.io/library/app@sha256:<hex>
// The first component is a registry when it has a "." or ":" or is
// "localhost" (distribution/reference's rule). Pure code.
// Thread-safety: values.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace hutch::registry {

struct Reference {
  std::string registry;    // "docker.io", "localhost:5000"
  std::string repository;  // "library/busybox"
  std::string tag;         // "latest" when neither tag nor digest was given
  std::string digest;      // "sha256:..." or empty

  static Result<Reference> parse(std::string_view text);
  // "docker.io/library/busybox:latest" (tag and digest when both present).
  std::string str() const;
  // "registry/repository" without tag or digest.
  std::string name() const { return registry + "/" + repository; }
  // docker's short display form: "busybox:latest", "user/app:1.0",
  // "localhost:5000/app:latest".
  std::string familiar() const;
  // The host actually contacted: "registry-1.docker.io" for docker.io.
  std::string endpoint_host() const;
};

}  // namespace hutch::registry
