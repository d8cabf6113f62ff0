// Deterministic fuzz smoke test for compilers without libFuzzer: replays
// every corpus file, then byte-level mutations of each (flip, insert,
// delete, splice), so a sanitizer build exercises the parsers on broken
// input in every CI run. Usage: fuzz_driver CORPUS_DIR [ITERATIONS]
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  int iterations = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::vector<std::string> corpus;
  DIR* d = opendir(argv[1]);
  if (!d) {
    std::perror(argv[1]);
    return 2;
  }
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string(argv[1]) + "/" + e->d_name, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    corpus.push_back(ss.str());
  }
  closedir(d);
  if (corpus.empty()) {
    std::fprintf(stderr, "empty corpus\n");
    return 2;
  }
  for (const auto& c : corpus) LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  std::mt19937 rng(12345);
  for (int i = 0; i < iterations; ++i) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < edits && !s.empty(); ++k) {
      size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[pos] = static_cast<char>(rng() % 256); break;
        case 1: s.insert(pos, 1, "{}[]\":,0-9e.\\"[rng() % 14]); break;
        case 2: s.erase(pos, 1 + rng() % 16); break;
        default: {
          const std::string& o = corpus[rng() % corpus.size()];
          size_t from = rng() % o.size();
          s.insert(pos, o.substr(from, 1 + rng() % 64));
        }
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::printf("fuzz smoke: %zu corpus files, %d mutations, no crash\n", corpus.size(), iterations);
  return 0;
}
