// Traversal (breadth first from the root, following references from parents to children, never
// into another subject's table) and deletion order (Kahn's algorithm over declared foreign keys,
// breaking cycles by a nullable, else a deferrable, reference).
#include "anonkit/subject/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>

#include "anonkit/error.hpp"

namespace anonkit::subject {
namespace {

std::string columns(const std::vector<std::string>& c) {
  std::string s;
  for (const auto& name : c) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace

Plan make_plan(const Graph& graph, const std::string& root,
               const std::set<std::string>& subject_tables) {
  Plan plan;
  plan.root = root;
  std::set<std::string> reached{root};
  plan.tables.push_back(root);
  std::deque<std::string> queue{root};
  while (!queue.empty()) {
    const std::string parent = queue.front();
    queue.pop_front();
    for (std::size_t i = 0; i < graph.references.size(); ++i) {
      const Reference& r = graph.references[i];
      if (r.parent != parent) continue;
      if (subject_tables.count(r.child)) {  // other people's rows: detached, never followed
        plan.detach.push_back(i);
        continue;
      }
      plan.follow.push_back(i);
      if (reached.insert(r.child).second) {
        plan.tables.push_back(r.child);
        queue.push_back(r.child);
      }
    }
  }

  // A parent's rows can go once its children's rows are gone: count, per table, the declared
  // references still pointing at it from other reached tables. Self-references are settled inside
  // one DELETE; links are not enforced by the database and impose no order.
  std::vector<std::size_t> edges;
  for (std::size_t i : plan.follow) {
    const Reference& r = graph.references[i];
    if (r.declared && r.child != r.parent) edges.push_back(i);
  }
  std::vector<std::string> left = plan.tables;
  while (!left.empty()) {
    auto blocked = [&](const std::string& table) {
      return std::any_of(edges.begin(), edges.end(), [&](std::size_t e) {
        const Reference& r = graph.references[e];
        return r.parent == table && std::find(left.begin(), left.end(), r.child) != left.end();
      });
    };
    const auto free =
        std::find_if(left.begin(), left.end(), [&](const auto& t) { return !blocked(t); });
    if (free != left.end()) {
      plan.deletion_order.push_back(*free);
      left.erase(free);
      continue;
    }
    // Every remaining table waits for another: a cycle. Break it at a nullable reference (set to
    // NULL first), else at a deferrable one (checked at commit).
    auto in_cycle = [&](std::size_t e) {
      const Reference& r = graph.references[e];
      return std::find(left.begin(), left.end(), r.child) != left.end() &&
             std::find(left.begin(), left.end(), r.parent) != left.end();
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

std::string describe(const Graph& graph, const Plan& plan) {
  std::map<std::string, std::string> how;
  for (std::size_t i : plan.follow) {
    const Reference& r = graph.references[i];
    auto& s = how[r.child];
    s += fmt::format("{}via {} {}({}) -> {}({})", s.empty() ? "" : "; ",
                     r.declared ? "foreign key" : "link", r.name, columns(r.child_columns),
                     r.parent, columns(r.parent_columns));
  }
  std::string out =
      fmt::format("subject root: {}\ntables holding the subject's rows:\n", plan.root);
  for (const auto& t : plan.tables)
    out += fmt::format("  {}{}\n", t, t == plan.root ? "  (root row)" : "  " + how[t]);
  if (!plan.detach.empty()) {
    out += "other subjects' rows referring to them (set to NULL on erase, never exported):\n";
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
  return out;
}

}  // namespace anonkit::subject
