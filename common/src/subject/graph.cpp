// Table-level planning: the traversal (from the root along references from parents to children,
// up along owned parents, never into another subject's table), what each reached table can be to
// the subject, and the deletion order (Kahn's algorithm over declared foreign keys, breaking
// cycles by a nullable, else a deferrable, reference).
#include "anonkit/subject/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <optional>

#include "anonkit/error.hpp"

namespace anonkit::subject {
namespace {

std::string columns(const std::vector<std::string>& c) {
  std::string s;
  for (const auto& name : c) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::string names(const Graph& g, const std::vector<std::size_t>& refs) {
  std::string s;
  for (std::size_t i : refs) s += (s.empty() ? "" : ", ") + g.references[i].name;
  return s;
}

bool same_columns(const Reference& a, const Reference& b) {
  return a.child == b.child && a.parent == b.parent && a.child_columns == b.child_columns &&
         a.parent_columns == b.parent_columns;
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

const TablePlan* Plan::table(const std::string& name) const noexcept {
  for (const auto& t : tables)
    if (t.table == name) return &t;
  return nullptr;
}

bool is_owner_reference(const Graph& graph, std::size_t index) {
  const Reference& r = graph.references[index];
  if (r.kind == RefKind::kOwnedParent) return false;
  // A reference declared as an owned parent points the other way: the parent is the child's.
  return std::none_of(graph.references.begin(), graph.references.end(), [&](const Reference& o) {
    return o.kind == RefKind::kOwnedParent && same_columns(o, r);
  });
}

std::set<std::string> capable_tables(const Graph& graph) {
  std::set<std::string> capable = graph.root_tables;
  for (bool grew = true; grew;) {
    grew = false;
    for (std::size_t i = 0; i < graph.references.size(); ++i) {
      const Reference& r = graph.references[i];
      if (r.kind == RefKind::kOwnedParent) {
        if (capable.count(r.child) && !graph.root_tables.count(r.parent))
          grew |= capable.insert(r.parent).second;
      } else if (is_owner_reference(graph, i) && capable.count(r.parent)) {
        grew |= capable.insert(r.child).second;
      }
    }
  }
  return capable;
}

Plan make_plan(const Graph& graph, const std::string& root) {
  Plan plan;
  plan.root = root;
  const auto capable = capable_tables(graph);
  std::map<std::string, std::size_t> index;  // table -> position in plan.tables
  std::set<std::string> down_done;
  std::deque<std::pair<std::string, bool>> queue{{root, true}};
  auto reach = [&](const std::string& t, std::optional<std::size_t> via, bool down) {
    auto it = index.find(t);
    if (it == index.end()) {
      it = index.emplace(t, plan.tables.size()).first;
      TablePlan tp;
      tp.table = t;
      tp.role = down ? Role::kOwned : Role::kOwnedParent;
      plan.tables.push_back(std::move(tp));
      queue.emplace_back(t, down);
    } else if (down && !down_done.count(t)) {
      queue.emplace_back(t, true);
    }
    TablePlan& tp = plan.tables[it->second];
    if (down && tp.role == Role::kOwnedParent) tp.role = Role::kOwned;
    if (via) add_unique(tp.reached_by, *via);
  };
  reach(root, std::nullopt, true);
  plan.tables[0].role = Role::kRoot;
  std::set<std::string> up_done;
  while (!queue.empty()) {
    const auto [table, down] = queue.front();
    queue.pop_front();
    if (down && down_done.insert(table).second) {
      for (std::size_t i = 0; i < graph.references.size(); ++i) {
        const Reference& r = graph.references[i];
        if (r.parent != table || r.kind == RefKind::kOwnedParent) continue;
        if (graph.root_tables.count(r.child)) {  // other people's rows: detached, never followed
          add_unique(plan.detach, i);
          continue;
        }
        add_unique(plan.down, i);
        reach(r.child, i, true);
      }
    }
    if (up_done.insert(table).second) {
      for (std::size_t i = 0; i < graph.references.size(); ++i) {
        const Reference& r = graph.references[i];
        if (r.kind != RefKind::kOwnedParent || r.child != table) continue;
        if (graph.root_tables.count(r.parent)) continue;  // a configuration error (findings)
        add_unique(plan.up, i);
        reach(r.parent, i, false);
      }
    }
  }

  // Owner references of reached tables, and what each table can be to the subject. A table is
  // "owned" when its only owner reference is the one it was reached by and that leads to the
  // root or to an owned table; anything else is decided row by row.
  for (auto& tp : plan.tables) {
    tp.kept = graph.policies.count(tp.table) && graph.policies.at(tp.table) == PolicyAction::kMask;
    if (tp.role == Role::kRoot) continue;
    for (std::size_t i = 0; i < graph.references.size(); ++i) {
      const Reference& r = graph.references[i];
      if (r.child == tp.table && is_owner_reference(graph, i) && capable.count(r.parent)) {
        add_unique(plan.owner, i);
        tp.shared_by.push_back(i);
      }
    }
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (auto& tp : plan.tables) {
      if (tp.role != Role::kOwned) continue;
      bool owned = tp.shared_by.size() == 1 &&
                   graph.references[tp.shared_by[0]].kind == RefKind::kForeignKey;
      if (owned) {
        const TablePlan* parent = plan.table(graph.references[tp.shared_by[0]].parent);
        owned = parent != nullptr && parent->table != tp.table &&
                (parent->role == Role::kRoot || parent->role == Role::kOwned) &&
                (parent->role != Role::kRoot || parent->table == root);
      }
      // An owned parent of this table makes its rows depend on whoever else references it.
      for (std::size_t i : plan.up)
        if (graph.references[i].parent == tp.table) owned = false;
      if (!owned) {
        tp.role = Role::kMayBeShared;
        changed = true;
      }
    }
  }
  for (auto& tp : plan.tables) {
    const std::string action =
        tp.kept ? "kept and masked (erasure_policy), detached"
                : (tp.role == Role::kOwnedParent ? "deleted when not shared" : "deleted");
    switch (tp.role) {
      case Role::kRoot:
        tp.reason = "the subject's row, selected by its key; " + action;
        break;
      case Role::kOwned:
        tp.reason = fmt::format("reached through {}, its only owner reference; {}",
                                names(graph, tp.reached_by), action);
        break;
      case Role::kMayBeShared:
        tp.reason = fmt::format(
            "reached through {}; owner references {} may lead to someone else: such rows are "
            "shared (listed, detached, never deleted), the others {}",
            names(graph, tp.reached_by), tp.shared_by.empty() ? "-" : names(graph, tp.shared_by),
            action);
        break;
      case Role::kOwnedParent:
        tp.reason = fmt::format(
            "an owned parent ({}): the subject's when every row referencing it is the subject's; "
            "otherwise shared; {}",
            names(graph, tp.reached_by), tp.kept ? "kept and masked (erasure_policy)" : "deleted");
        break;
    }
  }

  for (std::size_t i : plan.down) {
    const Reference& r = graph.references[i];
    if ((r.on_delete == OnDelete::kSetNull || r.on_delete == OnDelete::kSetDefault) &&
        !graph.policies.count(r.child)) {
      const std::string msg = fmt::format(
          "anonkit: {} is reached through {}, declared ON DELETE SET {}: the schema says its rows "
          "outlive the subject's, so erase needs an anonkit.erasure_policy row for {} (action "
          "delete or mask); nothing was changed",
          r.child, r.name, r.on_delete == OnDelete::kSetNull ? "NULL" : "DEFAULT", r.child);
      add_unique(plan.erase_blockers, msg);
    }
  }

  // A parent's rows can go once its children's rows are gone: every declared foreign key between
  // two reached tables orders them. Self-references are settled inside one DELETE; links are not
  // enforced by the database and impose no order.
  std::vector<std::size_t> edges;
  for (std::size_t i = 0; i < graph.references.size(); ++i) {
    const Reference& r = graph.references[i];
    if (r.declared() && r.child != r.parent && index.count(r.child) && index.count(r.parent))
      edges.push_back(i);
  }
  std::vector<std::string> left;
  for (const auto& tp : plan.tables) left.push_back(tp.table);
  auto in_left = [&](const std::string& t) {
    return std::find(left.begin(), left.end(), t) != left.end();
  };
  while (!left.empty()) {
    auto blocked = [&](const std::string& table) {
      return std::any_of(edges.begin(), edges.end(), [&](std::size_t e) {
        const Reference& r = graph.references[e];
        return r.parent == table && in_left(r.child);
      });
    };
    const auto free =
        std::find_if(left.begin(), left.end(), [&](const auto& t) { return !blocked(t); });
    if (free != left.end()) {
      plan.deletion_order.push_back(*free);
      left.erase(free);
      continue;
    }
    auto in_cycle = [&](std::size_t e) {
      return in_left(graph.references[e].child) && in_left(graph.references[e].parent);
    };
    auto pick = std::find_if(edges.begin(), edges.end(), [&](std::size_t e) {
      return in_cycle(e) && graph.references[e].nullable;
    });
    if (pick != edges.end()) {
      plan.null_first.push_back(*pick);
    } else {
      pick = std::find_if(edges.begin(), edges.end(), [&](std::size_t e) {
        return in_cycle(e) && graph.references[e].deferrable;
      });
      if (pick == edges.end())
        throw InvalidArgument(fmt::format(
            "anonkit: the tables {} reference each other in a cycle with no nullable or "
            "deferrable foreign key: expected one to be nullable or DEFERRABLE so rows can be "
            "deleted",
            columns(left)));
      plan.deferred.push_back(*pick);
    }
    edges.erase(pick);
  }
  return plan;
}

const char* role_name(Role role) noexcept {
  switch (role) {
    case Role::kRoot:
      return "root";
    case Role::kOwned:
      return "owned";
    case Role::kMayBeShared:
      return "may be shared";
    case Role::kOwnedParent:
      return "owned parent";
  }
  return "?";
}

std::string describe(const Graph& graph, const Plan& plan) {
  std::string out =
      fmt::format("subject root: {}\ntables that can hold the subject's rows:\n", plan.root);
  for (const auto& tp : plan.tables)
    out += fmt::format("  {:<32} {:<14} {}\n", tp.table, role_name(tp.role), tp.reason);
  if (!plan.detach.empty()) {
    out +=
        "other subjects' rows referring to the subject's (set to NULL on erase, never "
        "exported):\n";
    for (std::size_t i : plan.detach) {
      const Reference& r = graph.references[i];
      out += fmt::format("  {}({}) -> {}({})  [{}]\n", r.child, columns(r.child_columns), r.parent,
                         columns(r.parent_columns), r.name);
    }
  }
  out += "deletion order (children first):\n";
  for (std::size_t i = 0; i < plan.deletion_order.size(); ++i)
    out += fmt::format("  {}. {}\n", i + 1, plan.deletion_order[i]);
  for (std::size_t i : plan.null_first) {
    const Reference& r = graph.references[i];
    out += fmt::format("cycle broken by setting {}({}) to NULL first  [{}]\n", r.child,
                       columns(r.child_columns), r.name);
  }
  for (std::size_t i : plan.deferred)
    out += fmt::format("cycle broken by deferring constraint {} to commit\n",
                       graph.references[i].name);
  for (const auto& b : plan.erase_blockers) out += "erase blocked: " + b.substr(9) + "\n";
  return out;
}

}  // namespace anonkit::subject
