// Fuzz target: --format templates (base/template.h) and docker's formatter
// around them (table header, tabwriter). A user's template is not
// untrusted input, but scripts pass them through, and a template must
// never crash hutch or run without bound: every input parses or fails, and
// every parsed template runs within the step and output limits over a
// fixed image row.
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/json.h"
#include "base/template.h"
#include "cli/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static hutch::json::Ptr row = hutch::json::parse(
      R"({"ID":"0123456789ab","Repository":"busybox","Tag":"latest","Size":"4.26MB","N":3,"L":["a","b"],)"
      R"("M":{"k":"v","n":null},"Z":0,"F":1.5})").value();
  hutch::tmpl::Options o;
  o.max_steps = 200000;
  o.max_output = 1 << 20;
  if (auto t = hutch::tmpl::Template::parse(text); t.ok()) {
    (void)t->execute(row.get(), o);
    o.header = true;
    o.missing_key_error = false;
    (void)t->execute(row.get(), o);
  }
  if (text.size() < 4096) {
    if (auto f = hutch::cli::Formatter::parse("table " + text); f.ok()) {
      (void)f->add(row.get());
      (void)f->finish(row.get());
    }
  }
  (void)hutch::cli::tabwrite(text);
  return 0;
}
