#include "registry/reference.h"

#include <gtest/gtest.h>

namespace hutch::registry {
namespace {

std::string norm(const char* s) {
  auto r = Reference::parse(s);
  return r.ok() ? r->str() : "ERR: " + r.error().message();
}

TEST(Reference, DockerNormalisation) {
  EXPECT_EQ(norm("busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(norm("busybox:1.36"), "docker.io/library/busybox:1.36");
  EXPECT_EQ(norm("user/app"), "docker.io/user/app:latest");
  EXPECT_EQ(norm("docker.io/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(norm("index.docker.io/library/busybox"), "docker.io/library/busybox:latest");
  EXPECT_EQ(norm("localhost/app"), "localhost/app:latest");
  EXPECT_EQ(norm("localhost:5000/a/b:v1"), "localhost:5000/a/b:v1");
  EXPECT_EQ(norm("127.0.0.1:5000/app"), "127.0.0.1:5000/app:latest");
  EXPECT_EQ(norm("quay.io/x/y:z"), "quay.io/x/y:z");
}

TEST(Reference, Digests) {
  std::string hex(64, 'a');
  EXPECT_EQ(norm(("app@sha256:" + hex).c_str()), "docker.io/library/app@sha256:" + hex);
  EXPECT_EQ(norm(("app:1@sha256:" + hex).c_str()), "docker.io/library/app:1@sha256:" + hex);
  EXPECT_NE(norm("app@sha256:abc").find("bad digest"), std::string::npos);
  EXPECT_NE(norm(("app@md5:" + hex).c_str()).find("bad digest"), std::string::npos);
}

TEST(Reference, Invalid) {
  EXPECT_NE(norm("").find("empty"), std::string::npos);
  EXPECT_NE(norm("Busybox").find("lowercase"), std::string::npos);
  EXPECT_NE(norm("a//b").find("bad name component"), std::string::npos);
  EXPECT_NE(norm("app:").find("bad tag"), std::string::npos);
  EXPECT_NE(norm("app:-x").find("bad tag"), std::string::npos);
  EXPECT_NE(norm("-app").find("bad name component"), std::string::npos);
  EXPECT_NE(norm("a..b").find("bad name component"), std::string::npos);
  EXPECT_EQ(norm("a__b"), "docker.io/library/a__b:latest");
  EXPECT_EQ(norm("a--b"), "docker.io/library/a--b:latest");
  EXPECT_NE(norm(std::string(300, 'a').c_str()).find("255"), std::string::npos);
}

TEST(Reference, Familiar) {
  EXPECT_EQ(Reference::parse("busybox")->familiar(), "busybox:latest");
  EXPECT_EQ(Reference::parse("user/app:2")->familiar(), "user/app:2");
  EXPECT_EQ(Reference::parse("localhost:5000/app")->familiar(), "localhost:5000/app:latest");
  EXPECT_EQ(Reference::parse("busybox")->endpoint_host(), "registry-1.docker.io");
  EXPECT_EQ(Reference::parse("localhost:5000/app")->endpoint_host(), "localhost:5000");
}

}  // namespace
}  // namespace hutch::registry
