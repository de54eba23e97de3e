// The subject graph: tables and the references between them (declared foreign keys and
// anonkit.links), and the plan that says which tables hold a subject's data, which references
// are followed, which are detached, and in which order rows can be deleted. Storage-agnostic: the
// worker fills it from pg_catalog and executes the plan.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace anonkit::subject {

// child.child_columns -> parent.parent_columns, column by column.
struct Reference {
  std::string name;  // constraint name, or "link N"
  std::string child, parent;
  std::vector<std::string> child_columns, parent_columns;
  bool declared = true;     // a foreign key; false: a link the database does not enforce
  bool deferrable = false;  // can be checked at commit (SET CONSTRAINTS ... DEFERRED)
  bool nullable = true;     // every child column accepts NULL
};

struct Graph {
  std::vector<Reference> references;
};

struct Plan {
  std::string root;
  // Tables holding the subject's rows, root first, in the order the traversal reaches them.
  std::vector<std::string> tables;
  // References followed from a reached parent to its children (indexes into Graph::references).
  std::vector<std::size_t> follow;
  // References from rows of subject tables (other people) into the subject's rows: never
  // followed; on erase their child columns are set to NULL.
  std::vector<std::size_t> detach;
  // Reached tables, children before parents: the order rows can be deleted in.
  std::vector<std::string> deletion_order;
  // Followed references inside a cycle whose child columns are set to NULL before deleting.
  std::vector<std::size_t> null_first;
  // Deferrable references inside a cycle: checked at commit instead.
  std::vector<std::size_t> deferred;
};

// Plans from `root` (itself in `subject_tables`). Throws InvalidArgument when a cycle among the
// reached tables has neither a nullable nor a deferrable reference to break it, naming the tables.
[[nodiscard]] Plan make_plan(const Graph& graph, const std::string& root,
                             const std::set<std::string>& subject_tables);

// EXPLAIN-like text: the traversal, the detached references and the deletion order.
[[nodiscard]] std::string describe(const Graph& graph, const Plan& plan);

}  // namespace anonkit::subject
