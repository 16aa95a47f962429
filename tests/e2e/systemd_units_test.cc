// deploy/systemd/ as shipped: `systemd-analyze verify` passes with no
// warning at all on every unit, `systemd-analyze security` rates each
// service's exposure at most 2.0 (rendered into a temporary folder with
// ExecStart pointing at this build's binaries, as an install would point
// at /usr/local/bin), every flag an ExecStart passes is one its binary
// takes (from its --helpfull), each service is sandboxed, and no secret is
// on a command line (they come through LoadCredential=).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace coachd {
namespace {

const std::string kUnits = std::string(COACHD_SOURCE_DIR) + "/deploy/systemd";

// Where each binary an ExecStart names is in this build.
const std::map<std::string, std::string>& Binaries() {
  static const auto* const kBinaries = new std::map<std::string, std::string>{
      {"coachd", std::string(COACHD_BINARY_DIR) + "/services/server/coachd"},
      {"web_gateway",
       std::string(COACHD_BINARY_DIR) + "/clients/web/web_gateway"},
      {"homeassistant",
       std::string(COACHD_BINARY_DIR) + "/clients/homeassistant/homeassistant"},
  };
  return *kBinaries;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Runs `command` through the shell; its output (stdout and stderr) and exit
// status.
std::pair<std::string, int> Shell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {"popen failed", -1};
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The shipped unit files, by name.
std::map<std::string, std::string> Units() {
  std::map<std::string, std::string> units;
  for (const auto& entry : std::filesystem::directory_iterator(kUnits)) {
    const std::string name = entry.path().filename().string();
    if (absl::EndsWith(name, ".service") || absl::EndsWith(name, ".target")) {
      units[name] = ReadFile(entry.path().string());
    }
  }
  return units;
}

// The values of `key` in `unit` (KEY=VALUE lines).
std::vector<std::string> Values(const std::string& unit,
                                const std::string& key) {
  std::vector<std::string> values;
  for (absl::string_view line : absl::StrSplit(unit, '\n')) {
    if (absl::ConsumePrefix(&line, key + "=")) values.emplace_back(line);
  }
  return values;
}

TEST(SystemdUnitsTest, EveryUnitVerifiesWithNoWarning) {
  const std::map<std::string, std::string> units = Units();
  ASSERT_EQ(units.size(), 4u) << "coachd@.service, coachd-web.service, "
                                 "coachd-homeassistant.service, coachd.target";
  const std::string dir = ::testing::TempDir() + "/systemd_units_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& [name, text] : units) {
    std::string rendered = text;
    for (const auto& [binary, path] : Binaries()) {
      rendered = absl::StrReplaceAll(
          rendered, {{"/usr/local/bin/" + binary + " ", path + " "}});
    }
    EXPECT_FALSE(absl::StrContains(rendered, "/usr/local/bin/"))
        << name << " runs a binary this build does not make";
    std::ofstream(dir + "/" + name) << rendered;
  }
  // The template's instances and everything else, found in `dir` alone.
  const std::vector<std::string> verify = {"coachd@1.service",
                                           "coachd@2.service",
                                           "coachd@3.service",
                                           "coachd-web.service",
                                           "coachd-homeassistant.service",
                                           "coachd.target"};
  const auto [output, status] = Shell(absl::StrCat(
      "cd ", dir, " && SYSTEMD_UNIT_PATH=", dir,
      ": systemd-analyze verify --man=no ", absl::StrJoin(verify, " ")));
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << "systemd-analyze verify warned";
  // And systemd's own exposure score of each service stays "OK" (at most
  // 2.0 of 10; the units score 1.5 when written).
  for (const char* unit : {"coachd@1.service", "coachd-web.service",
                           "coachd-homeassistant.service"}) {
    SCOPED_TRACE(unit);
    const auto [security, code] =
        Shell(absl::StrCat("cd ", dir, " && SYSTEMD_UNIT_PATH=", dir,
                           ": systemd-analyze security --offline=true ", unit));
    const std::string mark = absl::StrCat("exposure level for ", unit, ": ");
    const size_t at = security.find(mark);
    ASSERT_NE(at, std::string::npos) << security;
    double score = 10;
    ASSERT_TRUE(absl::SimpleAtod(security.substr(at + mark.size(), 3), &score))
        << security;
    EXPECT_LE(score, 2.0) << security;
    RecordProperty(unit, security.substr(at + mark.size(), 3));
  }
}

TEST(SystemdUnitsTest, EveryFlagOfEveryExecStartIsOneItsBinaryTakes) {
  for (const auto& [name, text] : Units()) {
    for (const std::string& exec : Values(text, "ExecStart")) {
      SCOPED_TRACE(name);
      std::vector<std::string> words = absl::StrSplit(exec, ' ');
      ASSERT_FALSE(words.empty());
      const std::string binary =
          std::filesystem::path(words[0]).filename().string();
      ASSERT_EQ(Binaries().count(binary), 1u) << words[0];
      const std::string help =
          Shell(Binaries().at(binary) + " --helpfull").first;
      for (size_t i = 1; i < words.size(); ++i) {
        absl::string_view flag = words[i];
        ASSERT_TRUE(absl::ConsumePrefix(&flag, "--")) << words[i];
        flag = flag.substr(0, flag.find('='));
        EXPECT_TRUE(absl::StrContains(help, absl::StrCat("--", flag, " (")))
            << binary << " has no --" << flag;
      }
    }
  }
}

TEST(SystemdUnitsTest, EveryServiceIsSandboxedAndGetsSecretsAsCredentials) {
  const std::vector<std::pair<std::string, std::string>> required = {
      {"DynamicUser", "yes"},
      {"NoNewPrivileges", "yes"},
      {"CapabilityBoundingSet", ""},
      {"AmbientCapabilities", ""},
      {"ProtectSystem", "strict"},
      {"ProtectHome", "yes"},
      {"PrivateTmp", "yes"},
      {"PrivateDevices", "yes"},
      {"ProtectKernelTunables", "yes"},
      {"ProtectKernelModules", "yes"},
      {"ProtectControlGroups", "yes"},
      {"RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
      {"RestrictNamespaces", "yes"},
      {"RestrictSUIDSGID", "yes"},
      {"LockPersonality", "yes"},
      {"MemoryDenyWriteExecute", "yes"},
      {"SystemCallArchitectures", "native"},
      {"SystemCallFilter", "@system-service"},
  };
  int services = 0;
  for (const auto& [name, text] : Units()) {
    if (!absl::EndsWith(name, ".service")) continue;
    ++services;
    SCOPED_TRACE(name);
    for (const auto& [key, value] : required) {
      const std::vector<std::string> values = Values(text, key);
      EXPECT_EQ(values, std::vector<std::string>{value}) << key;
    }
    // Secrets: files handed over by LoadCredential= and named by %d, never
    // a value on the command line.
    for (const std::string& exec : Values(text, "ExecStart")) {
      for (absl::string_view word : absl::StrSplit(exec, ' ')) {
        if (absl::StrContains(word, "secret") ||
            absl::StrContains(word, "password")) {
          EXPECT_TRUE(absl::StrContains(word, "_file=%d/")) << word;
        }
      }
      EXPECT_FALSE(absl::StrContains(exec, "--token")) << exec;
    }
    for (const std::string& credential : Values(text, "LoadCredential")) {
      const std::string id = credential.substr(0, credential.find(':'));
      EXPECT_TRUE(absl::StrContains(text, "%d/" + id))
          << "credential " << id << " is loaded but never used";
    }
  }
  EXPECT_EQ(services, 3);
}

}  // namespace
}  // namespace coachd
