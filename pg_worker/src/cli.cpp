// The worker CLI (CLI11): global connection and output options, one subcommand per task.
#include "anonkit/pg/cli.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "anonkit/error.hpp"
#include "anonkit/policy/duration.hpp"
#include "anonkit/pseudo/keyring.hpp"
#include "coverage.hpp"
#include "db/connection.hpp"
#include "destroyer.hpp"
#include "install.hpp"
#include "inventory.hpp"
#include "report.hpp"
#include "requests.hpp"
#include "retention.hpp"
#include "subjects.hpp"

namespace anonkit::pg {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) { g_stop.store(true); }

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

std::string outcomes_text(const std::vector<RuleOutcome>& outcomes, bool dry_run) {
  std::string s = fmt::format("{:<24} {:<10} {:<8} {:>10} {:>8} {:>10} {:>9}  {}\n", "rule",
                              "action", "status", dry_run ? "would" : "rows", "batches",
                              "partitions", "seconds", dry_run ? "oldest .. newest" : "");
  for (const auto& o : outcomes) {
    s += fmt::format(
        "{:<24} {:<10} {:<8} {:>10} {:>8} {:>10} {:>9.2f}  {}\n", o.rule, o.action, o.status,
        o.rows, o.batches,
        dry_run ? o.partitions.size() : static_cast<std::size_t>(o.partitions_dropped), o.seconds,
        dry_run && o.oldest ? fmt::format("{} .. {}", *o.oldest, o.newest.value_or("")) : "");
    if (!o.error.empty()) s += fmt::format("  {}\n", o.error);
    for (const auto& n : o.notes) s += fmt::format("  note: {}\n", n);
    for (const auto& p : o.partitions)
      s += fmt::format("  partition {} {}\n", p, dry_run ? "would be dropped" : "dropped");
    if (o.verification && columns_with_findings(*o.verification) == 0)
      s += fmt::format("  verify: {} masked column(s) re-scanned, nothing found\n",
                       o.verification->size());
  }
  return s;
}

