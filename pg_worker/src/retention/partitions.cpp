// Delete rules on a table partitioned by range on the time column alone: each leaf partition
// whose upper bound is at or before the cutoff is detached and dropped in one short transaction.
#include <fmt/format.h>

#include "retention/rule_run.hpp"

namespace anonkit::pg::retention {

void RuleRun::drop_partitions() {
  if (!p_.drop_partitions) return;
  for (const auto& part : p_.table.partitions) {
    if (stopping()) return;
    if (lease) lease->renew();
    retrying([&] {
      db::Transaction tx(conn_);
      set_timeouts(tx);
      if (!partition_expired(tx, part)) return;
      const auto n = tx.exec(fmt::format("SELECT count(*) FROM {}", part.qualified)).integer();
      // Detached is not enough: a detached partition still holds the personal data.
      (void)tx.exec(
          fmt::format("ALTER TABLE {} DETACH PARTITION {}", p_.table.qualified, part.qualified));
      (void)tx.exec(fmt::format("DROP TABLE {}", part.qualified));
      tx.commit();
      out_.rows += n;
      ++out_.partitions_dropped;
      out_.partitions.push_back(part.display);
    });
  }
}

}  // namespace anonkit::pg::retention
