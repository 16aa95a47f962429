#include "clients/loadgen/chaos_report.h"

#include "absl/strings/str_cat.h"
#include "clients/loadgen/report_fields.h"

namespace coachd {
namespace {

std::vector<ReportField> Fields(const ChaosReport& r) {
  return {
      {"mode", r.mode},
      {"label", r.label},
      {"target", r.target},
      {"run_id", r.run_id},
      {"households", int64_t{r.households}},
      {"channels", int64_t{r.channels}},
      {"run_s", r.run_s},
      {"sessions_started", r.sessions_started},
      {"sessions_finished", r.sessions_finished},
      {"sessions_unfinished", r.sessions_unfinished},
      {"start_retries", r.start_retries},
      {"devices", r.devices},
      {"devices_incomplete", r.devices_incomplete},
      {"delivered", r.delivered},
      {"duplicates", r.duplicates},
      {"silent_gaps", r.silent_gaps},
      {"missing", r.missing},
      {"changed_events", r.changed_events},
      {"not_recovered", r.not_recovered},
      {"epoch_changes", r.epoch_changes},
      {"resubscribes", r.resubscribes},
      {"commands", r.commands},
      {"command_attempts", r.command_attempts},
      {"commands_deduplicated", r.commands_deduplicated},
      {"commands_refused", r.commands_refused},
      {"commands_unknown", r.commands_unknown},
      {"commands_applied_twice", r.commands_applied_twice},
      {"commands_lost", r.commands_lost},
      {"commands_lost_in_failover", r.commands_lost_in_failover},
      {"command_p50_ms", r.command_p50_ms},
      {"command_p99_ms", r.command_p99_ms},
      {"command_max_ms", r.command_max_ms},
      {"latency_p50_us", r.latency_p50_us},
      {"latency_p99_us", r.latency_p99_us},
      {"latency_max_us", r.latency_max_us},
      {"reminders_planned", r.reminders_planned},
      {"reminders_fired", r.reminders_fired},
      {"reminders_lost", r.reminders_lost},
      {"reminders_fired_twice", r.reminders_fired_twice},
      {"reminder_deliveries", r.reminder_deliveries},
      {"reminder_note", r.reminder_note},
      {"errors", r.errors},
      {"errors_by_code", r.errors_by_code},
      {"max_stall_ms", r.max_stall_ms},
      {"max_stall_at_s", r.max_stall_at_s},
      {"max_stall_household", r.max_stall_household},
      {"first_error", r.first_error},
      {"first_problem", r.first_problem},
  };
}

// Per window "w<i>_..." (from 1), the quiet remainder "quiet_...": flat,
// so that a script picks them with sed.
void AddWindowFields(const ChaosReport& r, std::vector<ReportField>* out) {
  out->push_back({"windows_note", r.windows_note});
  for (size_t i = 0; i < r.windows.size(); ++i) {
    const WindowLatency& w = r.windows[i];
    const bool quiet = i + 1 == r.windows.size();  // LatencyByWindow's last.
    const std::string key = quiet ? "quiet" : absl::StrCat("w", i + 1);
    if (!quiet) {
      out->push_back({key + "_name", w.name});
      out->push_back({key + "_from_s", w.from_s});
      out->push_back({key + "_to_s", w.to_s});
    }
    out->push_back({key + "_commands", w.commands});
    out->push_back({key + "_command_p99_ms", w.command_p99_us < 0
                                                 ? int64_t{-1}
                                                 : w.command_p99_us / 1000});
    out->push_back({key + "_events", w.events});
    out->push_back({key + "_event_p99_us", w.event_p99_us});
  }
}

std::vector<ReportField> AllFields(const ChaosReport& r) {
  std::vector<ReportField> fields = Fields(r);
  AddWindowFields(r, &fields);
  return fields;
}

}  // namespace

std::string FormatChaosTable(const ChaosReport& report) {
  return FormatFieldTable(AllFields(report));
}

std::string FormatChaosJson(const ChaosReport& report) {
  return FormatFieldJson(AllFields(report));
}

std::vector<std::string> ChaosViolations(const ChaosReport& r) {
  struct Rule {
    const char* name;
    int64_t count;
    const char* meaning;
  };
  const Rule rules[] = {
      {"sessions_unfinished", r.sessions_unfinished,
       "sessions not finished at the end"},
      {"devices_incomplete", r.devices_incomplete,
       "devices that gave up or never saw their session end"},
      {"duplicates", r.duplicates, "events a device got twice"},
      {"silent_gaps", r.silent_gaps, "jumps no snapshot announced"},
      {"changed_events", r.changed_events,
       "an {epoch, sequence} seen with other content"},
      {"commands_applied_twice", r.commands_applied_twice,
       "a command id took effect twice"},
      {"commands_lost", r.commands_lost,
       "acknowledged commands missing from the history"},
      {"reminders_lost", r.reminders_lost, "reminders never heard"},
      {"reminders_fired_twice", r.reminders_fired_twice,
       "reminders that fired twice"},
  };
  std::vector<std::string> out;
  for (const Rule& rule : rules) {
    if (rule.count > 0) {
      out.push_back(
          absl::StrCat(rule.name, "=", rule.count, " (", rule.meaning, ")"));
    }
  }
  if (r.delivered <= 0) out.push_back("delivered=0 (nothing was checked)");
  return out;
}

}  // namespace coachd
