#include "tests/common/test_pki.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace coachd {
namespace {

// Runs a shell command; true when it exits 0.
bool Run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

bool TestPki::MakeCa(const std::string& ca) {
  return Run(absl::StrCat(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 1 -subj /CN=coachd-test-",
      ca, " -keyout ", Path(ca + ".key"), " -out ", Path(ca + ".pem")));
}

bool TestPki::MakeLeaf(const std::string& name, const std::string& ca) {
  const std::string ext = Path(name + ".ext");
  FILE* f = std::fopen(ext.c_str(), "w");
  if (f == nullptr) return false;
  std::fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n", f);
  std::fclose(f);
  return Run(absl::StrCat(
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
             "-nodes -subj /CN=",
             name, " -keyout ", Path(name + ".key"), " -out ",
             Path(name + ".csr"))) &&
         Run(absl::StrCat("openssl x509 -req -days 1 -in ", Path(name + ".csr"),
                          " -CA ", Path(ca + ".pem"), " -CAkey ",
                          Path(ca + ".key"), " -CAcreateserial -extfile ", ext,
                          " -out ", Path(name + ".pem")));
}

std::string TestPki::Path(const std::string& file) const {
  return absl::StrCat(dir_, "/", file);
}

}  // namespace coachd