std::string outcomes_json(const std::vector<RuleOutcome>& outcomes, bool dry_run) {
  nlohmann::json doc = {{"dry_run", dry_run}, {"rules", nlohmann::json::array()}};
  for (const auto& o : outcomes) {
    nlohmann::json r = {{"rule", o.rule},
                        {"action", o.action},
                        {"table", o.table},
                        {"status", o.status},
                        {"cutoff", o.cutoff},
                        {"rows", o.rows},
                        {"batches", o.batches},
                        {"partitions_dropped", o.partitions_dropped},
                        {"partitions", o.partitions},
                        {"longest_batch_ms", o.longest_batch_ms},
                        {"seconds", o.seconds}};
    if (dry_run) {
      r["oldest"] = o.oldest ? nlohmann::json(*o.oldest) : nlohmann::json();
      r["newest"] = o.newest ? nlohmann::json(*o.newest) : nlohmann::json();
    }
    if (!o.error.empty()) r["error"] = o.error;
    if (!o.notes.empty()) r["notes"] = o.notes;
    if (!o.strategies.empty()) r["strategies"] = o.strategies;
    if (o.verification) r["verification"] = verification_json(*o.verification);
    doc["rules"].push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

int exit_for(const std::vector<RuleOutcome>& outcomes) {
  for (const auto& o : outcomes)
    if (o.status == "failed" || o.status == "verify_failed") return kExitRuleFailed;
  return kExitOk;
}

std::chrono::milliseconds duration_option(const std::string& text, const char* option) {
  try {
    return policy::parse_duration(text);
  } catch (const InvalidArgument& e) {
    throw CLI::ValidationError(option, e.what());
  }
}

}  // namespace

int run_cli(int argc, char** argv) noexcept {
  try {
    CLI::App app{"anonkit-worker: retention rules and data-subject requests for PostgreSQL",
                 "anonkit-worker"};
    app.set_version_flag("--version", std::string("anonkit-worker ") + ANONKIT_VERSION);
    std::string dsn, key_file;
    bool json = false, verbose = false;
    app.add_option("--dsn", dsn,
                   "libpq connection string or URI; default: PG* variables, service file, .pgpass")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_flag("--json", json, "machine-readable output (also accepted after the command)");
    app.add_flag("--verbose", verbose, "say more on stderr");
    app.add_option("--key-file", key_file,
                   "key for receipts, key hashes and pseudonym/fpe masks (32 bytes, mode 0600); "
                   "default $ANONKIT_KEY_FILE");
    app.require_subcommand(1);
    // Options of the program also after the command (`plan --subject x --json`): every
    // subcommand added below inherits this.
    app.fallthrough();

    auto* ping = app.add_subcommand("ping", "connect and print the server version");

    auto* install = app.add_subcommand("install", "create or upgrade schema anonkit (idempotent)");
    std::optional<int> target_version;
    install->add_option("--target-version", target_version,
                        "stop at this schema version (for staged upgrades)");

    auto* retention = app.add_subcommand("retention", "retention rules");
    retention->require_subcommand(1);
    auto* retention_run = retention->add_subcommand("run", "apply every enabled rule once");
    RetentionOptions ropts;
    std::optional<std::int64_t> batch;
    std::string as_of, lock_timeout, target_batch, lease_ttl;
    retention_run->add_flag("--dry-run", ropts.dry_run, "count what would change; change nothing");
    retention_run->add_option("--batch", batch, "fixed rows per transaction (default: adaptive)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
    retention_run->add_option("--rule", ropts.rule, "only this rule (enabled or not)");
    retention_run->add_option("--as-of", as_of,
                              "compute cutoffs as of this earlier time instead of now");
    retention_run->add_option("--target-batch", target_batch,
                              "adaptive batches aim at this duration (default 250ms)");
    retention_run->add_option(
        "--lock-timeout", lock_timeout,
        "give up waiting for a lock after this long, then retry (default 2s)");
    const char* lease_help =
        "a rule's lease lasts this long unrenewed (default 90s; renewed between batches): how "
        "long a worker lost on another machine holds a rule";
    retention_run->add_option("--lease-ttl", lease_ttl, lease_help);
    const char* verify_help =
        "re-scan the masked columns of the rows each anonymize rule wrote; a PII type still "
        "found makes the rule verify_failed (exit 3; the writes stay committed)";
    retention_run->add_flag("--verify", ropts.verify, verify_help);

    auto* daemon =
        app.add_subcommand("daemon", "apply retention rules every interval until stopped");
    std::string interval;
    daemon->add_option("--interval", interval, "time between runs, e.g. 15m, 1h")->required();
    daemon->add_option("--lease-ttl", lease_ttl, lease_help);
    daemon->add_flag("--verify", ropts.verify, verify_help);
    daemon->add_option("--batch", batch, "fixed rows per transaction (default: adaptive)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
    std::string export_dir;
    const char* export_help =
        "write access exports here (<request id>-<subject>.json, mode 0600); without it access "
        "requests fail";
    daemon->add_option("--export-dir", export_dir, export_help)->check(CLI::ExistingDirectory);

    std::string subject_name, subject_key, out_file;
    auto* plan = app.add_subcommand("plan", "show how a subject's data is found and erased");
    plan->add_option("--subject", subject_name, "subject kind (anonkit.subjects.name)")->required();
    auto* access = app.add_subcommand("access", "export every row of one data subject as JSON");
    access->add_option("--subject", subject_name, "subject kind (anonkit.subjects.name)")
        ->required();
    access->add_option("--key", subject_key, "the subject's key value")->required();
    access->add_option("--out", out_file, "write the export here (mode 0600) instead of stdout");

    auto* erase = app.add_subcommand("erase", "erase one data subject (one transaction)");
    bool erase_dry_run = false, replay = false;
    erase->add_option("--subject", subject_name, "subject kind (anonkit.subjects.name)")
        ->required();
    auto* erase_key = erase->add_option("--key", subject_key, "the subject's key value");
    erase->add_flag("--dry-run", erase_dry_run, "count what would be deleted, masked, detached");
    bool erase_verify = false;
    erase->add_flag("--verify", erase_verify,
                    "refuse the erase (nothing changed, exit 1) when a PII type is still found in "
                    "a masked column of a kept row (always counted in the receipt)");
    erase
        ->add_flag("--replay", replay,
                   "erase again every subject whose tombstone matches a present row (after a "
                   "restore)")
        ->excludes(erase_key);

    auto* requests = app.add_subcommand("requests", "the data-subject request queue");
    requests->require_subcommand(1);
    auto* requests_run =
        requests->add_subcommand("run", "process queued access and erase requests, then exit");
    requests_run->add_option("--export-dir", export_dir, export_help)
        ->check(CLI::ExistingDirectory);
    requests_run->add_option("--lease-ttl", lease_ttl, lease_help);

    auto* status = app.add_subcommand("status", "last run of each rule and its backlog");
    auto* doctor = app.add_subcommand("doctor", "warn about missing indexes, keys and partitions");

    auto* inventory = app.add_subcommand(
        "inventory", "sample every column and report the personal data found, and its decisions");
    InventoryOptions iopts;
    bool markdown = false, check = false, progress = false;
    std::string inventory_timeout;
    inventory->add_option("--schema", iopts.schemas,
                          "only this schema (repeatable); default: all but the system schemas "
                          "and anonkit");
    inventory->add_option("--rows", iopts.rows, "rows sampled per table at most (default 1000)")
        ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
    inventory->add_option("--timeout", inventory_timeout,
                          "statement_timeout of each statement (default 60s)");
    inventory->add_flag("--views", iopts.views, "also read plain views (their first rows)");
    inventory->add_flag("--markdown", markdown, "a Markdown page (a privacy officer can file it)");
    inventory->add_flag("--check", check,
                        "exit 3 naming every column holding personal data without a decision");
    inventory->add_flag("--progress", progress,
                        "one line per table on stderr (default when stderr is a terminal)");

    auto* decide = app.add_subcommand(
        "decide", "record what was decided for a column (anonkit.column_decisions)");
    DecideRequest dreq;
    std::string strategy;
    decide->add_option("table", dreq.table, "the table (schema-qualified or via search_path)")
        ->required();
    decide->add_option("column", dreq.column, "the column")->required();
    decide->add_option("decision", dreq.decision, "keep, mask or drop")->required();
    auto* strategy_option =
        decide->add_option("--strategy", strategy, "the mask strategy (with mask), e.g. phone");
    decide->add_option("--reason", dreq.reason, "why: what an auditor reads")->required();

    std::chrono::milliseconds interval_ms{0};
    try {
      app.parse(argc, argv);
      if (!target_batch.empty())
        ropts.target_batch = duration_option(target_batch, "--target-batch");
      if (!lock_timeout.empty())
        ropts.lock_timeout = duration_option(lock_timeout, "--lock-timeout");
      if (!inventory_timeout.empty())
        iopts.timeout = duration_option(inventory_timeout, "--timeout");
      if (daemon->parsed()) interval_ms = duration_option(interval, "--interval");
      if (!lease_ttl.empty()) {
        const auto ttl = duration_option(lease_ttl, "--lease-ttl");
        if (ttl < std::chrono::seconds(10))
          throw CLI::ValidationError("--lease-ttl", "anonkit: expected at least 10s");
        ropts.lease_ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
      }
    } catch (const CLI::ParseError& e) {
      return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    ropts.batch = batch;
    if (!as_of.empty()) ropts.as_of = as_of;
    if (key_file.empty())
      if (const char* env = std::getenv("ANONKIT_KEY_FILE"); env != nullptr && *env != '\0')
        key_file = env;
    if (!key_file.empty()) ropts.keyring = pseudo::Keyring::from_file(key_file);
    // Receipts, tombstones and key hashes are keyed: no key file, no access or erase.
    if (access->parsed() || erase->parsed() || requests_run->parsed())
      (void)require_keyring(ropts.keyring);
    if (!export_dir.empty()) {
      // The path stored in requests.result is for the application: absolute, whatever our cwd.
      char* real = realpath(export_dir.c_str(), nullptr);
      if (real == nullptr)
        throw InvalidArgument(
            fmt::format("anonkit: --export-dir {}: expected an existing directory", export_dir));
      export_dir = real;
      std::free(real);
    }

    if (ping->parsed()) {
      db::Connection conn(dsn);
      std::printf("connected: PostgreSQL server %d\n", conn.server_version());
      return kExitOk;
    }
    if (install->parsed()) {
      db::Connection conn(dsn);
      const auto r = install_schema(conn, target_version);
      if (json)
        print(
            nlohmann::json{{"from_version", r.from_version}, {"to_version", r.to_version}}.dump() +
            "\n");
      else if (r.from_version == r.to_version)
        std::printf("schema anonkit is at version %d: nothing to do\n", r.to_version);
      else
        std::printf("schema anonkit: version %d -> %d\n", r.from_version, r.to_version);
      return kExitOk;
    }
    if (plan->parsed() || access->parsed()) {
      db::Connection conn(dsn);
      require_schema(conn);
      if (plan->parsed()) {
        print(render_plan(load_subject_model(conn), subject_name, json));
        return kExitOk;
      }
      // Created before the export: a path that cannot take it fails before anything is read.
      std::optional<PrivateFile> file;
      if (!out_file.empty()) file.emplace(out_file);
      // access_subject writes the audit row.
      const auto result = access_subject(conn, subject_name, subject_key, *ropts.keyring);
      if (file) {
        file->commit(result.document);
        if (verbose) std::fprintf(stderr, "access: export written to %s\n", out_file.c_str());
      } else {
        print(result.document);
      }
      return kExitOk;
    }
    if (erase->parsed()) {
      db::Connection conn(dsn);
      require_schema(conn);
      EraseOptions eopts;
      eopts.dry_run = erase_dry_run;
      eopts.verify = erase_verify;
      eopts.keyring = ropts.keyring;
      if (replay) {
        const auto n = replay_erasures(conn, subject_name, eopts);
        print(json ? nlohmann::json{{"subject", subject_name}, {"erased_again", n}}.dump() + "\n"
                   : fmt::format("erase --replay: {} {} erased again\n", n, subject_name));
        return kExitOk;
      }
      if (subject_key.empty())
        throw InvalidArgument("anonkit: erase needs --key VALUE or --replay");
      const auto r = erase_subject(conn, subject_name, subject_key, eopts);
      if (r.already_erased)
        std::fprintf(stderr, "anonkit: that %s was already erased: nothing left to do\n",
                     subject_name.c_str());
      print(r.receipt + "\n");
      return kExitOk;
    }
    if (status->parsed() || doctor->parsed()) {
      db::Connection conn(dsn);
      require_schema(conn);
      if (status->parsed()) {
        print(status_report(conn, json, ropts.keyring));
        return kExitOk;
      }
      int problems = 0;
      print(doctor_report(conn, json, problems));
      return problems == 0 ? kExitOk : kExitRuleFailed;
    }
    if (inventory->parsed()) {
      if (json && markdown) throw InvalidArgument("anonkit: --json or --markdown, not both");
      iopts.progress = progress || isatty(STDERR_FILENO) == 1;
      db::Connection conn(dsn);
      const Inventory inv = take_inventory(conn, iopts);
      print(json ? inventory_json(inv) : markdown ? inventory_markdown(inv) : inventory_text(inv));
      if (!check) return kExitOk;
      const auto undecided = inv.undecided();
      if (undecided.empty()) return kExitOk;
      std::fflush(stdout);  // the report first, then what failed the gate
      std::fprintf(stderr,
                   "anonkit: inventory --check: %zu column(s) hold personal data without a "
                   "decision:\n",
                   undecided.size());
      for (const auto& u : undecided) std::fprintf(stderr, "  %s\n", u.c_str());
      return kExitRuleFailed;
    }
    if (decide->parsed()) {
      if (strategy_option->count() > 0) dreq.strategy = strategy;
      db::Connection conn(dsn);
      require_schema(conn);
      const Decision d = record_decision(conn, dreq);
      print(json ? nlohmann::json{{"table", d.table},
                                  {"column", d.column},
                                  {"decision", d.decision},
                                  {"strategy",
                                   d.strategy ? nlohmann::json(*d.strategy) : nlohmann::json()},
                                  {"column_attnum", d.attnum},
                                  {"column_type", d.type},
                                  {"decided_at", d.decided_at}}
                           .dump() +
                       "\n"
                 : fmt::format("decided: {}.{} {}{} (column {}, {}), at {}\n", d.table, d.column,
                               d.decision, d.strategy ? ":" + *d.strategy : "", d.attnum, d.type,
                               d.decided_at));
      return kExitOk;
    }
    if (requests_run->parsed()) {
      {
        db::Connection conn(dsn);
        require_schema(conn);
      }
      RequestsOptions qopts;
      qopts.erase.keyring = ropts.keyring;
      qopts.export_dir = export_dir;
      qopts.lease_ttl = ropts.lease_ttl;
      std::signal(SIGINT, on_signal);
      std::signal(SIGTERM, on_signal);
      const auto r = run_requests(dsn, qopts, &g_stop);
      print(json ? nlohmann::json{{"done", r.done}, {"failed", r.failed}}.dump() + "\n"
                 : fmt::format("requests: {} done, {} failed\n", r.done, r.failed));
      return r.failed == 0 ? kExitOk : kExitRuleFailed;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    ropts.stop = &g_stop;
    if (retention_run->parsed()) {
      {
        db::Connection conn(dsn);
        require_schema(conn);
      }
      const auto outcomes = run_retention(dsn, ropts);
      print(json ? outcomes_json(outcomes, ropts.dry_run) : outcomes_text(outcomes, ropts.dry_run));
      return exit_for(outcomes);
    }
    if (daemon->parsed()) {
      ropts.progress = verbose;
      RequestsOptions qopts;
      qopts.erase.keyring = ropts.keyring;
      qopts.export_dir = export_dir;
      qopts.lease_ttl = ropts.lease_ttl;
      if (ropts.keyring && export_dir.empty())
        std::fprintf(stderr, "daemon: no --export-dir: access requests will fail\n");
      while (!g_stop.load()) {
        try {
          {
            db::Connection conn(dsn);
            require_schema(conn);
          }
          const auto outcomes = run_retention(dsn, ropts);
          if (!ropts.keyring) {
            try {
              (void)require_keyring(ropts.keyring);
            } catch (const KeyError& e) {
              std::fprintf(stderr, "daemon: requests skipped: %s\n", e.what());
            }
          } else {
            const auto handled = run_requests(dsn, qopts, &g_stop);
            if (handled.done + handled.failed > 0 || verbose)
              std::fprintf(stderr, "daemon: requests: %lld done, %lld failed\n",
                           static_cast<long long>(handled.done),
                           static_cast<long long>(handled.failed));
          }
          for (const auto& o : outcomes)
            if (o.status != "done" || verbose)
              std::fprintf(stderr, "daemon: %s: %s, %lld rows%s%s\n", o.rule.c_str(),
                           o.status.c_str(), static_cast<long long>(o.rows),
                           o.error.empty() ? "" : ": ", o.error.c_str());
        } catch (const std::exception& e) {
          std::fprintf(stderr, "daemon: %s (retrying after the interval)\n", e.what());
        }
        const auto until = std::chrono::steady_clock::now() + interval_ms;
        while (!g_stop.load() && std::chrono::steady_clock::now() < until)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      return kExitOk;
    }
    return kExitUsage;
  } catch (const db::ConnectionError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitConnection;
  } catch (const SubjectNotFound& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitNotFound;
  } catch (const InvalidArgument& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitUsage;
  } catch (const NotInstalled& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitConnection;
  } catch (const KeyError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return kExitRuleFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anonkit: internal error: %s\n", e.what());
    return kExitInternal;
  }
}

}  // namespace anonkit::pg
