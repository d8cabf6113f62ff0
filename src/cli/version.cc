#include "cli/commands.h"

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

namespace hutch::cli {

int cmd_version(const Global&, const Args& a, size_t start) {
  std::vector<OptSpec> opts = {{"format", "f", true, false, "format the output using a Go template (only {{.Client.Version}})"}};
  int code = 0;
  auto p = parse_command(a, start, opts, "version [OPTIONS]", "Show the hutch version information", &code);
  if (!p.ok()) return code;
  std::string fmt = p->get("format");
  if (!fmt.empty()) {
    if (fmt != "{{.Client.Version}}" && fmt != "{{.Server.Version}}" && fmt != "{{json .}}")
      return fail(Error::plain(EINVAL, "--format: template \"" + fmt + "\" is not supported yet"), 125);
    if (fmt == "{{json .}}") {
      print(std::string("{\"Client\":{\"Version\":\"") + HUTCH_VERSION + "\"}}\n");
    } else {
      print(std::string(HUTCH_VERSION) + "\n");
    }
    return 0;
  }
  print(std::string("Client: hutch\n Version:    ") + HUTCH_VERSION +
        "\n Runtime:    hutchrt (OCI runtime-spec 1.2)\n Daemonless: yes\n");
  return 0;
}

}  // namespace hutch::cli
