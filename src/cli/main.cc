// hutch: the container engine. For now it only reports its version; the
// engine commands arrive with the image and container issues.
#include <cstdio>
#include <cstring>

#ifndef HUTCH_VERSION
#define HUTCH_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  if (argc >= 2 && (std::strcmp(argv[1], "version") == 0 || std::strcmp(argv[1], "--version") == 0 ||
                    std::strcmp(argv[1], "-v") == 0)) {
    std::printf("hutch version %s\n", HUTCH_VERSION);
    return 0;
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
                    std::strcmp(argv[1], "help") == 0)) {
    std::printf("Usage: hutch COMMAND\n\nCommands:\n  version   Show the hutch version\n\n"
                "The engine commands (run, pull, images, ...) are not implemented yet;\n"
                "use hutchrt, the OCI runtime, directly.\n");
    return 0;
  }
  std::fprintf(stderr, "hutch: %s: command not implemented yet (hutch version %s; see hutch --help)\n",
               argc >= 2 ? argv[1] : "(none)", HUTCH_VERSION);
  return 125;
}
