#include "registry/options.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/fs.h"

namespace hutch::registry {
namespace {

TEST(RegistryOptions, ParsesInsecureAndMirrors) {
  auto o = RegistryOptions::parse(R"({"insecure":["10.0.0.2:5000"],"mirrors":{"docker.io":["https://m.lan:5000/"]}})", "t");
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_TRUE(o->is_insecure("10.0.0.2:5000"));
  EXPECT_FALSE(o->is_insecure("10.0.0.2:5001"));
  EXPECT_EQ(o->base_url("10.0.0.2:5000"), "http://10.0.0.2:5000");
  EXPECT_EQ(o->base_url("quay.io"), "https://quay.io");
  ASSERT_EQ(o->mirrors["docker.io"].size(), 1u);
  EXPECT_EQ(o->mirrors["docker.io"][0], "m.lan:5000");
}

TEST(RegistryOptions, ErrorsNameTheField) {
  auto a = RegistryOptions::parse(R"({"insecure":"x"})", "f.json");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message().find("f.json"), std::string::npos);
  EXPECT_NE(a.error().message().find("insecure"), std::string::npos);
  auto b = RegistryOptions::parse(R"({"mirrors":{"docker.io":[1]}})", "f.json");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("mirrors.docker.io[0]"), std::string::npos);
  EXPECT_FALSE(RegistryOptions::parse("{", "f.json").ok());
}

TEST(RegistryOptions, CertsDirectory) {
  char tmpl[] = "/tmp/hutch-certs-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  RegistryOptions o;
  o.certs_dir = tmpl;
  auto none = o.tls_for("h:1");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->extra_ca_pem.empty());
  ASSERT_TRUE(fs::mkdir_p(std::string(tmpl) + "/h:1").ok());
  ASSERT_TRUE(fs::write_file(std::string(tmpl) + "/h:1/ca.crt", "PEM-A").ok());
  ASSERT_TRUE(fs::write_file(std::string(tmpl) + "/h:1/client.cert", "C").ok());
  auto missing_key = o.tls_for("h:1");
  ASSERT_FALSE(missing_key.ok());
  EXPECT_NE(missing_key.error().message().find("client.key"), std::string::npos);
  ASSERT_TRUE(fs::write_file(std::string(tmpl) + "/h:1/client.key", "K").ok());
  auto t = o.tls_for("h:1");
  ASSERT_TRUE(t.ok());
  EXPECT_NE(t->extra_ca_pem.find("PEM-A"), std::string::npos);
  EXPECT_EQ(t->client_key, std::string(tmpl) + "/h:1/client.key");
  ASSERT_TRUE(fs::remove_all(tmpl).ok());
}

}  // namespace
}  // namespace hutch::registry
