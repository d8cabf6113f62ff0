#include "engine/import.h"

#include <gtest/gtest.h>

namespace hutch::engine {
namespace {

TEST(ImportChange, Instructions) {
  oci::ContainerConfig c;
  ASSERT_TRUE(apply_change("CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", c).ok());
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  ASSERT_TRUE(apply_change("ENTRYPOINT top -b", c).ok());
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "top -b"}));
  ASSERT_TRUE(apply_change("ENV A=1 B=\"two words\"", c).ok());
  ASSERT_TRUE(apply_change("env A 3", c).ok());
  EXPECT_EQ(c.env, (std::vector<std::string>{"B=two words", "A=3"}));
  ASSERT_TRUE(apply_change("WORKDIR /srv", c).ok());
  EXPECT_EQ(c.working_dir, "/srv");
  ASSERT_TRUE(apply_change("USER 1000:1000", c).ok());
  EXPECT_EQ(c.user, "1000:1000");
  ASSERT_TRUE(apply_change("EXPOSE 80 53/udp", c).ok());
  EXPECT_EQ(c.exposed_ports, (std::set<std::string>{"80/tcp", "53/udp"}));
  ASSERT_TRUE(apply_change("LABEL a=b c=\"d e\"", c).ok());
  EXPECT_EQ(c.labels.at("c"), "d e");
}

TEST(ImportChange, Errors) {
  oci::ContainerConfig c;
  EXPECT_NE(apply_change("RUN make", c).error().message().find("only CMD"), std::string::npos);
  EXPECT_NE(apply_change("WORKDIR rel", c).error().message().find("absolute"), std::string::npos);
  EXPECT_NE(apply_change("EXPOSE 70000", c).error().message().find("invalid port"), std::string::npos);
  EXPECT_NE(apply_change("CMD [1]", c).error().message().find("strings"), std::string::npos);
  EXPECT_NE(apply_change("LABEL a=\"x", c).error().message().find("unterminated"), std::string::npos);
}

}  // namespace
}  // namespace hutch::engine
