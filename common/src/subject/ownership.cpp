// The row-level ownership decision. Three passes over rows, each batched per reference:
// candidates (rows with an owner path to the root row), their owner references' targets, and
// for targets outside the candidates whether any owner path leads from them to anyone. Then one
// fixpoint: a candidate is shared when an owner reference leads to someone else, directly or
// through a shared candidate.
#include "anonkit/subject/ownership.hpp"

#include <fmt/format.h>

#include <deque>

#include "anonkit/error.hpp"

namespace anonkit::subject {
namespace {

using Node = std::pair<std::string, std::string>;  // table, row
using Rows = std::map<std::string, std::vector<std::string>>;
using From = RowSource::From;

}  // namespace

bool Ownership::is_alone(const std::string& table, const std::string& row) const {
  const auto it = alone.find(table);
  return it != alone.end() && it->second.count(row);
}

Ownership classify(const Graph& graph, const Plan& plan, const std::string& root_row,
                   RowSource& source) {
  const Node root{plan.root, root_row};
  const auto capable = capable_tables(graph);
  Ownership out;

  // 1. Candidates. Rows reached from a parent ("down") are followed further down and up; rows
  // reached only as owned parents ("up") only further up: nothing else climbs from child to
  // parent, so shared reference data is never reached.
  std::map<Node, bool> down;  // candidate -> reached down
  down[root] = true;
  Rows frontier_down{{root.first, {root.second}}}, frontier_any = frontier_down;
  while (!frontier_down.empty() || !frontier_any.empty()) {
    Rows next_down, next_any;
    for (std::size_t i : plan.down) {
      const Reference& r = graph.references[i];
      const auto f = frontier_down.find(r.parent);
      if (f == frontier_down.end()) continue;
      for (auto& [p, c] : source.follow(i, From::kParent, f->second)) {
        Node n{r.child, c};
        out.via[r.child][c].insert(i);
        const auto [it, fresh] = down.emplace(n, true);
        if (fresh) {
          next_down[r.child].push_back(c);
          next_any[r.child].push_back(c);
        } else if (!it->second) {
          it->second = true;
          next_down[r.child].push_back(c);
        }
      }
    }
    for (std::size_t i : plan.up) {
      const Reference& r = graph.references[i];
      const auto f = frontier_any.find(r.child);
      if (f == frontier_any.end()) continue;
      for (auto& [c, p] : source.follow(i, From::kChild, f->second)) {
        out.via[r.parent][p].insert(i);
        if (down.emplace(Node{r.parent, p}, false).second) next_any[r.parent].push_back(p);
      }
    }
    frontier_down = std::move(next_down);
    frontier_any = std::move(next_any);
  }
  Rows candidates, up_only;
  for (const auto& [n, d] : down) {
    if (n == root) continue;
    candidates[n.first].push_back(n.second);
    if (!d) up_only[n.first].push_back(n.second);
  }

  // 2. What each candidate's ownership depends on: the rows its owner references point at, the
  // rows an owned parent belongs with, and for a row reached only as an owned parent every row
  // that references it.
  std::map<Node, std::vector<Node>> deps;
  auto depend = [&](const Rows& rows, std::size_t i, From from) {
    const Reference& r = graph.references[i];
    const std::string& table = from == From::kChild ? r.child : r.parent;
    const std::string& other = from == From::kChild ? r.parent : r.child;
    const auto it = rows.find(table);
    if (it == rows.end() || it->second.empty()) return;
    for (auto& [x, t] : source.follow(i, from, it->second))
      deps[Node{table, x}].push_back(Node{other, t});
  };
  for (std::size_t i = 0; i < graph.references.size(); ++i) {
    const Reference& r = graph.references[i];
    if (is_owner_reference(graph, i) && capable.count(r.parent))
      depend(candidates, i, From::kChild);
    if (r.kind == RefKind::kOwnedParent)
      depend(candidates, i, From::kParent);
    else
      depend(up_only, i, From::kParent);
  }

  // 3. Targets outside the candidates: does any owner path lead from them to a root row? Their
  // owner references are followed upward until root rows, candidates or nothing.
  std::set<Node> outside_reach;  // outside rows with an owner path to someone
  {
    std::set<Node> seen;
    std::map<Node, std::vector<Node>> edges;
    Rows frontier;
    auto visit = [&](const Node& n) {
      if (graph.root_tables.count(n.first) || down.count(n)) return;
      if (seen.insert(n).second) frontier[n.first].push_back(n.second);
    };
    for (const auto& [x, targets] : deps)
      for (const auto& t : targets) visit(t);
    std::deque<Node> reached;
    while (!frontier.empty()) {
      if (seen.size() > kMaxOutsideRows)
        throw Error(fmt::format(
            "anonkit: deciding whose rows these are needed more than {} rows outside the "
            "subject's: expected a smaller reference graph",
            kMaxOutsideRows));
      Rows current = std::move(frontier);
      frontier.clear();
      for (std::size_t i = 0; i < graph.references.size(); ++i) {
        const Reference& r = graph.references[i];
        const bool owner = is_owner_reference(graph, i) && capable.count(r.parent);
        const bool owned_parent = r.kind == RefKind::kOwnedParent;
        if (!owner && !owned_parent) continue;
        const From from = owner ? From::kChild : From::kParent;
        const std::string& table = owner ? r.child : r.parent;
        const std::string& other = owner ? r.parent : r.child;
        const auto it = current.find(table);
        if (it == current.end()) continue;
        for (auto& [x, t] : source.follow(i, from, it->second)) {
          const Node xn{table, x}, tn{other, t};
          if (graph.root_tables.count(other) || down.count(tn)) {
            if (outside_reach.insert(xn).second) reached.push_back(xn);
          } else {
            edges[tn].push_back(xn);  // reverse: when tn reaches someone, so does xn
            visit(tn);
          }
        }
      }
    }
    while (!reached.empty()) {
      const Node n = reached.front();
      reached.pop_front();
      const auto e = edges.find(n);
      if (e == edges.end()) continue;
      for (const auto& x : e->second)
        if (outside_reach.insert(x).second) reached.push_back(x);
    }
  }

  // 4. Shared: an owner reference to another person (a root row other than the subject's, or an
  // outside row someone owns), directly or through a shared candidate. Everything else is theirs.
  std::set<Node> shared;
  std::map<Node, std::vector<Node>> dependants;
  std::deque<Node> work;
  for (const auto& [x, targets] : deps) {
    for (const auto& t : targets) {
      const bool other =
          (graph.root_tables.count(t.first) && t != root) ||
          (!down.count(t) && !graph.root_tables.count(t.first) && outside_reach.count(t));
      if (other) {
        if (shared.insert(x).second) work.push_back(x);
      } else if (down.count(t) && t != root) {
        dependants[t].push_back(x);
      }
    }
  }
  while (!work.empty()) {
    const Node n = work.front();
    work.pop_front();
    const auto d = dependants.find(n);
    if (d == dependants.end()) continue;
    for (const auto& x : d->second)
      if (shared.insert(x).second) work.push_back(x);
  }
  for (const auto& [n, _] : down)
    (shared.count(n) ? out.shared : out.alone)[n.first].insert(n.second);
  return out;
}

}  // namespace anonkit::subject
