// deploy/grafana/coachd.json cannot rot silently: every metric name its
// PromQL expressions use is one the binaries export. coachd (on a real
// redis-server, so its Redis metrics exist), the web gateway and the Home
// Assistant bridge (on a real mosquitto) run as processes with
// --metrics_listen; their GET /metrics is scraped and parsed, and each name
// in the dashboard must be a family there (a histogram's _bucket, _sum and
// _count included). The dashboard is read with protobuf's JSON parser, so
// it must be valid JSON too.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/common/child_process.h"
#include "tests/common/mosquitto_server.h"
#include "tests/common/prometheus_scrape.h"
#include "tests/common/redis_server.h"

namespace coachd {
namespace {

constexpr char kSecret[] = "grafana-test-secret";
constexpr absl::Duration kCap = absl::Seconds(60);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// Every "expr" string anywhere in `value`.
void CollectExprs(const google::protobuf::Value& value,
                  std::vector<std::string>* out) {
  if (value.has_struct_value()) {
    for (const auto& [key, member] : value.struct_value().fields()) {
      if (key == "expr" && member.has_string_value()) {
        out->push_back(member.string_value());
      } else {
        CollectExprs(member, out);
      }
    }
  } else if (value.has_list_value()) {
    for (const google::protobuf::Value& item : value.list_value().values()) {
      CollectExprs(item, out);
    }
  }
}

// The metric names in a PromQL expression: identifiers starting with
// "coachd_" that are not a dashboard variable ($coachd_job).
std::set<std::string> MetricNames(const std::string& expr) {
  std::set<std::string> names;
  auto word = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           c == ':';
  };
  for (size_t at = expr.find("coachd_"); at != std::string::npos;
       at = expr.find("coachd_", at + 1)) {
    if (at > 0 && (word(expr[at - 1]) || expr[at - 1] == '$')) continue;
    size_t end = at;
    while (end < expr.size() && word(expr[end])) ++end;
    names.insert(expr.substr(at, end - at));
  }
  return names;
}

// The names a scrape exports: each family, and a histogram's series.
void AddExported(const ScrapedMetrics& m, std::set<std::string>* names) {
  for (const auto& [family, type] : m.types) {
    names->insert(family);
    if (type == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        names->insert(family + suffix);
      }
    }
  }
}

class GrafanaDashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/grafana_dashboard_test";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/secret") << kSecret << "\n";
  }

  // Starts `argv` with --metrics_listen on a free port; the metrics port.
  // With `port_file`, also waits for the program's own port there.
  int StartMeasured(std::vector<std::string> argv, const std::string& name,
                    const std::string& port_file = "") {
    const std::string metrics_file = dir_ + "/" + name + ".metrics_port";
    argv.push_back("--metrics_listen=127.0.0.1:0");
    argv.push_back("--metrics_port_file=" + metrics_file);
    absl::StatusOr<std::unique_ptr<ChildProcess>> child =
        ChildProcess::Start(argv, dir_ + "/" + name + ".log");
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return 0;
    absl::StatusOr<int> metrics = WaitForPortFile(**child, metrics_file, kCap);
    EXPECT_TRUE(metrics.ok()) << name << ": " << metrics.status();
    if (!port_file.empty()) {
      absl::StatusOr<int> port = WaitForPortFile(**child, port_file, kCap);
      EXPECT_TRUE(port.ok()) << name << ": " << port.status();
      if (port.ok()) ports_[name] = *port;
    }
    children_.push_back(*std::move(child));
    return metrics.ok() ? *metrics : 0;
  }

  std::set<std::string> Scrape(int port, const std::string& name) {
    std::set<std::string> names;
    absl::StatusOr<ScrapedMetrics> m = ScrapeMetrics(port);
    EXPECT_TRUE(m.ok()) << name << ": " << m.status();
    if (m.ok()) AddExported(*m, &names);
    return names;
  }

  std::string dir_;
  std::map<std::string, int> ports_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

TEST_F(GrafanaDashboardTest, EveryMetricTheDashboardQueriesIsExported) {
  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  absl::StatusOr<std::unique_ptr<MosquittoServer>> broker =
      MosquittoServer::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::string bin = COACHD_BINARY_DIR;
  const int coachd = StartMeasured(
      {bin + "/services/server/coachd",
       "--auth_secret_file=" + dir_ + "/secret",
       "--catalog=" + std::string(COACHD_SOURCE_DIR) +
           "/services/catalog/back_catalog.textproto",
       "--listen=127.0.0.1:0", "--port_file=" + dir_ + "/coachd.port",
       "--redis=" + (*redis)->url()},
      "coachd", dir_ + "/coachd.port");
  ASSERT_GT(coachd, 0);
  const std::string target = absl::StrCat("127.0.0.1:", ports_["coachd"]);
  const int web =
      StartMeasured({bin + "/clients/web/web_gateway", "--listen=127.0.0.1:0",
                     "--coachd=" + target, "--port_file=" + dir_ + "/web.port"},
                    "web", dir_ + "/web.port");
  const int ha = StartMeasured(
      {bin + "/clients/homeassistant/homeassistant", "--target=" + target,
       "--people=alice", "--secret_file=" + dir_ + "/secret",
       absl::StrCat("--mqtt_port=", (*broker)->port())},
      "homeassistant");
  ASSERT_GT(web, 0);
  ASSERT_GT(ha, 0);

  std::set<std::string> exported = Scrape(coachd, "coachd");
  for (const std::string& n : Scrape(web, "web")) exported.insert(n);
  for (const std::string& n : Scrape(ha, "homeassistant")) exported.insert(n);

  google::protobuf::Struct dashboard;
  const std::string path =
      std::string(COACHD_SOURCE_DIR) + "/deploy/grafana/coachd.json";
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(ReadFile(path), &dashboard)
          .ok())
      << path << " is not JSON";
  google::protobuf::Value root;
  *root.mutable_struct_value() = dashboard;
  std::vector<std::string> exprs;
  CollectExprs(root, &exprs);
  ASSERT_GE(exprs.size(), 20u) << "the dashboard lost its queries";
  std::set<std::string> used;
  for (const std::string& expr : exprs) {
    SCOPED_TRACE(expr);
    const std::set<std::string> names = MetricNames(expr);
    EXPECT_FALSE(names.empty()) << "a query of no coachd metric";
    for (const std::string& name : names) {
      EXPECT_EQ(exported.count(name), 1u)
          << name << " is not exported by coachd, web_gateway or "
          << "homeassistant";
      used.insert(name);
    }
  }
  // Each binary's metrics are on the dashboard.
  for (const char* prefix :
       {"coachd_rpc_", "coachd_redis_", "coachd_web_", "coachd_ha_",
        "coachd_lease_", "coachd_reminders_", "coachd_session_snapshots_"}) {
    SCOPED_TRACE(prefix);
    bool any = false;
    for (const std::string& name : used) any |= absl::StartsWith(name, prefix);
    EXPECT_TRUE(any);
  }
  RecordProperty("metric_names_checked", static_cast<int>(used.size()));
}

TEST(GrafanaMetricNamesTest, NamesAreFoundAndVariablesAreNot) {
  EXPECT_EQ(MetricNames("sum(rate(coachd_rpc_requests_total{job=~\"$coachd_"
                        "job\"}[5m])) / coachd_x:y"),
            (std::set<std::string>{"coachd_rpc_requests_total", "coachd_x:y"}));
  EXPECT_TRUE(MetricNames("up{job=\"mycoachd_job\"}").empty());
}

}  // namespace
}  // namespace coachd
